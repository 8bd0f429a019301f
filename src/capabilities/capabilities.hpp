// Capabilities: what this host lets the agent collect (wire contract §7).
//
// A CapabilitySet is the outcome of one probe (see probes.hpp): one bool per
// capability, with a short reason for each false one, and the tri-state
// cgroup version. This header holds what depends only on that set: the two
// payload objects (`capabilities`, `capability_reasons`), gating (§7.2),
// `pending_capabilities` (§7.4), change detection for logging (§7.3) and the
// start-up banner (§7.5). Everything here is pure and cheap.
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_writer.hpp"

namespace fivenines {

// Linux capability keys in wire order (§7.1); cgroup, the last key on the
// wire, is not a bool and lives apart in CapabilitySet::cgroup.
enum class Capability : std::uint8_t {
  cpu,
  memory,
  load_average,
  io,
  network,
  partitions,
  file_handles,
  ports,
  processes,
  temperatures,
  fans,
  nvidia_gpu,
  smart_storage,
  raid_storage,
  ceph,
  fail2ban,
  zfs,
  docker,
  qemu,
  proxmox,
  packages,
  snmp,
  journald,
  systemd,
};
inline constexpr std::size_t k_capability_count = 24;

enum class CgroupVersion : std::uint8_t { none, v1, v2 };

// "smart_storage"; the wire key.
[[nodiscard]] std::string_view capability_name(Capability capability);
// The capability with that wire key; nullopt for "cgroup" and unknown names.
[[nodiscard]] std::optional<Capability> capability_from_name(std::string_view name);
// What an operator must grant, for logs and the banner ("requires: sudo
// smartctl"); empty for the core /proc capabilities.
[[nodiscard]] std::string_view capability_hint(Capability capability);
[[nodiscard]] std::string_view cgroup_hint();
// "v1", "v2"; empty for none (written as null).
[[nodiscard]] std::string_view cgroup_version_name(CgroupVersion version);

struct CapabilitySet {
  std::array<bool, k_capability_count> available{};
  // Why a capability is false ("smartctl not found in PATH"); empty when it
  // is available or no reason was recorded.
  std::array<std::string, k_capability_count> reasons;
  CgroupVersion cgroup = CgroupVersion::none;
  std::string cgroup_reason;  // when cgroup is none

  [[nodiscard]] bool has(Capability capability) const { return available[static_cast<std::size_t>(capability)]; }
  [[nodiscard]] const std::string& reason(Capability capability) const {
    return reasons[static_cast<std::size_t>(capability)];
  }
  // Records one probe outcome; the reason is kept only when unavailable.
  void set(Capability capability, bool is_available, std::string why = {});
};

// The `capabilities` object: every key of §7.1 in order, cgroup last as
// "v1"/"v2"/null.
void write_capabilities(JsonWriter& out, const CapabilitySet& set);
// The `capability_reasons` object: only capabilities that are false (cgroup:
// null) and recorded a reason, in the same order.
void write_capability_reasons(JsonWriter& out, const CapabilitySet& set);
// Both, as `"capabilities": {...}, "capability_reasons": {...}` inside the
// object being written (the static fields of §3.1).
void write_capability_fields(JsonWriter& out, const CapabilitySet& set);
// The `pending_capabilities` array.
void write_pending_capabilities(JsonWriter& out, std::span<const std::string> pending);

// The capability key that gates a config key (§7.2): the same name, except
// smart_storage_health -> smart_storage, raid_storage_health -> raid_storage,
// logs -> journald. Empty for config keys no capability gates (redis, nginx,
// snmp_targets, ..., and load_average / file_handles, which are never gated).
[[nodiscard]] std::string_view gating_capability(std::string_view config_key);

// True when the collector of `config_key` must be skipped: its capability
// key exists in the set and is falsy (false, or cgroup null). A config key
// without a capability is never gated.
[[nodiscard]] bool is_gated_off(const CapabilitySet& set, std::string_view config_key);

// §7.4: for each config key the server set to a truthy value, in the order
// given, the capability it needs when that capability is currently falsy;
// deduplicated. Besides the gating map above: snmp_targets -> snmp, and a
// truthy systemd key also adds cgroup while cgroup is null. The caller
// passes "packages" only when packages.scan is set (the key being present
// is not enough, per §7.4).
[[nodiscard]] std::vector<std::string> pending_capabilities(const CapabilitySet& set,
                                                            std::span<const std::string> truthy_config_keys);

// One capability whose value differs between two probes, for the info log
// of §7.3 ("capability 'docker' is now available").
struct CapabilityChange {
  std::string name;
  std::string before;  // "true", "false", "v1", "v2", "null"
  std::string after;
};
[[nodiscard]] std::vector<CapabilityChange> capability_changes(const CapabilitySet& before,
                                                               const CapabilitySet& after);

// The banner of §7.5, lines ending in '\n'. Informational text, not parsed.
[[nodiscard]] std::string capabilities_banner(const CapabilitySet& set);

}  // namespace fivenines
