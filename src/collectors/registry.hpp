// The one explicit list of collectors: config key → the payload keys it
// fills → the capability that gates it. Order is the payload's key order
// (wire contract §3.3). Adding a collector is one row here.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "collectors/collector.hpp"

namespace fivenines {

struct CollectorSpec {
  std::string_view name;            // file stem and fixture folder: src/collectors/<name>.cpp
  std::string_view config_key;      // empty: always collected (load average, file handles)
  std::string_view capability;      // empty: never gated
  std::vector<std::string_view> payload_keys;
  std::unique_ptr<Collector> (*make)();
};

[[nodiscard]] const std::vector<CollectorSpec>& collector_registry();

// Whether the typed config turns on the collector behind `config_key`.
[[nodiscard]] bool config_enables(const RemoteConfig& config, std::string_view config_key);

// Config keys that are on, in registry order, then the others that are on
// in the wire contract's §3.3 order (ping, ipv4, ipv6, snmp_targets, mqtt,
// and packages when packages.scan is truthy, §7.4), for
// pending_capabilities.
[[nodiscard]] std::vector<std::string> enabled_config_keys(const RemoteConfig& config);

}  // namespace fivenines
