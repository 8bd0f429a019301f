#include "config/config_reader.hpp"

#include <gtest/gtest.h>

namespace fivenines {
namespace {

TEST(ConfigReader, ReadsKnownKeysOfTheRightType) {
  const auto result = read_config_strict(R"({"enabled": true, "interval": 90, "cpu": true, "memory": false,
      "ports": {"monitored_ports": [8080, 443, 8080]}, "request_options": {"timeout": 7, "retry": 2, "retry_interval": 1.5},
      "redis": {"port": 6379}})");
  ASSERT_TRUE(result);
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
  EXPECT_EQ(config.other_enabled_keys, (std::vector<std::string>{"redis"}));
  EXPECT_TRUE(result->warnings.empty());
}

TEST(ConfigReader, AcceptsAWholeApiAnswer) {
  const auto result = read_config_strict(R"({"config": {"enabled": true, "io": true}, "token": "ignored-here"})");
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->config.enabled);
  EXPECT_TRUE(result->config.io);
}

TEST(ConfigReader, DropsWrongTypesAndUnknownKeysWithWarnings) {
  const auto result = read_config_strict(
      R"({"cpu": "yes", "Interval": 5, "interval": 10, "ports": {"monitored_ports": [0, 70000, 22.5, "80", 22]},
          "request_options": {"timeout": 0}, "weird\u0000key": 1})");
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->config.cpu);
  EXPECT_EQ(result->config.interval.count(), 30);  // clamped to 30..3600
  ASSERT_TRUE(result->config.ports);
  EXPECT_EQ(result->config.ports->monitored_ports, (std::vector<std::uint16_t>{22}));
  EXPECT_EQ(result->config.request_options.timeout.count(), 5000);
  const std::vector<std::string> expected = {
      // nlohmann::json walks keys in sorted order.
      "config.Interval: unknown key (dropped)",
      "config.cpu: not a boolean (collector disabled)",
      "config.ports.monitored_ports: entry is not an integer 1..65535 (skipped)",
      "config.ports.monitored_ports: entry is not an integer 1..65535 (skipped)",
      "config.ports.monitored_ports: entry is not an integer 1..65535 (skipped)",
      "config.ports.monitored_ports: entry is not an integer 1..65535 (skipped)",
      "config.request_options.timeout: not a number in 1..60 (default kept)",
      "config.weird?key: unknown key (dropped)",
  };
  EXPECT_EQ(result->warnings, expected);
}

TEST(ConfigReader, ClampsIntervalAbove3600) {
  EXPECT_EQ(read_config_strict(R"({"interval": 86400})")->config.interval.count(), 3600);
}

TEST(ConfigReader, RefusesNonObjectsGarbageAndDeepNesting) {
  EXPECT_EQ(read_config_strict("[1, 2]").error().message, "config: not a JSON object");
  EXPECT_EQ(read_config_strict(R"({"config": [1]})").error().message, "config: \"config\" is not an object");
  EXPECT_EQ(read_config_strict("{\"a\": ").error().kind, ErrorKind::parse);
  std::string deep(100000, '[');
  EXPECT_EQ(read_config_strict(deep).error().message, "config: nested deeper than 32");
  EXPECT_EQ(read_config_strict(std::string(1024 * 1024 + 1, ' ')).error().message, "config: larger than 1048576 bytes");
}

}  // namespace
}  // namespace fivenines
