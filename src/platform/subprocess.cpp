#include "platform/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

#include "platform/file_read.hpp"
#include "util/text.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace fivenines {

namespace {

using Clock = std::chrono::steady_clock;

// Variables that change what the dynamic loader does in the child; a
// packaged agent may carry its own LD_LIBRARY_PATH that would break system
// tools (wire contract §2.3).
constexpr std::array<std::string_view, 5> k_loader_variables = {
    "LD_LIBRARY_PATH", "LD_PRELOAD", "LIBPATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH",
};

// How long to wait for a SIGKILLed group leader before handing it to a
// reaper thread (a process in uninterruptible sleep dies only when its I/O
// returns, e.g. smartctl stuck on a failing disk).
constexpr auto k_reap_grace = std::chrono::seconds(2);

bool is_executable_file(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }

  [[nodiscard]] int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }
  void reset(int fd = -1) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = fd;
  }

 private:
  int m_fd = -1;
};

// Moves `fd` to a number >= 3 (close-on-exec kept): when the agent runs with
// a closed stdin/stdout, pipe2() may hand out 0-2, and dup2(fd, same fd) in
// the child would then leave close-on-exec set on older C libraries.
Status lift_above_stdio(Fd& fd) {
  if (fd.get() > 2) return Ok{};
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return error_from_errno(errno, "subprocess: fcntl");
  fd.reset(moved);
  return Ok{};
}

struct Pipe {
  Fd read_end;
  Fd write_end;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return error_from_errno(errno, "subprocess: pipe");
  Pipe pipe{Fd(fds[0]), Fd(fds[1])};
  if (auto status = lift_above_stdio(pipe.read_end); !status) return status.error();
  if (auto status = lift_above_stdio(pipe.write_end); !status) return status.error();
  // Our end never blocks: poll() says when to read.
  const int flags = ::fcntl(pipe.read_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(pipe.read_end.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return error_from_errno(errno, "subprocess: fcntl");
  }
  return pipe;
}

bool is_denied(std::string_view name, const SubprocessOptions& options) {
  if (std::find(k_loader_variables.begin(), k_loader_variables.end(), name) != k_loader_variables.end()) return true;
  if (options.search_path && name == "PATH") return true;  // replaced below
  return std::any_of(options.env_deny.begin(), options.env_deny.end(),
                     [&](const std::string& denied) { return denied == name; });
}

// RAII for the posix_spawn attribute objects.
class SpawnSetup {
 public:
  SpawnSetup() {
    m_actions_ok = ::posix_spawn_file_actions_init(&m_actions) == 0;
    m_attr_ok = ::posix_spawnattr_init(&m_attr) == 0;
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    if (m_actions_ok) ::posix_spawn_file_actions_destroy(&m_actions);
    if (m_attr_ok) ::posix_spawnattr_destroy(&m_attr);
  }
  [[nodiscard]] bool ok() const { return m_actions_ok && m_attr_ok; }
  posix_spawn_file_actions_t* actions() { return &m_actions; }
  posix_spawnattr_t* attr() { return &m_attr; }

 private:
  posix_spawn_file_actions_t m_actions{};
  posix_spawnattr_t m_attr{};
  bool m_actions_ok = false;
  bool m_attr_ok = false;
};

// One captured stream.
struct Stream {
  Fd fd;
  std::string* text = nullptr;
  bool* truncated = nullptr;
};

// Reads what is available now; returns false at end of file or on error.
bool drain(Stream& stream, std::size_t cap_bytes) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(stream.fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      const auto got = static_cast<std::size_t>(n);
      const std::size_t room = cap_bytes > stream.text->size() ? cap_bytes - stream.text->size() : 0;
      stream.text->append(buffer, std::min(room, got));
      if (got > room) *stream.truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF, or an error we cannot recover from
  }
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 60'000 ? 60'000 : static_cast<int>(left);
}

void sleep_for(std::chrono::milliseconds duration) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(duration.count() / 1000);
  ts.tv_nsec = static_cast<long>((duration.count() % 1000) * 1'000'000);
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

enum class WaitOutcome {
  reaped,   // status filled in
  running,  // still running at the deadline
  lost,     // no such child: SIGCHLD is ignored (auto-reap) or someone else reaped it
};

// Polls waitpid() until the child is reaped or `deadline` passes.
WaitOutcome wait_until(pid_t pid, Clock::time_point deadline, int& status) {
  auto step = std::chrono::milliseconds(1);
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return WaitOutcome::reaped;
    if (done < 0 && errno != EINTR) return WaitOutcome::lost;
    const auto now = Clock::now();
    if (now >= deadline) return WaitOutcome::running;
    sleep_for(std::min<std::chrono::milliseconds>(
        step, std::chrono::ceil<std::chrono::milliseconds>(deadline - now)));
    step = std::min(step * 2, std::chrono::milliseconds(20));
  }
}

// Kills the child's process group and reaps the child. A child that does
// not die within the grace period is left to a detached thread that blocks
// in waitpid() for it, so it never stays a zombie.
WaitOutcome kill_and_reap(pid_t pid, int& status) {
  ::kill(-pid, SIGKILL);  // the child leads its own group (POSIX_SPAWN_SETPGROUP, 0)
  ::kill(pid, SIGKILL);   // in case it left the group
  const WaitOutcome outcome = wait_until(pid, Clock::now() + k_reap_grace, status);
  if (outcome != WaitOutcome::running) return outcome;
  try {
    std::thread([pid] {
      int ignored = 0;
      while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
      }
    }).detach();
  } catch (...) {
    // No thread to spare: the zombie is reaped when the agent exits.
  }
  return outcome;
}

}  // namespace

std::optional<std::string> find_in_path(std::string_view name, std::string_view search_path) {
  if (name.empty() || name.find('\0') != std::string_view::npos) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::string path(name);
    if (is_executable_file(path)) return path;
    return std::nullopt;
  }
  std::string candidate;
  while (true) {
    const std::size_t colon = search_path.find(':');
    const std::string_view dir = search_path.substr(0, colon);
    if (!dir.empty() && dir.front() == '/' && dir.find('\0') == std::string_view::npos) {
      candidate.assign(dir);
      if (candidate.back() != '/') candidate += '/';
      candidate += name;
      if (is_executable_file(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) break;
    search_path.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::optional<std::string> find_in_path(std::string_view name) {
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read-only after start-up
  return find_in_path(name, path != nullptr ? std::string_view(path) : std::string_view());
}

std::string_view first_line(std::string_view text) {
  text = trim(text);
  return trim(text.substr(0, text.find('\n')));
}

Result<SubprocessResult> run_subprocess(const std::vector<std::string>& argv, const SubprocessOptions& options) {
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  if (argv.empty()) return make_error(ErrorKind::invalid_config, "run: empty command");
  for (const auto& arg : argv) {
    if (arg.find('\0') != std::string::npos) return make_error(ErrorKind::invalid_config, "run " + argv[0] + ": nul byte in argument");
  }

  std::optional<std::string> program;
  if (options.search_path) {
    program = find_in_path(argv[0], *options.search_path);
  } else {
    program = find_in_path(argv[0]);
  }
  if (!program) return make_error(ErrorKind::absent, "run " + argv[0] + ": not found in PATH");

  // Everything the child needs is built before the spawn.
  std::vector<char*> child_argv;
  child_argv.reserve(argv.size() + 1);
  for (const auto& arg : argv) child_argv.push_back(const_cast<char*>(arg.c_str()));  // posix_spawn does not write
  child_argv.push_back(nullptr);

  std::string path_entry;
  std::vector<char*> child_env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    if (is_denied(text.substr(0, equals), options)) continue;
    child_env.push_back(*entry);
  }
  if (options.search_path) {
    path_entry = "PATH=" + *options.search_path;
    child_env.push_back(path_entry.data());
  }
  child_env.push_back(nullptr);

  SubprocessResult result;
  std::array<Stream, 2> streams;
  streams[0].text = &result.stdout_text;
  streams[0].truncated = &result.stdout_truncated;
  streams[1].text = &result.stderr_text;
  streams[1].truncated = &result.stderr_truncated;
  const std::array<OutputMode, 2> modes = {options.stdout_mode, options.stderr_mode};

  SpawnSetup setup;
  if (!setup.ok()) return make_error(ErrorKind::io, "run " + argv[0] + ": posix_spawn setup failed");
  auto* actions = setup.actions();
  int rc = ::posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
  std::array<Fd, 2> write_ends;
  for (std::size_t i = 0; i < 2 && rc == 0; ++i) {
    const int target = static_cast<int>(i) + 1;
    if (modes[i] == OutputMode::discard) {
      rc = ::posix_spawn_file_actions_addopen(actions, target, "/dev/null", O_WRONLY, 0);
      continue;
    }
    auto pipe = make_pipe();
    if (!pipe) return make_error(pipe.error().kind, "run " + argv[0] + ": " + pipe.error().message);
    streams[i].fd = std::move(pipe->read_end);
    write_ends[i] = std::move(pipe->write_end);
    rc = ::posix_spawn_file_actions_adddup2(actions, write_ends[i].get(), target);
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Belt and braces: every fd we open is close-on-exec, but a library
  // linked into the agent may not be so careful.
  if (rc == 0) rc = ::posix_spawn_file_actions_addclosefrom_np(actions, 3);
#endif
  auto* attr = setup.attr();
  sigset_t no_signals;
  sigset_t all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  if (rc == 0) {
    rc = ::posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  if (rc == 0) rc = ::posix_spawnattr_setpgroup(attr, 0);  // own group, so a timeout kills grandchildren too
  if (rc == 0) rc = ::posix_spawnattr_setsigmask(attr, &no_signals);
  // The agent ignores SIGPIPE; an ignored signal survives exec, so reset all.
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(attr, &all_signals);
  if (rc != 0) return error_from_errno(rc, "run " + argv[0] + ": posix_spawn setup");

  pid_t pid = -1;
  rc = ::posix_spawn(&pid, program->c_str(), actions, attr, child_argv.data(), child_env.data());
  if (rc != 0) return error_from_errno(rc, "run " + *program);
  for (auto& end : write_ends) end.reset();  // only the child writes now

  // Read both streams until they close or the deadline passes.
  for (;;) {
    std::array<pollfd, 2> fds{};
    std::array<std::size_t, 2> which{};
    nfds_t count = 0;
    for (std::size_t i = 0; i < 2; ++i) {
      if (streams[i].fd.get() < 0) continue;
      fds[count] = pollfd{streams[i].fd.get(), POLLIN, 0};
      which[count++] = i;
    }
    if (count == 0) break;
    const int wait_ms = remaining_ms(deadline);
    if (wait_ms == 0) {
      result.timed_out = true;
      break;
    }
    const int ready = ::poll(fds.data(), count, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      result.timed_out = true;  // cannot watch the child any more: treat as overdue
      break;
    }
    for (nfds_t k = 0; k < count; ++k) {
      if (fds[k].revents == 0) continue;
      Stream& stream = streams[which[k]];
      if (!drain(stream, options.max_output_bytes)) stream.fd.reset();
    }
  }

  int status = 0;
  WaitOutcome outcome = WaitOutcome::running;
  if (!result.timed_out) {
    outcome = wait_until(pid, deadline, status);
    if (outcome == WaitOutcome::running) result.timed_out = true;
  }
  if (result.timed_out) outcome = kill_and_reap(pid, status);
  for (auto& stream : streams) stream.fd.reset();

  if (outcome == WaitOutcome::lost) {
    return make_error(ErrorKind::io, "run " + *program + ": exit status lost (is SIGCHLD ignored?)");
  }
  if (outcome == WaitOutcome::reaped && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (outcome == WaitOutcome::reaped && WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  } else {
    result.term_signal = SIGKILL;  // killed; its status goes to the reaper thread
  }
  return result;
}

}  // namespace fivenines
