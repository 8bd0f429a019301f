// Runs the permission-sensitive part of a test as an ordinary user, also
// when the suite runs as root (as CI does). Root ignores file modes, so a
// test of "unreadable file" or "read-only directory" would prove nothing
// there; instead of skipping it, the part that touches the files runs in a
// forked child that has dropped every privilege to 'nobody'.
//
// Usage: build the fake tree, give_to_unprivileged_user(tree), set the modes
// under test, then run_unprivileged([&] { ...; return text; }) and assert on
// the returned text in the test itself (gtest assertions made in the child
// would be lost).
#pragma once

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace fivenines::testing {

// Debian's 'nobody' / 'nogroup'.
inline constexpr uid_t k_unprivileged_uid = 65534;
inline constexpr gid_t k_unprivileged_gid = 65534;

[[nodiscard]] inline bool running_as_root() { return ::geteuid() == 0; }

// When running as root: hands `tree` and everything under it to nobody, so
// the child meets the ownership an ordinary user's test run has (its own
// files, with the modes the test sets). Without root, does nothing.
inline void give_to_unprivileged_user(const std::filesystem::path& tree) {
  if (!running_as_root()) return;
  const auto give = [](const std::filesystem::path& path) {
    if (::lchown(path.c_str(), k_unprivileged_uid, k_unprivileged_gid) != 0) {
      ADD_FAILURE() << "chown " << path << ": " << std::strerror(errno);
    }
  };
  give(tree);
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(tree, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    give(it->path());
  }
  if (error) ADD_FAILURE() << "walk " << tree << ": " << error.message();
}

// Runs `work` without privileges and returns what it returned. As root: in
// a forked child that first leaves every supplementary group and sets its
// real, effective and saved ids to nobody (which also clears its
// capabilities), the text coming back through a pipe. As anyone else: in
// this process. nullopt, with a test failure, when the child could not drop
// privileges or did not exit normally.
template <typename Work>
[[nodiscard]] std::optional<std::string> run_unprivileged(Work&& work) {
  if (!running_as_root()) return std::string(work());

  int channel[2];
  if (::pipe(channel) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return std::nullopt;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    ::close(channel[0]);
    ::close(channel[1]);
    return std::nullopt;
  }
  if (child == 0) {
    ::close(channel[0]);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(k_unprivileged_gid, k_unprivileged_gid, k_unprivileged_gid) != 0 ||
        ::setresuid(k_unprivileged_uid, k_unprivileged_uid, k_unprivileged_uid) != 0 || ::geteuid() == 0) {
      ::_exit(3);
    }
    const std::string result = work();
    std::size_t written = 0;
    while (written < result.size()) {
      const ssize_t n = ::write(channel[1], result.data() + written, result.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(4);
      written += static_cast<std::size_t>(n);
    }
    // _exit: no atexit handlers, no gtest or sanitizer reports from the copy.
    ::_exit(0);
  }

  ::close(channel[1]);
  std::string result;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(channel[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(channel[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "unprivileged child failed: "
                  << (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status)))
                  << (WIFEXITED(status) && WEXITSTATUS(status) == 3 ? " (could not drop privileges)" : "");
    return std::nullopt;
  }
  return result;
}

}  // namespace fivenines::testing
