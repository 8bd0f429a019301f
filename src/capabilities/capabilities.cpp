#include "capabilities/capabilities.hpp"

#include <algorithm>

namespace fivenines {

namespace {

struct CapabilityInfo {
  std::string_view name;
  std::string_view hint;
};

// Indexed by Capability; order is the wire order of §7.1.
constexpr std::array<CapabilityInfo, k_capability_count> k_capabilities = {{
    {"cpu", ""},
    {"memory", ""},
    {"load_average", ""},
    {"io", ""},
    {"network", ""},
    {"partitions", ""},
    {"file_handles", ""},
    {"ports", ""},
    {"processes", ""},
    {"temperatures", "no accessible sensors"},
    {"fans", "no accessible sensors"},
    {"nvidia_gpu", "requires: NVIDIA driver with libnvidia-ml"},
    {"smart_storage", "requires: sudo smartctl"},
    {"raid_storage", "requires: sudo mdadm"},
    {"ceph", "requires: ceph CLI"},
    {"fail2ban", "requires: sudo fail2ban-client"},
    {"zfs", "requires: zfs permissions"},
    {"docker", "requires: docker group"},
    {"qemu", "requires: libvirt group"},
    {"proxmox", "requires: Proxmox VE host"},
    {"packages", "requires: dpkg-query, rpm, apk, pacman, or synopkg"},
    {"snmp", "requires: snmpget"},
    {"journald", "requires: systemd-journal group"},
    {"systemd", "requires: systemd host"},
}};
static_assert(static_cast<std::size_t>(Capability::systemd) + 1 == k_capability_count);

constexpr std::string_view k_cgroup = "cgroup";

std::size_t index_of(Capability capability) { return static_cast<std::size_t>(capability); }

// Config keys whose collector is gated by a differently named capability.
struct Renamed {
  std::string_view config_key;
  std::string_view capability;
};
constexpr std::array<Renamed, 3> k_gating_renames = {{
    {"smart_storage_health", "smart_storage"},
    {"raid_storage_health", "raid_storage"},
    {"logs", "journald"},
}};
// Capabilities that exist on the wire but never gate their collector (§7.2).
constexpr std::array<std::string_view, 2> k_never_gated = {"load_average", "file_handles"};

// Python's str.title() for ASCII: upper-case a letter after a non-letter.
std::string title_case(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool after_letter = false;
  for (char c : name) {
    if (c == '_') c = ' ';
    const bool is_letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (is_letter) {
      const bool upper = c >= 'A' && c <= 'Z';
      if (!after_letter && !upper) c = static_cast<char>(c - 'a' + 'A');
      if (after_letter && upper) c = static_cast<char>(c - 'A' + 'a');
    }
    out += c;
    after_letter = is_letter;
  }
  return out;
}

bool is_falsy(const CapabilitySet& set, std::string_view capability_key) {
  if (capability_key == k_cgroup) return set.cgroup == CgroupVersion::none;
  const auto capability = capability_from_name(capability_key);
  return capability && !set.has(*capability);
}

bool is_known(std::string_view capability_key) {
  return capability_key == k_cgroup || capability_from_name(capability_key).has_value();
}

std::string value_text(const CapabilitySet& set, std::size_t index) {
  if (index == k_capability_count) {
    const auto name = cgroup_version_name(set.cgroup);
    return name.empty() ? "null" : std::string(name);
  }
  return set.available[index] ? "true" : "false";
}

}  // namespace

std::string_view capability_name(Capability capability) { return k_capabilities[index_of(capability)].name; }

std::optional<Capability> capability_from_name(std::string_view name) {
  for (std::size_t i = 0; i < k_capability_count; ++i) {
    if (k_capabilities[i].name == name) return static_cast<Capability>(i);
  }
  return std::nullopt;
}

std::string_view capability_hint(Capability capability) { return k_capabilities[index_of(capability)].hint; }

std::string_view cgroup_hint() { return "no cgroup hierarchy found"; }

std::string_view cgroup_version_name(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::v1: return "v1";
    case CgroupVersion::v2: return "v2";
    case CgroupVersion::none: break;
  }
  return "";
}

void CapabilitySet::set(Capability capability, bool is_available, std::string why) {
  available[index_of(capability)] = is_available;
  reasons[index_of(capability)] = is_available ? std::string() : std::move(why);
}

void write_capabilities(JsonWriter& out, const CapabilitySet& set) {
  out.begin_object();
  for (std::size_t i = 0; i < k_capability_count; ++i) {
    out.key(k_capabilities[i].name);
    out.boolean(set.available[i]);
  }
  out.key(k_cgroup);
  const auto version = cgroup_version_name(set.cgroup);
  if (version.empty()) {
    out.null();
  } else {
    out.string(version);
  }
  out.end_object();
}

void write_capability_reasons(JsonWriter& out, const CapabilitySet& set) {
  out.begin_object();
  for (std::size_t i = 0; i < k_capability_count; ++i) {
    if (set.available[i] || set.reasons[i].empty()) continue;
    out.key(k_capabilities[i].name);
    out.string(set.reasons[i]);
  }
  if (set.cgroup == CgroupVersion::none && !set.cgroup_reason.empty()) {
    out.key(k_cgroup);
    out.string(set.cgroup_reason);
  }
  out.end_object();
}

void write_capability_fields(JsonWriter& out, const CapabilitySet& set) {
  out.key("capabilities");
  write_capabilities(out, set);
  out.key("capability_reasons");
  write_capability_reasons(out, set);
}

void write_pending_capabilities(JsonWriter& out, std::span<const std::string> pending) {
  out.begin_array();
  for (const auto& name : pending) out.string(name);
  out.end_array();
}

std::string_view gating_capability(std::string_view config_key) {
  for (const auto& rename : k_gating_renames) {
    if (rename.config_key == config_key) return rename.capability;
  }
  if (std::find(k_never_gated.begin(), k_never_gated.end(), config_key) != k_never_gated.end()) return {};
  if (is_known(config_key)) return config_key;
  return {};
}

bool is_gated_off(const CapabilitySet& set, std::string_view config_key) {
  const auto capability = gating_capability(config_key);
  return !capability.empty() && is_falsy(set, capability);
}

std::vector<std::string> pending_capabilities(const CapabilitySet& set,
                                              std::span<const std::string> truthy_config_keys) {
  std::vector<std::string> pending;
  const auto add_if_falsy = [&](std::string_view capability) {
    if (capability.empty() || !is_falsy(set, capability)) return;
    if (std::find(pending.begin(), pending.end(), capability) != pending.end()) return;
    pending.emplace_back(capability);
  };
  for (const auto& key : truthy_config_keys) {
    if (key == "snmp_targets") {
      add_if_falsy("snmp");
      continue;
    }
    add_if_falsy(gating_capability(key));
    if (key == "systemd") add_if_falsy(k_cgroup);
  }
  return pending;
}

std::vector<CapabilityChange> capability_changes(const CapabilitySet& before, const CapabilitySet& after) {
  std::vector<CapabilityChange> changes;
  for (std::size_t i = 0; i <= k_capability_count; ++i) {
    auto was = value_text(before, i);
    auto now = value_text(after, i);
    if (was == now) continue;
    const std::string_view name = i == k_capability_count ? k_cgroup : k_capabilities[i].name;
    changes.push_back(CapabilityChange{std::string(name), std::move(was), std::move(now)});
  }
  return changes;
}

std::string capabilities_banner(const CapabilitySet& set) {
  using C = Capability;
  struct Section {
    std::string_view title;
    std::vector<C> members;
    bool with_cgroup = false;
  };
  const std::array<Section, 7> sections = {{
      {"Core Metrics",
       {C::cpu, C::memory, C::load_average, C::io, C::network, C::partitions, C::file_handles, C::ports, C::processes}},
      {"Hardware Sensors", {C::temperatures, C::fans, C::nvidia_gpu}},
      {"Storage", {C::smart_storage, C::raid_storage, C::zfs, C::ceph}},
      {"Services", {C::docker, C::qemu, C::proxmox, C::systemd}, true},
      {"Security", {C::fail2ban, C::packages}},
      {"Networking", {C::snmp}},
      {"Logs", {C::journald}},
  }};
  const std::string rule(60, '=');
  std::string out;
  out += "\n" + rule + "\n  Fivenines Agent - Capabilities Detection\n" + rule + "\n\n";
  const auto line = [&out](bool ok, std::string_view name, std::string_view hint) {
    out += ok ? "    [+] " : "    [-] ";
    out += name;
    if (!ok && !hint.empty()) {
      out += " (";
      out += hint;
      out += ')';
    }
    out += '\n';
  };
  for (const auto& section : sections) {
    out += "  ";
    out += section.title;
    out += ":\n";
    for (const C capability : section.members) {
      line(set.has(capability), title_case(capability_name(capability)), capability_hint(capability));
    }
    if (section.with_cgroup) {
      const auto version = cgroup_version_name(set.cgroup);
      line(!version.empty(), version.empty() ? "Cgroup" : "Cgroup " + std::string(version), cgroup_hint());
    }
    out += '\n';
  }
  // A missing core capability is a broken /proc, not a permission to grant:
  // the pointer to the permissions page is only for the others.
  bool any_missing = set.cgroup == CgroupVersion::none;
  bool non_core_missing = any_missing;
  for (std::size_t i = 0; i < k_capability_count; ++i) {
    if (set.available[i]) continue;
    any_missing = true;
    if (i > index_of(C::processes)) non_core_missing = true;
  }
  if (non_core_missing) {
    out += "  [!] Some features unavailable. See: https://docs.fivenines.io/agent/permissions\n";
  } else if (!any_missing) {
    out += "  [+] Full monitoring capabilities available\n";
  }
  out += "\n" + rule + "\n\n";
  return out;
}

}  // namespace fivenines
