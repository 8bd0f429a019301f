// The typed form of the `config` object the API sends (wire contract §4).
// Collectors receive these typed options, never raw JSON. Only the config
// reader in config/ builds one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fivenines {

struct RequestOptions {
  std::chrono::milliseconds timeout{5000};
  int attempts = 3;
  std::chrono::milliseconds retry_interval{5000};
};

struct PortsOptions {
  // Ports reported even when inside the ephemeral range; sorted, unique.
  std::vector<std::uint16_t> monitored_ports;
};

struct RemoteConfig {
  bool enabled = false;
  std::chrono::seconds interval{60};
  RequestOptions request_options;

  // Simple on/off collectors (config value truthy).
  bool cpu = false;
  bool memory = false;
  bool network = false;
  bool partitions = false;
  bool io = false;
  bool processes = false;
  // `ports` is `true` or `{"monitored_ports": [...]}`.
  std::optional<PortsOptions> ports;

  // Config keys that were truthy but that this agent has no collector for
  // yet; kept so pending_capabilities can still name them.
  std::vector<std::string> other_enabled_keys;

  // The built-in config of a dry run without --config: every core collector.
  static RemoteConfig core_collectors();
};

inline RemoteConfig RemoteConfig::core_collectors() {
  RemoteConfig config;
  config.enabled = true;
  config.cpu = config.memory = config.network = config.partitions = config.io = config.processes = true;
  config.ports = PortsOptions{};
  return config;
}

}  // namespace fivenines
