// The built binary in continuous mode against tests/servers/api_server.py
// (plain HTTP on 127.0.0.1): start-up, TOKEN errors, the get_config
// exchange and the first payload, the token swap, and what children see.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "integration/loop_test_support.hpp"

namespace fivenines::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_token = "integration-token-77c1";

bool has_python() { return find_in_path("python3").has_value(); }

Json enabled_config() { return {{"enabled", true}, {"interval", 30}, {"cpu", true}, {"memory", true}}; }

TEST(LoopBootstrap, MissingTokenExits2WithOneLineNamingThePath) {
  ScratchDir dir("fivenines-loop");
  fs::create_directories(dir.path() / "conf");
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", 9), dir.path());
  const auto code = agent.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  const std::string log = agent.log_text();
  EXPECT_NE(log.find("token file " + (dir.path() / "conf" / "TOKEN").string() + ": does not exist"),
            std::string::npos)
      << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
}

TEST(LoopBootstrap, TokenWithAControlCharacterInsideExits2) {
  ScratchDir dir("fivenines-loop");
  write_token(dir.path() / "conf", "abc\x01xyz\n");
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", 9), dir.path());
  const auto code = agent.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_NE(agent.log_text().find("TOKEN: holds whitespace or a control character"), std::string::npos)
      << agent.log_text();
}

TEST(LoopBootstrap, AsksForTheConfigThenSendsTheFirstPayload) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ScratchDir dir("fivenines-loop");
  ApiServerOptions options;
  options.script = Json::array({{{"json", {{"config", enabled_config()}}}}});
  ApiServer api(options, dir.path());
  ASSERT_TRUE(api.ok()) << api.error();
  write_token(dir.path() / "conf", std::string(k_token) + "\n");
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", api.port()), dir.path());
  ASSERT_TRUE(api.wait_for_records("request", 2, 20s)) << agent.log_text();
  agent.send(SIGTERM);
  const auto code = agent.wait_exit(2s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
  // Continuous mode logs, banner included, on stdout as the reference agent
  // does (wire contract §2.7); stderr stays empty.
  EXPECT_NE(agent.log_text().find("[INFO][thread#"), std::string::npos) << agent.log_text();
  EXPECT_NE(agent.log_text().find("Capabilities Detection"), std::string::npos) << agent.log_text();
  EXPECT_EQ(agent.stderr_text(), "");

  const auto requests = api.records("request");
  ASSERT_GE(requests.size(), 2u);
  for (const auto& request : requests) {
    EXPECT_EQ(request["method"], "POST");
    EXPECT_EQ(request["path"], "/collect");
    EXPECT_EQ(request["gzip_ok"], true);
    EXPECT_EQ(header_value(request, "Authorization"), std::string("Bearer ") + k_token);
  }
  const Json config_request = Json::parse(requests[0]["body"].get<std::string>());
  EXPECT_EQ(config_request["get_config"], true);
  EXPECT_FALSE(config_request.contains("ts"));
  const Json payload = Json::parse(requests[1]["body"].get<std::string>());
  EXPECT_FALSE(payload.contains("get_config"));
  EXPECT_TRUE(payload["ts"].is_number_float());
  EXPECT_TRUE(payload["cpu"].is_array());
  EXPECT_TRUE(payload["memory"].is_object());
  EXPECT_TRUE(payload["load_average"].is_array());
  EXPECT_FALSE(payload.contains("processes"));
  // MACHINE_ID was created (0600) and rides in both bodies.
  const fs::path machine_id = dir.path() / "conf" / "MACHINE_ID";
  ASSERT_TRUE(fs::exists(machine_id));
  EXPECT_EQ(mode_of(machine_id), 0600u);
  EXPECT_EQ(config_request["machine_id"], read_whole_file(machine_id));
  EXPECT_EQ(payload["machine_id"], read_whole_file(machine_id));
  const std::string log = agent.log_text();
  EXPECT_NE(log.find("collection enabled by the api: every 30 s"), std::string::npos) << log;
  EXPECT_EQ(log.find(k_token), std::string::npos) << log;
}

TEST(LoopBootstrap, TokenInTheAnswerReplacesTokenCrashSafelyAndIsUsedNext) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ScratchDir dir("fivenines-loop");
  ApiServerOptions options;
  options.script = Json::array({{{"json", {{"config", enabled_config()}, {"token", "per-host-token-5e2b"}}}},
                                {{"json", {{"config", enabled_config()}}}}});
  ApiServer api(options, dir.path());
  ASSERT_TRUE(api.ok()) << api.error();
  // An old TOKEN with loose permissions, and a child umask of 000.
  write_token(dir.path() / "conf", k_token, 0644);
  const ino_t old_inode = inode_of(dir.path() / "conf" / "TOKEN");
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", api.port()), dir.path(), 0);
  ASSERT_TRUE(api.wait_for_records("request", 2, 20s)) << agent.log_text();
  agent.send(SIGTERM);
  ASSERT_TRUE(agent.wait_exit(2s));

  const auto requests = api.records("request");
  EXPECT_EQ(header_value(requests[0], "Authorization"), std::string("Bearer ") + k_token);
  EXPECT_EQ(header_value(requests[1], "Authorization"), "Bearer per-host-token-5e2b");
  const fs::path token = dir.path() / "conf" / "TOKEN";
  EXPECT_EQ(read_whole_file(token), "per-host-token-5e2b");
  EXPECT_EQ(mode_of(token), 0600u);
  EXPECT_NE(inode_of(token), old_inode);
  for (const auto& entry : fs::directory_iterator(dir.path() / "conf")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
  const std::string log = agent.log_text();
  EXPECT_NE(log.find("token swap done"), std::string::npos) << log;
  EXPECT_EQ(log.find("per-host-token-5e2b"), std::string::npos) << log;
  EXPECT_EQ(log.find(k_token), std::string::npos) << log;
}

TEST(LoopBootstrap, ChildProcessesSeeNeitherTheApiNorAnythingTokenish) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ScratchDir dir("fivenines-loop");
  ApiServerOptions options;
  options.script = Json::array({{{"json", {{"config", {{"enabled", false}}}}}}});
  ApiServer api(options, dir.path());
  ASSERT_TRUE(api.ok()) << api.error();
  write_token(dir.path() / "conf", k_token);
  // A journalctl that the journald probe runs: it writes down its environment.
  const fs::path bin = dir.path() / "bin";
  fs::create_directories(bin);
  const fs::path dump = dir.path() / "child-env.txt";
  std::ofstream(bin / "journalctl") << "#!/bin/sh\nenv > '" << dump.string() << "'\n";
  fs::permissions(bin / "journalctl", fs::perms::owner_all);
  auto env = agent_env(dir.path() / "conf", api.port());
  env["PATH"] = bin.string() + ":/usr/bin:/bin";
  env["FIVENINES_TOKEN"] = "env-token-value";
  env["my_api_key"] = "env-key-value";
  env["DB_PASSWORD"] = "env-password-value";
  env["NOTIFY_SOCKET"] = (dir.path() / "nobody-listens").string();
  env["KEEP_ME"] = "visible";
  AgentProcess agent({FIVENINES_AGENT_BINARY}, env, dir.path());
  ASSERT_TRUE(api.wait_for_records("request", 1, 20s)) << agent.log_text();
  agent.send(SIGTERM);
  ASSERT_TRUE(agent.wait_exit(2s));
  ASSERT_TRUE(fs::exists(dump)) << agent.log_text();
  const std::string child_env = read_whole_file(dump);
  EXPECT_NE(child_env.find("KEEP_ME=visible"), std::string::npos) << child_env;
  for (const char* hidden : {"API_URL", "FIVENINES_TOKEN", "my_api_key", "DB_PASSWORD", "NOTIFY_SOCKET",
                             "env-token-value", k_token}) {
    EXPECT_EQ(child_env.find(hidden), std::string::npos) << hidden << "\n" << child_env;
  }
}

}  // namespace
}  // namespace fivenines::testing
