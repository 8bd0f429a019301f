// Test-only helpers for the loopback rules of the config validator and the
// loopback HTTP client:
//   SpawnedServer   a server script from tests/servers/ run with python3,
//                   which prints its port as its first stdout line;
//   CanaryListener  a TCP (any loopback address) or unix-socket listener in
//                   this process that only counts the connections it gets:
//                   a test asserts it got none;
//   PostgresServer  a real PostgreSQL server (Debian's postgresql package)
//                   initialised in a temporary directory and run as
//                   'nobody' on 127.0.0.1 and ::1.
// Test-only: the agent's own spawning goes through platform/subprocess.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace fivenines::testing {

inline std::filesystem::path test_servers_dir() {
  return std::filesystem::path(FIVENINES_SOURCE_DIR) / "tests" / "servers";
}

// The first of `names` found as an executable in /usr/bin, /bin or
// /usr/local/bin; "" when none is.
inline std::string find_program(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
      const std::string path = std::string(dir) + "/" + name;
      if (::access(path.c_str(), X_OK) == 0) return path;
    }
  }
  return "";
}

class SpawnedServer {
 public:
  // Runs `python3 tests/servers/<script> args...`; port() is 0 when it did
  // not start (error() says why).
  SpawnedServer(const std::string& script, const std::vector<std::string>& args) {
    const std::string python = find_program({"python3"});
    if (python.empty()) {
      m_error = "python3 not found (Debian package python3)";
      return;
    }
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      m_error = "pipe failed";
      return;
    }
    std::vector<std::string> words = {python, (test_servers_dir() / script).string()};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawned != 0) {
      ::close(out[0]);
      m_error = "spawn python3 failed";
      return;
    }
    m_pid = pid;
    // The port line, within 10 s.
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd fd{out[0], POLLIN, 0};
      if (::poll(&fd, 1, 100) <= 0) continue;
      char buffer[64];
      const ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n <= 0) break;
      line.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    try {
      m_port = std::stoi(line);
    } catch (...) {
      m_error = script + " printed no port";
    }
  }
  SpawnedServer(const SpawnedServer&) = delete;
  SpawnedServer& operator=(const SpawnedServer&) = delete;
  ~SpawnedServer() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] const std::string& error() const { return m_error; }

 private:
  pid_t m_pid = -1;
  int m_port = 0;
  std::string m_error;
};

class CanaryListener {
 public:
  // TCP on `address` (e.g. "127.0.0.2", "::1"), on `port` or, when 0, a
  // port chosen by the kernel.
  static CanaryListener tcp(const std::string& address, int port = 0) {
    CanaryListener canary;
    const bool v6 = address.find(':') != std::string::npos;
    canary.m_fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (canary.m_fd < 0) return canary;
    const int one = 1;
    ::setsockopt(canary.m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v6) {
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(static_cast<std::uint16_t>(port));
      ::inet_pton(AF_INET6, address.c_str(), &sa.sin6_addr);
      if (::bind(canary.m_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return canary.failed();
      socklen_t length = sizeof sa;
      ::getsockname(canary.m_fd, reinterpret_cast<sockaddr*>(&sa), &length);
      canary.m_port = ntohs(sa.sin6_port);
    } else {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<std::uint16_t>(port));
      ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
      if (::bind(canary.m_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return canary.failed();
      socklen_t length = sizeof sa;
      ::getsockname(canary.m_fd, reinterpret_cast<sockaddr*>(&sa), &length);
      canary.m_port = ntohs(sa.sin_port);
    }
    if (::listen(canary.m_fd, 16) != 0) return canary.failed();
    canary.start();
    return canary;
  }

  // A unix stream socket at `path` (removed again at the end).
  static CanaryListener unix_socket(const std::string& path) {
    CanaryListener canary;
    canary.m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (canary.m_fd < 0 || path.size() >= sizeof sa.sun_path) return canary.failed();
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::bind(canary.m_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(canary.m_fd, 16) != 0) {
      return canary.failed();
    }
    canary.m_unix_path = path;
    canary.start();
    return canary;
  }

  CanaryListener(CanaryListener&& other) noexcept { *this = std::move(other); }
  CanaryListener& operator=(CanaryListener&& other) noexcept {
    stop();
    m_fd = std::exchange(other.m_fd, -1);
    m_port = other.m_port;
    m_unix_path = std::move(other.m_unix_path);
    other.m_unix_path.clear();
    m_state = std::move(other.m_state);
    m_thread = std::move(other.m_thread);
    return *this;
  }
  ~CanaryListener() { stop(); }

  [[nodiscard]] bool ok() const { return m_state != nullptr; }
  [[nodiscard]] int port() const { return m_port; }
  // Connections accepted so far (after a short grace period for ones in flight).
  [[nodiscard]] int connections() const {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return m_state ? m_state->accepted.load() : 0;
  }

 private:
  struct State {
    std::atomic<int> accepted{0};
    std::atomic<bool> stopping{false};
  };

  CanaryListener() = default;

  CanaryListener failed() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    return std::move(*this);
  }

  void start() {
    m_state = std::make_unique<State>();
    State* state = m_state.get();
    const int fd = m_fd;
    m_thread = std::thread([state, fd] {
      while (!state->stopping.load()) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) {
          state->accepted.fetch_add(1);
          ::close(client);
        }
      }
    });
  }

  void stop() {
    if (m_state) m_state->stopping.store(true);
    if (m_thread.joinable()) m_thread.join();
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    if (!m_unix_path.empty()) ::unlink(m_unix_path.c_str());
    m_unix_path.clear();
  }

  int m_fd = -1;
  int m_port = 0;
  std::string m_unix_path;
  std::unique_ptr<State> m_state;
  std::thread m_thread;
};

// The bin directory of the newest PostgreSQL server Debian installed
// (/usr/lib/postgresql/<major>/bin with initdb and postgres); "" if none.
inline std::string postgres_bin_dir() {
  std::string best;
  int best_major = -1;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
    const auto bin = entry.path() / "bin";
    if (::access((bin / "initdb").c_str(), X_OK) != 0 || ::access((bin / "postgres").c_str(), X_OK) != 0) continue;
    int major = 0;
    try {
      major = std::stoi(entry.path().filename().string());
    } catch (...) {
      continue;
    }
    if (major > best_major) {
      best_major = major;
      best = bin.string();
    }
  }
  return best;
}

class PostgresServer {
 public:
  // initdb (user "postgres" with `password`, scram-sha-256 for every
  // connection), then postgres listening on 127.0.0.1 and ::1 on a free
  // port, both as 'nobody' when the test runs as root. port() is 0 when it
  // did not start; error() says why (and holds the server log's tail).
  explicit PostgresServer(const std::string& password) {
    const std::string bin = postgres_bin_dir();
    if (bin.empty()) {
      m_error = "postgresql server binaries not found under /usr/lib/postgresql (Debian package postgresql)";
      return;
    }
    std::string pattern = "/tmp/fivenines-pg-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      m_error = "mkdtemp failed";
      return;
    }
    m_dir = pattern;
    std::ofstream(m_dir / "pw") << password << "\n";
    if (::geteuid() == 0) {
      if (::chown(m_dir.c_str(), 65534, 65534) != 0 || ::chown((m_dir / "pw").c_str(), 65534, 65534) != 0) {
        m_error = "chown to nobody failed";
        return;
      }
    }
    const std::string data = (m_dir / "data").string();
    const int initdb = run_and_wait({bin + "/initdb", "-D", data, "-U", "postgres", "-A", "scram-sha-256",
                                     "--pwfile=" + (m_dir / "pw").string(), "-E", "UTF8", "--no-sync",
                                     "--no-instructions"},
                                    (m_dir / "initdb.log").string(), std::chrono::seconds(90));
    if (initdb != 0) {
      m_error = "initdb failed (" + std::to_string(initdb) + "): " + tail(m_dir / "initdb.log");
      return;
    }
    m_port = free_port();
    m_pid = spawn({bin + "/postgres", "-D", data, "-p", std::to_string(m_port), "-c", "listen_addresses=127.0.0.1,::1",
                   "-c", "unix_socket_directories=" + m_dir.string(), "-c", "fsync=off", "-c", "ssl=off", "-c",
                   "shared_buffers=16MB", "-c", "max_connections=20", "-c", "log_connections=on"},
                  (m_dir / "postgres.log").string());
    const std::string port_text = std::to_string(m_port);
    const char* keys[] = {"hostaddr", "port", "dbname", "user", "connect_timeout", nullptr};
    const char* values[] = {"127.0.0.1", port_text.c_str(), "postgres", "postgres", "2", nullptr};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    // PQPING_OK and PQPING_REJECT both mean the postmaster answers; only
    // "accepting connections" counts as up.
    while (std::chrono::steady_clock::now() < deadline) {
      if (m_pid > 0 && ::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
        m_pid = -1;
        break;
      }
      if (PQpingParams(keys, values, 0) == PQPING_OK) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    m_error = "postgres did not start: " + tail(m_dir / "postgres.log");
    m_port = 0;
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGINT);  // fast shutdown
      for (int i = 0; i < 200; ++i) {
        if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
          m_pid = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
      }
    }
    if (!m_dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(m_dir, ignored);
    }
  }

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] const std::string& error() const { return m_error; }
  // The server's log so far (connections are logged).
  [[nodiscard]] std::string log() const {
    std::ifstream in(m_dir / "postgres.log", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  static std::string tail(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t length = sizeof sa;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &length) == 0) {
      port = ntohs(sa.sin_port);
    }
    ::close(fd);
    return port;
  }

  // fork + exec `words` as nobody (when root), stdout and stderr to `log`,
  // killed if this process dies. Only async-signal-safe calls in the child.
  static pid_t spawn(std::vector<std::string> words, const std::string& log) {
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    const bool root = ::geteuid() == 0;
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    if (root && (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
                 ::setresuid(65534, 65534, 65534) != 0)) {
      ::_exit(126);
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // after setresuid, which clears it
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (::chdir("/tmp") != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }

  static int run_and_wait(std::vector<std::string> words, const std::string& log, std::chrono::seconds limit) {
    const pid_t pid = spawn(std::move(words), log);
    if (pid < 0) return -1;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) != pid) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return -2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::filesystem::path m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
  std::string m_error;
};

}  // namespace fivenines::testing
