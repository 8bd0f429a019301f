// Test-only helpers to run the servers of tests/servers/ on loopback: the
// scripted API (api_server.py), the CONNECT proxy (connect_proxy.py), the
// tiny DNS server (dns_server.py), and a throw-away PKI made with the
// openssl CLI (make_test_pki.sh). Any test can include this
// ("transport/transport_test_support.hpp"); it needs python3 and openssl,
// and reports what is missing as a skip reason.
//
// Background servers are started with posix_spawn in their own process
// group, stdout and stderr to files in a scratch directory; a server prints
// its port as its first stdout line. They are stopped (SIGTERM, then
// SIGKILL) when their object dies. Test-only: the agent's own spawning goes
// through platform/subprocess.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "platform/subprocess.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace fivenines::testing {

namespace fs = std::filesystem;
using Json = nlohmann::json;

inline fs::path servers_dir() { return fs::path(FIVENINES_SOURCE_DIR) / "tests" / "servers"; }

inline std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_whole_file(const fs::path& path, const std::string& text) {
  // Written next to the target and renamed, so a reader never sees half of it.
  const fs::path temporary = path.string() + ".tmp";
  std::ofstream(temporary, std::ios::binary | std::ios::trunc) << text;
  fs::rename(temporary, path);
}

// Parses a JSON-lines file; lines that are not JSON (a partial last line) are skipped.
inline std::vector<Json> read_json_lines(const fs::path& path) {
  std::vector<Json> out;
  std::istringstream lines(read_whole_file(path));
  std::string line;
  while (std::getline(lines, line)) {
    Json value = Json::parse(line, nullptr, false);
    if (!value.is_discarded()) out.push_back(std::move(value));
  }
  return out;
}

// A fresh directory under TMPDIR, removed with its content at the end.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "fivenines-transport") {
    std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) != nullptr) m_path = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    if (!m_path.empty()) fs::remove_all(m_path, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

// A long-running child: argv[0] looked up on PATH, stdin /dev/null, stdout
// and stderr to files, its own process group.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const fs::path& stdout_path, const fs::path& stderr_path)
      : m_stdout(stdout_path), m_stderr(stderr_path) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    ::posix_spawnattr_setsigmask(&attr, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    ::posix_spawnattr_setsigdefault(&attr, &defaults);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    if (::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ) == 0) m_pid = pid;
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess() { stop(); }

  [[nodiscard]] bool started() const { return m_pid > 0; }
  // The child's process id while it has not been reaped, else -1.
  [[nodiscard]] pid_t pid() const { return m_pid; }

  // True while the child has not exited (reaps it when it has).
  bool running() {
    if (m_pid <= 0) return false;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      return false;
    }
    return true;
  }

  // The first stdout line, once written; nullopt when the child exits or
  // `timeout` passes first.
  std::optional<std::string> first_line(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    return wait_for(m_stdout, "\n", timeout, true);
  }

  // Waits until stdout or stderr holds `needle`.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (read_whole_file(m_stdout).find(needle) != std::string::npos) return true;
      if (read_whole_file(m_stderr).find(needle) != std::string::npos) return true;
      if (!running() || std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  [[nodiscard]] std::string stderr_text() const { return read_whole_file(m_stderr); }

  // SIGTERM to the group, up to 3 s to exit, then SIGKILL.
  void stop() {
    if (m_pid <= 0) return;
    ::kill(-m_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    int status = 0;
    while (::waitpid(m_pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(-m_pid, SIGKILL);
        ::waitpid(m_pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_pid = -1;
  }

 private:
  std::optional<std::string> wait_for(const fs::path& path, const std::string& end, std::chrono::milliseconds timeout,
                                      bool first_line_only) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const std::string text = read_whole_file(path);
      if (const auto at = text.find(end); at != std::string::npos) {
        return first_line_only ? text.substr(0, at) : text;
      }
      if (!running() || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  pid_t m_pid = -1;
  fs::path m_stdout;
  fs::path m_stderr;
};

// Empty when python3 and openssl are on PATH, else the skip reason.
inline std::string missing_server_tools() {
  if (!find_in_path("python3")) return "python3 not found (Debian package python3)";
  if (!find_in_path("openssl")) return "openssl not found (Debian package openssl)";
  return {};
}

// One PKI per test process, for api.test, a.test, aaaa.test, v6only.test,
// hosts.test, localhost.example.com, 127.0.0.2 and ::2 (see make_test_pki.sh for the files).
class TestPki {
 public:
  static const TestPki& get() {
    static const TestPki pki;  // test-only: made once, removed at exit
    return pki;
  }
  [[nodiscard]] bool ok() const { return m_error.empty(); }
  [[nodiscard]] const std::string& error() const { return m_error; }
  [[nodiscard]] fs::path file(const std::string& name) const { return m_dir.path() / name; }
  [[nodiscard]] std::string ca() const { return file("ca.pem").string(); }
  [[nodiscard]] std::string permissive_conf() const { return file("permissive_openssl.cnf").string(); }

 private:
  TestPki() : m_dir("fivenines-pki") {
    if (const std::string missing = missing_server_tools(); !missing.empty()) {
      m_error = missing;
      return;
    }
    SubprocessOptions options;
    options.timeout = std::chrono::seconds(60);
    auto run = run_subprocess({"bash", (servers_dir() / "make_test_pki.sh").string(), m_dir.path().string(),
                               "api.test", "a.test", "aaaa.test", "v6only.test", "hosts.test",
                               "localhost.example.com", "127.0.0.2", "::2"},
                              options);
    if (!run) {
      m_error = run.error().message;
    } else if (!run->succeeded()) {
      m_error = "make_test_pki.sh failed: " + run->stderr_text;
    }
  }
  ScratchDir m_dir;
  std::string m_error;
};

// A server from tests/servers/ that prints its port first.
class PortServer {
 public:
  // `prefix`: argv to put before "python3 script ..." (e.g. ip netns exec NAME).
  PortServer(const std::string& script, std::vector<std::string> args, const fs::path& dir, const std::string& name,
             const std::vector<std::string>& prefix = {})
      : m_log(dir / (name + ".jsonl")) {
    std::vector<std::string> argv = prefix;
    argv.push_back("python3");
    argv.push_back((servers_dir() / script).string());
    argv.push_back("--log");
    argv.push_back(m_log.string());
    argv.insert(argv.end(), args.begin(), args.end());
    m_process = std::make_unique<BackgroundProcess>(argv, dir / (name + ".out"), dir / (name + ".err"));
    if (auto line = m_process->first_line()) {
      m_port = static_cast<std::uint16_t>(std::stoi(*line));
    } else {
      m_error = script + " did not start: " + m_process->stderr_text();
    }
  }
  [[nodiscard]] bool ok() const { return m_port != 0; }
  [[nodiscard]] const std::string& error() const { return m_error; }
  [[nodiscard]] std::uint16_t port() const { return m_port; }
  [[nodiscard]] const fs::path& log_path() const { return m_log; }
  [[nodiscard]] std::vector<Json> records() const { return read_json_lines(m_log); }
  // Records whose "kind" is `kind` (all records of the DNS server have none).
  [[nodiscard]] std::vector<Json> records(const std::string& kind) const {
    std::vector<Json> out;
    for (auto& record : records()) {
      if (record.value("kind", "") == kind) out.push_back(record);
    }
    return out;
  }
  // Waits until at least `count` records of `kind` ("" = any) are logged.
  bool wait_for_records(const std::string& kind, std::size_t count,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if ((kind.empty() ? records().size() : records(kind).size()) >= count) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void stop() { m_process->stop(); }

 private:
  fs::path m_log;
  std::unique_ptr<BackgroundProcess> m_process;
  std::uint16_t m_port = 0;
  std::string m_error;
};

struct ApiServerOptions {
  std::string bind = "127.0.0.1";
  std::string cert;   // "good", "expired", ... (a TestPki file stem); empty = plain HTTP
  bool tls_max_1_1 = false;
  std::string tls12_ciphers;  // non-empty: only TLS 1.2 with these suites
  bool stall = false;  // accept and never answer (not even the TLS handshake)
  std::uint16_t port = 0;  // 0: any free port
  Json script;        // null = the server's default (200 {"config": {}})
  std::vector<std::string> prefix;  // e.g. {"ip", "netns", "exec", NAME}
};

// api_server.py: see the top of tests/servers/api_server.py.
class ApiServer : public PortServer {
 public:
  ApiServer(const ApiServerOptions& options, const fs::path& dir, const std::string& name = "api")
      : PortServer("api_server.py", arguments(options, dir, name), dir, name, options.prefix),
        m_script(dir / (name + "-script.json")) {}

  // Replaces the answer script; the next request uses its first entry.
  void set_script(const Json& script) const { write_whole_file(m_script, script.dump()); }

 private:
  static std::vector<std::string> arguments(const ApiServerOptions& options, const fs::path& dir,
                                            const std::string& name) {
    const fs::path script = dir / (name + "-script.json");
    write_whole_file(script, options.script.is_null() ? "" : options.script.dump());
    std::vector<std::string> args{"--bind", options.bind, "--script", script.string()};
    if (!options.cert.empty()) {
      const auto& pki = TestPki::get();
      args.insert(args.end(), {"--cert", pki.file(options.cert + ".pem").string(), "--key",
                               pki.file(options.cert + ".key").string()});
    }
    if (options.tls_max_1_1) args.insert(args.end(), {"--tls-max", "1.1"});
    if (!options.tls12_ciphers.empty()) args.insert(args.end(), {"--tls12-ciphers", options.tls12_ciphers});
    if (options.stall) args.push_back("--stall");
    if (options.port != 0) args.insert(args.end(), {"--port", std::to_string(options.port)});
    return args;
  }
  fs::path m_script;
};

// Value of the first header named `name` (case-insensitive) in a request record.
inline std::optional<std::string> header_value(const Json& request, const std::string& name) {
  for (const auto& header : request.at("headers")) {
    const auto key = header.at(0).get<std::string>();
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return header.at(1).get<std::string>();
    }
  }
  return std::nullopt;
}

// True when the host has a usable ::1 (IPv6 may be off in a container).
inline bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace fivenines::testing
