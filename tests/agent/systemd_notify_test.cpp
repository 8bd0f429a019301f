// sd_notify messages, received on a real unix datagram socket that the test
// binds and points NOTIFY_SOCKET at (as systemd does for Type=notify).
#include "agent/systemd_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.hpp"
#include "support/fake_api_transport.hpp"
#include "support/scratch_dir.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using testing::ScratchDir;

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : m_path(path) {
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    m_bound = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() {
    if (m_fd >= 0) ::close(m_fd);
    ::unlink(m_path.c_str());
  }
  [[nodiscard]] bool bound() const { return m_bound; }

  // Every datagram that arrives within `window`.
  std::vector<std::string> receive(std::chrono::milliseconds window) {
    std::vector<std::string> out;
    const auto deadline = std::chrono::steady_clock::now() + window;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd fd{m_fd, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
      if (n > 0) out.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  std::string m_path;
  int m_fd = -1;
  bool m_bound = false;
};

// Sets (or unsets) the systemd variables for one test.
class NotifyEnvironment {
 public:
  NotifyEnvironment(const std::string& socket, const std::string& watchdog_usec) {
    ::setenv("NOTIFY_SOCKET", socket.c_str(), 1);
    if (watchdog_usec.empty()) {
      ::unsetenv("WATCHDOG_USEC");
      ::unsetenv("WATCHDOG_PID");
    } else {
      ::setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);
      ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    }
  }
  ~NotifyEnvironment() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
};

std::size_t count_of(const std::vector<std::string>& messages, const std::string& text) {
  std::size_t n = 0;
  for (const auto& message : messages) n += message == text ? 1 : 0;
  return n;
}

TEST(SystemdNotifier, SendsReadyWatchdogAndStoppingToNotifySocket) {
  ScratchDir dir;
  NotifySocket socket(dir.file("notify"));
  ASSERT_TRUE(socket.bound());
  const NotifyEnvironment env(dir.file("notify"), "1000000");
  SystemdNotifier notifier;
  EXPECT_EQ(notifier.ping_period(), 500ms);
  notifier.ready();
  notifier.watchdog();
  notifier.watchdog();  // within a tenth of the period: not sent again
  std::this_thread::sleep_for(120ms);
  notifier.watchdog();
  notifier.stopping();
  EXPECT_EQ(socket.receive(200ms), (std::vector<std::string>{"READY=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"}));
}

TEST(SystemdNotifier, WatchdogForAnotherPidIsNotOurs) {
  ScratchDir dir;
  NotifySocket socket(dir.file("notify"));
  const NotifyEnvironment env(dir.file("notify"), "1000000");
  ::setenv("WATCHDOG_PID", "1", 1);
  const SystemdNotifier notifier;
  EXPECT_EQ(notifier.ping_period(), 0ms);
}

TEST(SystemdNotifier, NothingWithoutNotifySocket) {
  ScratchDir dir;
  NotifySocket socket(dir.file("notify"));
  ASSERT_TRUE(socket.bound());
  ::unsetenv("NOTIFY_SOCKET");
  SystemdNotifier notifier;
  EXPECT_EQ(notifier.ping_period(), 0ms);
  notifier.ready();
  notifier.watchdog();
  EXPECT_TRUE(socket.receive(100ms).empty());
}

TEST(SystemdNotifier, AgentSendsReadyAndFeedsTheWatchdogDuringTheDisabledWait) {
  ScratchDir dir;
  NotifySocket socket(dir.file("notify"));
  ASSERT_TRUE(socket.bound());
  // A 400 ms watchdog: the agent must ping at least every 200 ms, also
  // while it waits 25 s (untouched here) for the next get_config.
  const NotifyEnvironment env(dir.file("notify"), "400000");
  std::ofstream(dir.file("TOKEN")) << "tok";
  Settings settings;
  settings.config_dir = dir.str();
  AgentDeps deps;
  deps.make_transport = [] {
    return std::make_unique<testing::FakeApiTransport>([](const testing::RecordedPost&, std::size_t) {
      return testing::reply_status(200, R"({"config": {"enabled": false}})");
    });
  };
  deps.probe_capabilities = [] { return CapabilitySet{}; };
  Agent agent(settings, std::move(deps));
  std::thread runner([&] { (void)agent.run(); });
  const auto messages = socket.receive(1500ms);
  agent.request_stop();
  runner.join();
  const auto tail = socket.receive(100ms);
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.front(), "READY=1");
  EXPECT_EQ(count_of(messages, "READY=1"), 1u);
  // 1.5 s at one ping per <= 200 ms.
  EXPECT_GE(count_of(messages, "WATCHDOG=1"), 7u);
  EXPECT_EQ(count_of(tail, "STOPPING=1"), 1u);
}

}  // namespace
}  // namespace fivenines
