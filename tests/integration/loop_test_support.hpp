// The built agent binary in continuous mode, as a background process the
// test can signal: an explicit environment, stdout and stderr to files, its
// own process group. Plus a CONFIG_DIR with a TOKEN. Test-only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "transport/transport_test_support.hpp"

namespace fivenines::testing {

class AgentProcess {
 public:
  using Clock = std::chrono::steady_clock;

  AgentProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const fs::path& dir, mode_t umask_for_child = 022)
      : m_stdout(dir / "agent.out"), m_stderr(dir / "agent.err") {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, 1, m_stdout.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::posix_spawn_file_actions_addopen(&actions, 2, m_stderr.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    ::posix_spawnattr_setsigmask(&attr, &none);
    sigset_t defaults;
    sigfillset(&defaults);
    ::posix_spawnattr_setsigdefault(&attr, &defaults);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<std::string> env_strings;
    for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    // The umask is inherited: set it for the spawn only.
    const mode_t old_umask = ::umask(umask_for_child);
    pid_t pid = -1;
    if (::posix_spawn(&pid, args[0], &actions, &attr, args.data(), envp.data()) == 0) m_pid = pid;
    ::umask(old_umask);
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;
  ~AgentProcess() {
    if (m_pid > 0 && !m_exit_code) {
      ::kill(-m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }

  [[nodiscard]] bool started() const { return m_pid > 0; }
  [[nodiscard]] pid_t pid() const { return m_pid; }

  // Sends `signal_number` to the agent process itself (not its group:
  // children must not get it, as with systemd's KillMode=mixed).
  void send(int signal_number) const { ::kill(m_pid, signal_number); }

  // The exit code once the process has exited within `timeout` (128 + n
  // for a signal), nullopt if it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    if (m_exit_code) return m_exit_code;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return m_exit_code;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  // Waits until stderr holds `needle` (or the process exits, or `timeout`).
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (log_text().find(needle) != std::string::npos) return true;
      if (wait_exit(std::chrono::milliseconds(0)) || Clock::now() >= deadline) {
        return log_text().find(needle) != std::string::npos;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Continuous mode logs on stdout (wire contract §2.7); stderr holds only
  // what comes before the log is set up (a usage error).
  [[nodiscard]] std::string log_text() const { return read_whole_file(m_stdout); }
  [[nodiscard]] std::string stdout_text() const { return read_whole_file(m_stdout); }
  [[nodiscard]] std::string stderr_text() const { return read_whole_file(m_stderr); }

 private:
  fs::path m_stdout;
  fs::path m_stderr;
  pid_t m_pid = -1;
  std::optional<int> m_exit_code;
};

// A CONFIG_DIR holding TOKEN (mode 0600, as installers write it).
inline void write_token(const fs::path& config_dir, const std::string& token, mode_t mode = 0600) {
  fs::create_directories(config_dir);
  const fs::path path = config_dir / "TOKEN";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << token;
  ::chmod(path.c_str(), mode);
}

// Permission bits of `path` (not following a symlink), 0 when absent.
inline mode_t mode_of(const fs::path& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

// Inode of `path` (not following a symlink), 0 when absent.
inline ino_t inode_of(const fs::path& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Names in `dir` that look like a temp file of an interrupted write.
inline std::vector<std::string> temp_files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) out.push_back(name);
  }
  return out;
}

// Everything the agent wrote (stdout and stderr), for "never logs X" checks.
inline std::string whole_output(const AgentProcess& agent) { return agent.stdout_text() + agent.stderr_text(); }

// The environment for the agent: only what is given, plus a PATH.
inline std::map<std::string, std::string> agent_env(const fs::path& config_dir, std::uint16_t api_port,
                                                    const std::string& log_level = "debug") {
  return {{"CONFIG_DIR", config_dir.string()},
          {"API_URL", "127.0.0.1:" + std::to_string(api_port)},
          {"LOG_LEVEL", log_level},
          {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
          {"HOME", config_dir.string()}};
}

}  // namespace fivenines::testing
