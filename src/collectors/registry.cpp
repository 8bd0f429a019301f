#include "collectors/registry.hpp"

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

bool config_enables(const RemoteConfig& config, std::string_view config_key) {
  if (config_key.empty()) return true;
  if (config_key == "cpu") return config.cpu;
  if (config_key == "memory") return config.memory;
  if (config_key == "network") return config.network;
  if (config_key == "partitions") return config.partitions;
  if (config_key == "io") return config.io;
  if (config_key == "processes") return config.processes;
  if (config_key == "ports") return config.ports.has_value();
  return false;
}

std::vector<std::string> enabled_config_keys(const RemoteConfig& config) {
  std::vector<std::string> keys;
  for (const auto& spec : collector_registry()) {
    if (!spec.config_key.empty() && config_enables(config, spec.config_key)) keys.emplace_back(spec.config_key);
  }
  keys.insert(keys.end(), config.other_enabled_keys.begin(), config.other_enabled_keys.end());
  return keys;
}

}  // namespace fivenines
