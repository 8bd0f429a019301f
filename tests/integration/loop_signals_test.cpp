// The built binary in continuous mode against tests/servers/api_server.py
// (plain HTTP on 127.0.0.1), stopped and re-probed with real signals, and
// watched through a real NOTIFY_SOCKET.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "integration/loop_test_support.hpp"

namespace fivenines::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* k_token = "integration-token-3f9a";

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

#define SKIP_WITHOUT_SERVER_TOOLS()                                       \
  do {                                                                    \
    if (!find_in_path("python3")) GTEST_SKIP() << "python3 not found (Debian package python3)"; \
  } while (false)

TEST(LoopSignals, SigtermDuringARetryWaitStopsWithinOneSecond) {
  SKIP_WITHOUT_SERVER_TOOLS();
  ScratchDir dir("fivenines-loop");
  ApiServerOptions options;
  options.script = Json::array({{{"status", 500}, {"body", "down for maintenance"}}});
  ApiServer api(options, dir.path());
  ASSERT_TRUE(api.ok()) << api.error();
  write_token(dir.path() / "conf", k_token);
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", api.port()), dir.path());
  ASSERT_TRUE(agent.started());
  // Default request_options: after the failed first attempt, a 5 s wait.
  ASSERT_TRUE(agent.wait_for_log("attempt 1 of 3 failed: http status 500", 20s)) << agent.log_text();
  std::this_thread::sleep_for(500ms);
  const auto start = Clock::now();
  agent.send(SIGTERM);
  const auto code = agent.wait_exit(1000ms);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  ASSERT_TRUE(code) << "still running 1 s after SIGTERM\n" << agent.log_text();
  EXPECT_EQ(*code, 0);
  EXPECT_LT(took, 1000ms);
  EXPECT_EQ(api.records("request").size(), 1u) << "no attempt after the stop";
  const std::string log = agent.log_text();
  EXPECT_NE(log.find("sigterm: stopping"), std::string::npos) << log;
  EXPECT_NE(log.find("body: 'down for maintenance'"), std::string::npos) << log;
  EXPECT_EQ(log.find(k_token), std::string::npos) << log;
}

TEST(LoopSignals, SigintDuringAHungConnectionStopsWithinOneSecond) {
  SKIP_WITHOUT_SERVER_TOOLS();
  ScratchDir dir("fivenines-loop");
  ApiServerOptions options;
  options.script = Json::array({{{"hang", true}}});
  ApiServer api(options, dir.path());
  ASSERT_TRUE(api.ok()) << api.error();
  write_token(dir.path() / "conf", k_token);
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", api.port()), dir.path());
  ASSERT_TRUE(api.wait_for_records("request", 1, 20s)) << agent.log_text();
  std::this_thread::sleep_for(500ms);  // the answer never comes; timeout is 5 s
  const auto start = Clock::now();
  agent.send(SIGINT);
  const auto code = agent.wait_exit(1000ms);
  ASSERT_TRUE(code) << "still running 1 s after SIGINT\n" << agent.log_text();
  EXPECT_EQ(*code, 0);
  EXPECT_LT(Clock::now() - start, 1000ms);
  EXPECT_NE(agent.log_text().find("sigint: stopping"), std::string::npos);
}

TEST(LoopSignals, SighupReprobesCapabilitiesWithoutARestart) {
  SKIP_WITHOUT_SERVER_TOOLS();
  ScratchDir dir("fivenines-loop");
  ApiServerOptions options;
  options.script = Json::array({{{"json", {{"config", {{"enabled", false}}}}}}});
  ApiServer api(options, dir.path());
  ASSERT_TRUE(api.ok()) << api.error();
  write_token(dir.path() / "conf", k_token);
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", api.port(), "info"), dir.path());
  ASSERT_TRUE(agent.wait_for_log("collection not enabled by the api", 20s)) << agent.log_text();
  EXPECT_EQ(occurrences(agent.log_text(), "Capabilities Detection"), 1u);

  agent.send(SIGHUP);
  ASSERT_TRUE(agent.wait_for_log("sighup: re-probing capabilities", 5s));
  const auto deadline = Clock::now() + 15s;
  while (occurrences(agent.log_text(), "Capabilities Detection") < 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(occurrences(agent.log_text(), "Capabilities Detection"), 2u) << agent.log_text();
  // Still the same process, still waiting: no restart, no extra get_config.
  EXPECT_FALSE(agent.wait_exit(300ms));
  EXPECT_EQ(api.records("request").size(), 1u);
  EXPECT_EQ(occurrences(agent.log_text(), "starting: api"), 1u);

  agent.send(SIGTERM);
  const auto code = agent.wait_exit(1000ms);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
}

class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : m_path(path) {
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    m_bound = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() {
    if (m_fd >= 0) ::close(m_fd);
  }
  [[nodiscard]] bool bound() const { return m_bound; }
  // Datagrams until `window` passes (or `until` is received).
  std::vector<std::string> receive(std::chrono::milliseconds window, const std::string& until = {}) {
    std::vector<std::string> out;
    const auto deadline = Clock::now() + window;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      pollfd fd{m_fd, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      out.emplace_back(buffer, static_cast<std::size_t>(n));
      if (!until.empty() && out.back() == until) break;
    }
    return out;
  }

 private:
  fs::path m_path;
  int m_fd = -1;
  bool m_bound = false;
};

TEST(LoopSignals, NotifiesSystemdReadyWatchdogAndStopping) {
  SKIP_WITHOUT_SERVER_TOOLS();
  ScratchDir dir("fivenines-loop");
  NotifySocket socket(dir.path() / "notify");
  ASSERT_TRUE(socket.bound());
  ApiServerOptions options;
  options.script = Json::array({{{"json", {{"config", {{"enabled", false}}}}}}});
  ApiServer api(options, dir.path());
  ASSERT_TRUE(api.ok()) << api.error();
  write_token(dir.path() / "conf", k_token);
  auto env = agent_env(dir.path() / "conf", api.port());
  env["NOTIFY_SOCKET"] = (dir.path() / "notify").string();
  env["WATCHDOG_USEC"] = "1000000";  // ping at least every 0.5 s
  AgentProcess agent({FIVENINES_AGENT_BINARY}, env, dir.path());
  const auto first = socket.receive(20s, "READY=1");
  ASSERT_FALSE(first.empty()) << agent.log_text();
  EXPECT_EQ(first.back(), "READY=1");
  // Now in the 25 s wait for the next get_config: the watchdog is fed.
  const auto during = socket.receive(2500ms);
  std::size_t pings = 0;
  for (const auto& message : during) pings += message == "WATCHDOG=1" ? 1 : 0;
  EXPECT_GE(pings, 4u);
  EXPECT_LE(pings, 12u);
  agent.send(SIGTERM);
  const auto last = socket.receive(2000ms, "STOPPING=1");
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last.back(), "STOPPING=1");
  const auto code = agent.wait_exit(1000ms);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace fivenines::testing
