#include "platform/subprocess.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "util/text.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// A fresh directory under TMPDIR, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "fivenines-subprocess-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) m_path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

void write_script(const fs::path& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms::owner_all);
}

std::set<std::string> lines_of(std::string_view text) {
  std::set<std::string> out;
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) out.emplace(line);
  return out;
}

// No child of ours is left unreaped.
void expect_no_children() {
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(RunSubprocess, TrueExitsZero) {
  const auto result = run_subprocess({"/bin/true"});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->term_signal, 0);
  EXPECT_FALSE(result->timed_out);
  EXPECT_TRUE(result->succeeded());
  EXPECT_TRUE(result->stdout_text.empty());
  expect_no_children();
}

TEST(RunSubprocess, FalseExitsOne) {
  SubprocessOptions options;
  options.search_path = "/usr/bin:/bin";
  const auto result = run_subprocess({"false"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_FALSE(result->succeeded());
}

TEST(RunSubprocess, MissingProgramIsAbsent) {
  const auto by_name = run_subprocess({"fivenines-no-such-program"});
  ASSERT_FALSE(by_name);
  EXPECT_EQ(by_name.error().kind, ErrorKind::absent);
  EXPECT_NE(by_name.error().message.find("fivenines-no-such-program"), std::string::npos);
  const auto by_path = run_subprocess({"/nonexistent/dir/tool"});
  ASSERT_FALSE(by_path);
  EXPECT_EQ(by_path.error().kind, ErrorKind::absent);
}

TEST(RunSubprocess, RejectsEmptyArgvAndNulBytes) {
  const auto empty = run_subprocess({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::invalid_config);
  const auto nul = run_subprocess({"/bin/echo", std::string("a\0b", 3)});
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().kind, ErrorKind::invalid_config);
}

TEST(RunSubprocess, CapturesStdoutAndStderrSeparately) {
  const auto result = run_subprocess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->stdout_text, "out\n");
  EXPECT_EQ(result->stderr_text, "err\n");
  EXPECT_FALSE(result->stdout_truncated);
  EXPECT_FALSE(result->stderr_truncated);
}

TEST(RunSubprocess, DiscardedStreamIsEmpty) {
  SubprocessOptions options;
  options.stdout_mode = OutputMode::discard;
  const auto result = run_subprocess({"/bin/sh", "-c", "echo out; echo err >&2"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_text, "");
  EXPECT_EQ(result->stderr_text, "err\n");
}

TEST(RunSubprocess, ReportsTerminatingSignal) {
  const auto result = run_subprocess({"/bin/sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->term_signal, SIGTERM);
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_FALSE(result->timed_out);
  EXPECT_FALSE(result->succeeded());
}

TEST(RunSubprocess, TimeoutKillsTheChildInAboutTheTimeout) {
  SubprocessOptions options;
  options.timeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const auto result = run_subprocess({"/bin/sh", "-c", "sleep 10"}, options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_FALSE(result->succeeded());
  EXPECT_GE(elapsed, milliseconds(290));
  EXPECT_LT(elapsed, milliseconds(2000));
  expect_no_children();
}

TEST(RunSubprocess, TimeoutKillsGrandchildrenInTheGroup) {
  SubprocessOptions options;
  options.timeout = milliseconds(300);
  // The shell prints its background sleep's pid, then waits on it.
  const auto result = run_subprocess({"/bin/sh", "-c", "sleep 10 & echo $!; wait"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  const auto grandchild = parse_i64(trim(result->stdout_text));
  ASSERT_TRUE(grandchild) << result->stdout_text;
  // Gone, or a zombie waiting for init: either way no longer running.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::ifstream in(("/proc/" + std::to_string(*grandchild) + "/stat").c_str());
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close_paren = content.rfind(')');
    if (content.empty() || (close_paren != std::string::npos && content.substr(close_paren + 2, 1) == "Z")) return;
    ::usleep(10'000);
  }
  ADD_FAILURE() << "grandchild " << *grandchild << " still running";
}

TEST(RunSubprocess, ChildThatClosesItsOutputStillTimesOut) {
  SubprocessOptions options;
  options.timeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const auto result = run_subprocess({"/bin/sh", "-c", "exec >&- 2>&-; sleep 10"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(2000));
  expect_no_children();
}

TEST(RunSubprocess, BackgroundedGrandchildHoldingThePipeIsKilledAtTheDeadline) {
  // The shell exits at once, but its background sleep keeps stdout open:
  // we read until the deadline, then kill the group. The shell's own exit
  // status is still reported.
  SubprocessOptions options;
  options.timeout = milliseconds(300);
  const auto result = run_subprocess({"/bin/sh", "-c", "echo started; /bin/sleep 10 & exit 0"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_text, "started\n");
  EXPECT_FALSE(result->succeeded());
  expect_no_children();
}

TEST(RunSubprocess, OutputIsCappedAndFlagged) {
  SubprocessOptions options;
  options.max_output_bytes = 1000;
  const auto result = run_subprocess({"/bin/sh", "-c", "head -c 200000 /dev/zero"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);  // the excess was drained, the child was not blocked
  EXPECT_EQ(result->stdout_text.size(), 1000u);
  EXPECT_TRUE(result->stdout_truncated);
  EXPECT_FALSE(result->stderr_truncated);
}

TEST(RunSubprocess, EndlessOutputHitsCapAndTimeout) {
  SubprocessOptions options;
  options.max_output_bytes = 4096;
  options.timeout = milliseconds(200);
  const auto result = run_subprocess({"yes"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->stdout_text.size(), 4096u);
  EXPECT_TRUE(result->stdout_truncated);
  EXPECT_EQ(result->stdout_text.substr(0, 4), "y\ny\n");
  expect_no_children();
}

TEST(RunSubprocess, EnvironmentDropsLoaderAndDeniedVariables) {
  // Set in our own environment only for this test; the child must not see them.
  ASSERT_EQ(::setenv("LD_PRELOAD", "libfivenines-test-does-not-exist.so", 1), 0);
  ASSERT_EQ(::setenv("LD_LIBRARY_PATH", "/nonexistent", 1), 0);
  ASSERT_EQ(::setenv("DYLD_LIBRARY_PATH", "/nonexistent", 1), 0);
  ASSERT_EQ(::setenv("FIVENINES_TEST_SECRET", "s3cret", 1), 0);
  ASSERT_EQ(::setenv("FIVENINES_TEST_KEPT", "kept", 1), 0);
  SubprocessOptions options;
  options.env_deny = {"FIVENINES_TEST_SECRET"};
  const auto result = run_subprocess({"/usr/bin/env"}, options);
  ::unsetenv("LD_PRELOAD");
  ::unsetenv("LD_LIBRARY_PATH");
  ::unsetenv("DYLD_LIBRARY_PATH");
  ::unsetenv("FIVENINES_TEST_SECRET");
  ::unsetenv("FIVENINES_TEST_KEPT");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stderr_text, "");  // the loader did not try the bogus preload
  const auto& out = result->stdout_text;
  EXPECT_EQ(out.find("LD_PRELOAD="), std::string::npos) << out;
  EXPECT_EQ(out.find("LD_LIBRARY_PATH="), std::string::npos) << out;
  EXPECT_EQ(out.find("DYLD_LIBRARY_PATH="), std::string::npos) << out;
  EXPECT_EQ(out.find("FIVENINES_TEST_SECRET"), std::string::npos) << out;
  EXPECT_NE(out.find("FIVENINES_TEST_KEPT=kept\n"), std::string::npos) << out;
}

TEST(RunSubprocess, SearchPathIsAlsoTheChildPath) {
  SubprocessOptions options;
  options.search_path = "/usr/bin:/bin";
  const auto result = run_subprocess({"env"}, options);
  ASSERT_TRUE(result) << result.error().message;
  const auto lines = lines_of(result->stdout_text);
  EXPECT_TRUE(lines.count("PATH=/usr/bin:/bin")) << result->stdout_text;
  std::size_t path_lines = 0;
  for (const auto& line : lines) path_lines += line.rfind("PATH=", 0) == 0 ? 1 : 0;
  EXPECT_EQ(path_lines, 1u);
}

TEST(RunSubprocess, DoesNotLeakFileDescriptors) {
  // A descriptor opened without O_CLOEXEC, at a number ls would not use.
  const int plain = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(plain, 0);
  ASSERT_EQ(::dup2(plain, 100), 100);
  ::close(plain);
  const auto result = run_subprocess({"/bin/ls", "/proc/self/fd"});
  ::close(100);
  ASSERT_TRUE(result) << result.error().message;
  const auto fds = lines_of(result->stdout_text);
  EXPECT_FALSE(fds.count("100")) << result->stdout_text;
  // 0-2, plus the directory ls itself opened to list /proc/self/fd.
  EXPECT_LE(fds.size(), 4u) << result->stdout_text;
  EXPECT_TRUE(fds.count("0") && fds.count("1") && fds.count("2")) << result->stdout_text;
}

TEST(RunSubprocess, StdinIsDevNull) {
  const auto result = run_subprocess({"/bin/readlink", "/proc/self/fd/0"});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_text, "/dev/null\n");
  // A program reading stdin sees end of file at once.
  SubprocessOptions options;
  options.timeout = milliseconds(2000);
  const auto cat = run_subprocess({"/bin/cat"}, options);
  ASSERT_TRUE(cat) << cat.error().message;
  EXPECT_FALSE(cat->timed_out);
  EXPECT_EQ(cat->exit_code, 0);
}

TEST(RunSubprocess, ChildLeadsItsOwnProcessGroup) {
  // Field 5 of /proc/PID/stat is the process group.
  const auto result = run_subprocess({"/bin/sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"});
  ASSERT_TRUE(result) << result.error().message;
  LineSplitter lines(result->stdout_text);
  std::string_view pid;
  std::string_view pgrp;
  ASSERT_TRUE(lines.next(pid));
  ASSERT_TRUE(lines.next(pgrp));
  EXPECT_EQ(pid, pgrp);
  EXPECT_NE(pgrp, std::to_string(::getpgrp()));
}

TEST(RunSubprocess, IgnoredSignalsAreResetInTheChild) {
  // SigIgn in /proc/self/status is the child's ignored-signal mask.
  struct sigaction ignore{};
  struct sigaction previous{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);
  const auto result = run_subprocess({"/bin/grep", "SigIgn", "/proc/self/status"});
  ::sigaction(SIGPIPE, &previous, nullptr);
  ASSERT_TRUE(result) << result.error().message;
  const std::string_view line = trim(result->stdout_text);
  ASSERT_EQ(line.substr(0, 7), "SigIgn:") << line;
  const auto mask = parse_hex_u64(trim(line.substr(7)));
  ASSERT_TRUE(mask) << line;
  // Signal n is bit n-1. Only the classic signals 1-31 are checked: glibc's
  // posix_spawn leaves its internal signals 32/33 ignored across the exec.
  EXPECT_EQ(*mask & (1ull << (SIGPIPE - 1)), 0u) << line;
  EXPECT_EQ(*mask & 0x7FFFFFFFull, 0u) << line;
}

TEST(RunSubprocess, FindsScriptsOnAGivenPath) {
  TempDir dir;
  write_script(dir.path() / "hello", "echo hello \"$1\"");
  SubprocessOptions options;
  options.search_path = "/nonexistent:" + dir.path().string();
  const auto result = run_subprocess({"hello", "world"}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stdout_text, "hello world\n");
}

TEST(FindInPath, FindsTheFirstExecutableRegularFile) {
  TempDir first;
  TempDir second;
  // Not executable, and a directory: both skipped.
  std::ofstream(first.path() / "tool") << "x";
  fs::permissions(first.path() / "tool", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_directory(first.path() / "dirtool");
  fs::permissions(first.path() / "dirtool", fs::perms::owner_all);
  write_script(second.path() / "tool", "true");
  write_script(second.path() / "dirtool", "true");
  const std::string search = first.path().string() + ":" + second.path().string();
  EXPECT_EQ(find_in_path("tool", search), (second.path() / "tool").string());
  EXPECT_EQ(find_in_path("dirtool", search), (second.path() / "dirtool").string());
  EXPECT_FALSE(find_in_path("missing", search));
}

TEST(FindInPath, SkipsEmptyAndRelativeEntries) {
  TempDir dir;
  write_script(dir.path() / "tool", "true");
  const auto cwd = fs::current_path();
  fs::current_path(dir.path());
  // "" and "." both mean the working directory to a shell; never to us.
  EXPECT_FALSE(find_in_path("tool", ":.:relative/dir"));
  EXPECT_FALSE(find_in_path("tool", ""));
  fs::current_path(cwd);
  EXPECT_EQ(find_in_path("tool", "::" + dir.path().string() + "/"), dir.path().string() + "/tool");
}

TEST(FindInPath, NameWithSlashIsUsedAsIs) {
  EXPECT_EQ(find_in_path("/bin/sh", ""), "/bin/sh");
  EXPECT_FALSE(find_in_path("/etc/passwd", "/bin"));  // not executable
  EXPECT_FALSE(find_in_path("/bin", "/"));            // a directory
  EXPECT_FALSE(find_in_path("", "/bin"));
}

TEST(FirstLine, TrimsAndStopsAtNewline) {
  EXPECT_EQ(first_line("\n  sudo: a password is required\nmore\n"), "sudo: a password is required");
  EXPECT_EQ(first_line("one line\r\n"), "one line");
  EXPECT_EQ(first_line(""), "");
  EXPECT_EQ(first_line("   \n\n"), "");
}

}  // namespace
}  // namespace fivenines
