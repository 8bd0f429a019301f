#include "collectors/registry.hpp"

#include <algorithm>
#include <string>

#include "collectors/cpu.hpp"
#include "collectors/file_handles.hpp"
#include "collectors/io.hpp"
#include "collectors/load_average.hpp"
#include "collectors/memory.hpp"
#include "collectors/network.hpp"
#include "collectors/partitions.hpp"
#include "collectors/ports.hpp"
#include "collectors/processes.hpp"

namespace fivenines {

const std::vector<CollectorSpec>& collector_registry() {
  static const std::vector<CollectorSpec> registry = {
      {"load_average", "", "", {"load_average"}, &make_load_average_collector},
      {"file_handles", "", "", {"file_handles_used", "file_handles_limit"}, &make_file_handles_collector},
      {"cpu", "cpu", "cpu", {"cpu", "cpu_usage", "cpu_model", "cpu_count"}, &make_cpu_collector},
      {"memory", "memory", "memory", {"memory", "swap"}, &make_memory_collector},
      {"network", "network", "network", {"network"}, &make_network_collector},
      {"partitions", "partitions", "partitions", {"partitions_metadata", "partitions_usage"},
       [] { return make_partitions_collector(); }},
      {"io", "io", "io", {"io"}, &make_io_collector},
      {"processes", "processes", "processes", {"processes"}, &make_processes_collector},
      {"ports", "ports", "ports", {"ports"}, &make_ports_collector},
  };
  return registry;
}

// Whether each config key of the wire contract (§4) is on in `config`, in
// §3.3 payload order, then the keys outside the collector list. One row per
// typed field, so a new section cannot be forgotten here.
namespace {

struct ConfigKeyState {
  std::string_view key;
  bool on;
};

std::vector<ConfigKeyState> config_key_states(const RemoteConfig& c) {
  return {
      {"cpu", c.cpu},
      {"memory", c.memory},
      {"network", c.network},
      {"partitions", c.partitions},
      {"io", c.io},
      {"logs", c.logs.has_value()},
      {"smart_storage_health", c.smart_storage_health},
      {"raid_storage_health", c.raid_storage_health},
      {"ceph", c.ceph.has_value()},
      {"zfs", c.zfs.has_value()},
      {"processes", c.processes},
      {"ports", c.ports.has_value()},
      {"temperatures", c.temperatures},
      {"fans", c.fans},
      {"nvidia_gpu", c.nvidia_gpu},
      {"redis", c.redis.has_value()},
      {"nginx", c.nginx.has_value()},
      {"apache", c.apache.has_value()},
      {"php_fpm", c.php_fpm.has_value()},
      {"docker", c.docker.has_value()},
      {"qemu", c.qemu.has_value()},
      {"fail2ban", c.fail2ban},
      {"caddy", c.caddy.has_value()},
      {"postgresql", c.postgresql.has_value()},
      {"mysql", c.mysql.has_value()},
      {"proxmox", c.proxmox.has_value()},
      {"systemd", c.systemd.has_value()},
      {"disk_health", c.disk_health},
      {"ping", c.ping.has_value()},
      {"ipv4", c.ipv4},
      {"ipv6", c.ipv6},
      {"snmp_targets", c.snmp_targets.has_value()},
      {"mqtt", c.mqtt.has_value()},
      // §7.4: packages counts only when packages.scan is truthy.
      {"packages", c.packages.has_value() && c.packages->scan},
  };
}

}  // namespace

bool config_enables(const RemoteConfig& config, std::string_view config_key) {
  if (config_key.empty()) return true;
  for (const auto& state : config_key_states(config)) {
    if (state.key == config_key) return state.on;
  }
  return false;
}

std::vector<std::string> enabled_config_keys(const RemoteConfig& config) {
  std::vector<std::string> keys;
  for (const auto& spec : collector_registry()) {
    if (!spec.config_key.empty() && config_enables(config, spec.config_key)) keys.emplace_back(spec.config_key);
  }
  for (const auto& state : config_key_states(config)) {
    if (!state.on) continue;
    if (std::find(keys.begin(), keys.end(), state.key) == keys.end()) keys.emplace_back(state.key);
  }
  return keys;
}

}  // namespace fivenines
