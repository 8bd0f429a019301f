#include "config/config_reader.hpp"

#include <gtest/gtest.h>

namespace fivenines {
namespace {

TEST(ConfigReader, ReadsTypedSections) {
  const auto result = read_config_strict(R"({"enabled": true, "interval": 90, "cpu": true, "memory": false,
      "ports": {"monitored_ports": [8080, 443]}, "request_options": {"timeout": 7, "retry": 2, "retry_interval": 1.5},
      "redis": {"port": 6380, "password": "pw"}, "nginx": {"status_page_url": "http://[::1]:8080/status"},
      "postgresql": {"host": "localhost"}, "proxmox": {"verify_ssl": true}, "docker": {"socket_url": "unix:///run/docker.sock"}})");
  ASSERT_TRUE(result) << result.error().message;
  const auto& config = result->config;
  EXPECT_TRUE(config.enabled);
  EXPECT_EQ(config.interval.count(), 90);
  EXPECT_TRUE(config.cpu);
  EXPECT_FALSE(config.memory);
  ASSERT_TRUE(config.ports);
  EXPECT_EQ(config.ports->monitored_ports, (std::vector<std::uint16_t>{443, 8080}));
  EXPECT_EQ(config.request_options.timeout.count(), 7000);
  EXPECT_EQ(config.request_options.attempts, 2);
  EXPECT_EQ(config.request_options.retry_interval.count(), 1500);
  ASSERT_TRUE(config.redis);
  EXPECT_EQ(config.redis->port, 6380);
  EXPECT_EQ(config.redis->password, std::optional<std::string>("pw"));
  ASSERT_TRUE(config.nginx);
  EXPECT_EQ(config.nginx->status_page_url.url, "http://[::1]:8080/status");
  EXPECT_EQ(config.nginx->status_page_url.host.name, "::1");
  EXPECT_EQ(config.nginx->status_page_url.host.address, "::1");
  EXPECT_EQ(config.nginx->status_page_url.port, 8080);
  EXPECT_EQ(config.nginx->status_page_url.target, "/status");
  ASSERT_TRUE(config.postgresql);
  EXPECT_EQ(config.postgresql->host.name, "localhost");
  EXPECT_EQ(config.postgresql->host.address, "127.0.0.1");  // localhost is never looked up
  EXPECT_EQ(config.postgresql->port, 5432);
  ASSERT_TRUE(config.proxmox);
  ASSERT_TRUE(config.docker);
  EXPECT_EQ(config.docker->socket_path, std::optional<std::string>("/run/docker.sock"));
  EXPECT_FALSE(config.mysql);
  EXPECT_TRUE(result->warnings.empty());
  EXPECT_EQ(result->input_keys,
            (std::vector<std::string>{"enabled", "interval", "cpu", "memory", "ports", "request_options", "redis",
                                      "nginx", "postgresql", "proxmox", "docker"}));
}

TEST(ConfigReader, AcceptsAWholeApiAnswer) {
  const auto result = read_config_strict(R"({"config": {"enabled": true, "io": true}, "token": "ignored-here"})");
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->config.enabled);
  EXPECT_TRUE(result->config.io);
}

TEST(ConfigReader, InvalidIntervalKeepsThePreviousOne) {
  RemoteConfig previous;
  previous.interval = std::chrono::seconds(300);
  const auto result = read_config_strict(R"({"interval": "soon"})", &previous);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->config.interval.count(), 300);
  EXPECT_EQ(result->warnings, (std::vector<std::string>{"config.interval: not a number (keeping 300)"}));
  EXPECT_EQ(read_config_strict(R"({"interval": "soon"})")->config.interval.count(), 60);
  EXPECT_EQ(read_config_strict(R"({"interval": 86400})")->config.interval.count(), 3600);
}

TEST(ConfigReader, RefusesWhatTheGateRefuses) {
  EXPECT_EQ(read_config_strict("[1, 2]").error().message, "config: not a JSON object");
  EXPECT_EQ(read_config_strict(R"({"config": [1]})").error().message, "config: \"config\" is not an object");
  EXPECT_EQ(read_config_strict("{\"a\": ").error().kind, ErrorKind::parse);
  EXPECT_EQ(read_config_strict(std::string(100000, '[')).error().message, "config: nested deeper than 32 at byte 32");
  EXPECT_EQ(read_config_strict(std::string(1024 * 1024 + 1, ' ')).error().message, "config: larger than 1048576 bytes");
  EXPECT_EQ(read_config_strict(R"({"cpu": true, "cpu": false})").error().message,
            "config: duplicate key \"cpu\" at byte 18");
}

TEST(ConfigAnswer, NeedsAConfigObjectAndReturnsTheToken) {
  const auto answer = read_config_answer(R"({"config": {"enabled": true}, "token": "per-host"})", nullptr);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(answer->read.config.enabled);
  EXPECT_EQ(answer->token, std::optional<std::string>("per-host"));
  EXPECT_FALSE(answer->token_not_a_string);

  const auto no_token = read_config_answer(R"({"config": {}, "token": 5})", nullptr);
  ASSERT_TRUE(no_token);
  EXPECT_FALSE(no_token->token);
  EXPECT_TRUE(no_token->token_not_a_string);

  // A bare config is not an answer: the whole answer is refused.
  EXPECT_EQ(read_config_answer(R"({"enabled": true, "cpu": true})", nullptr).error().message,
            "config: answer has no \"config\" object");
  EXPECT_EQ(read_config_answer(R"({"config": "x"})", nullptr).error().message, "config: \"config\" is not an object");
  EXPECT_EQ(read_config_answer("[]", nullptr).error().message, "config: not a JSON object");
}

TEST(ConfigAnswer, DuplicateConfigKeysAreRefusedNotMerged) {
  // nlohmann-json alone would keep the last "config"; the gate refuses.
  const auto answer = read_config_answer(R"({"config": {"enabled": false}, "config": {"enabled": true}})", nullptr);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().message, "config: duplicate key \"config\" at byte 38");
}

}  // namespace
}  // namespace fivenines
