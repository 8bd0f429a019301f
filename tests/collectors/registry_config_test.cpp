// The registry's view of a typed config: which keys are on, in which order.
#include <gtest/gtest.h>

#include "collectors/registry.hpp"
#include "config/config_reader.hpp"

namespace fivenines {
namespace {

RemoteConfig read(const char* text) {
  auto result = read_config_strict(text);
  EXPECT_TRUE(result) << result.error().message;
  return result ? result->config : RemoteConfig{};
}

TEST(RegistryConfig, EnabledKeysInRegistryThenContractOrder) {
  const RemoteConfig config = read(R"({"mqtt": [{"broker_id": "b", "host": "mq.example"}], "redis": true, "ports": true,
      "cpu": true, "ping": {"eu": "example.com"}, "logs": true, "ipv6": true, "snmp_targets": [{"device_id": "d"}],
      "proxmox": true, "temperatures": true, "nginx": false, "packages": {"scan": true}})");
  EXPECT_EQ(enabled_config_keys(config),
            (std::vector<std::string>{"cpu", "ports", "logs", "temperatures", "redis", "proxmox", "ping", "ipv6",
                                      "snmp_targets", "mqtt", "packages"}));
  EXPECT_TRUE(config_enables(config, "redis"));
  EXPECT_FALSE(config_enables(config, "nginx"));
  EXPECT_TRUE(config_enables(config, ""));
  EXPECT_FALSE(config_enables(config, "no_such_key"));
}

TEST(RegistryConfig, PackagesCountOnlyWhenScanIsTruthy) {
  EXPECT_TRUE(enabled_config_keys(read(R"({"packages": {"scan": false}})")).empty());
  EXPECT_TRUE(enabled_config_keys(read(R"({"packages": true})")).empty());
  EXPECT_EQ(enabled_config_keys(read(R"({"packages": {"scan": 1}})")), (std::vector<std::string>{"packages"}));
}

TEST(RegistryConfig, RefusedSectionsAreNotEnabled) {
  const RemoteConfig config =
      read(R"({"nginx": {"status_page_url": "http://127.0.0.2/"}, "docker": {"socket_url": "unix:///tmp/x"},
      "memory": true})");
  EXPECT_EQ(enabled_config_keys(config), (std::vector<std::string>{"memory"}));
}

TEST(RegistryConfig, CoreCollectorsConfig) {
  EXPECT_EQ(enabled_config_keys(RemoteConfig::core_collectors()),
            (std::vector<std::string>{"cpu", "memory", "network", "partitions", "io", "processes", "ports"}));
}

}  // namespace
}  // namespace fivenines
