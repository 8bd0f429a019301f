#include "capabilities/capabilities.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fivenines {
namespace {

// The capability keys of the reference payload (v1.13.1), in wire order.
const std::vector<std::string> k_wire_keys = {
    "cpu",     "memory",        "load_average", "io",       "network", "partitions", "file_handles",
    "ports",   "processes",     "temperatures", "fans",     "nvidia_gpu", "smart_storage", "raid_storage",
    "ceph",    "fail2ban",      "zfs",          "docker",   "qemu",    "proxmox",    "packages",
    "snmp",    "journald",      "systemd",      "cgroup"};

// The host of the reference payload: core, packages and journald available,
// cgroup v1, the rest missing with its reasons.
CapabilitySet reference_host() {
  CapabilitySet set;
  for (std::size_t i = 0; i < k_capability_count; ++i) set.set(static_cast<Capability>(i), true);
  set.set(Capability::temperatures, false, "/sys/class/hwmon does not exist");
  set.set(Capability::fans, false, "/sys/class/hwmon does not exist");
  set.set(Capability::nvidia_gpu, false, "libnvidia-ml.so.1 not found");
  set.set(Capability::smart_storage, false, "smartctl not found in PATH");
  set.set(Capability::raid_storage, false, "mdadm not found in PATH");
  set.set(Capability::ceph, false, "ceph not found in PATH");
  set.set(Capability::fail2ban, false, "fail2ban-client not found in PATH");
  set.set(Capability::zfs, false, "zpool not found in PATH");
  set.set(Capability::docker, false, "/var/run/docker.sock does not exist");
  set.set(Capability::qemu, false, "failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': no such file");
  set.set(Capability::proxmox, false, "/etc/pve missing and pvesh not in PATH");
  set.set(Capability::snmp, false, "snmpget not found in PATH");
  set.set(Capability::systemd, false, "/run/systemd/system not present");
  set.cgroup = CgroupVersion::v1;
  return set;
}

TEST(CapabilityNames, RoundTripInWireOrder) {
  for (std::size_t i = 0; i < k_capability_count; ++i) {
    const auto capability = static_cast<Capability>(i);
    EXPECT_EQ(capability_name(capability), k_wire_keys[i]);
    EXPECT_EQ(capability_from_name(k_wire_keys[i]), capability);
  }
  EXPECT_FALSE(capability_from_name("cgroup"));
  EXPECT_FALSE(capability_from_name("smart_storage_health"));
  EXPECT_FALSE(capability_from_name(""));
}

TEST(CapabilitySet, DropsTheReasonOfAnAvailableCapability) {
  CapabilitySet set;
  set.set(Capability::docker, false, "why");
  EXPECT_EQ(set.reason(Capability::docker), "why");
  set.set(Capability::docker, true, "ignored");
  EXPECT_TRUE(set.has(Capability::docker));
  EXPECT_EQ(set.reason(Capability::docker), "");
}

TEST(CapabilitiesJson, KeysInWireOrderWithCgroupLast) {
  JsonWriter out;
  write_capabilities(out, reference_host());
  EXPECT_EQ(out.text(),
            R"({"cpu": true, "memory": true, "load_average": true, "io": true, "network": true, "partitions": true, )"
            R"("file_handles": true, "ports": true, "processes": true, "temperatures": false, "fans": false, )"
            R"("nvidia_gpu": false, "smart_storage": false, "raid_storage": false, "ceph": false, "fail2ban": false, )"
            R"("zfs": false, "docker": false, "qemu": false, "proxmox": false, "packages": true, "snmp": false, )"
            R"("journald": true, "systemd": false, "cgroup": "v1"})");
  const auto parsed = nlohmann::ordered_json::parse(out.text());
  std::vector<std::string> keys;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, k_wire_keys);
}

TEST(CapabilitiesJson, CgroupIsNullOrV2) {
  CapabilitySet set;
  JsonWriter none;
  write_capabilities(none, set);
  EXPECT_TRUE(nlohmann::json::parse(none.text())["cgroup"].is_null());
  EXPECT_FALSE(nlohmann::json::parse(none.text())["cpu"].get<bool>());
  set.cgroup = CgroupVersion::v2;
  JsonWriter v2;
  write_capabilities(v2, set);
  EXPECT_EQ(nlohmann::json::parse(v2.text())["cgroup"], "v2");
}

TEST(CapabilityReasonsJson, OnlyFalseCapabilitiesWithAReason) {
  auto set = reference_host();
  set.set(Capability::snmp, false);  // false without a reason: not listed
  JsonWriter out;
  write_capability_reasons(out, set);
  EXPECT_EQ(out.text(),
            R"({"temperatures": "/sys/class/hwmon does not exist", "fans": "/sys/class/hwmon does not exist", )"
            R"("nvidia_gpu": "libnvidia-ml.so.1 not found", "smart_storage": "smartctl not found in PATH", )"
            R"("raid_storage": "mdadm not found in PATH", "ceph": "ceph not found in PATH", )"
            R"("fail2ban": "fail2ban-client not found in PATH", "zfs": "zpool not found in PATH", )"
            R"("docker": "/var/run/docker.sock does not exist", )"
            R"("qemu": "failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': no such file", )"
            R"("proxmox": "/etc/pve missing and pvesh not in PATH", "systemd": "/run/systemd/system not present"})");
}

TEST(CapabilityReasonsJson, CgroupReasonOnlyWhenNull) {
  CapabilitySet set;
  for (std::size_t i = 0; i < k_capability_count; ++i) set.set(static_cast<Capability>(i), true);
  set.cgroup_reason = "no cgroup";
  JsonWriter none;
  write_capability_reasons(none, set);
  EXPECT_EQ(none.text(), R"({"cgroup": "no cgroup"})");
  set.cgroup = CgroupVersion::v2;
  JsonWriter v2;
  write_capability_reasons(v2, set);
  EXPECT_EQ(v2.text(), "{}");
}

TEST(CapabilityFields, WritesBothKeysIntoTheCurrentObject) {
  CapabilitySet set;
  for (std::size_t i = 0; i < k_capability_count; ++i) set.set(static_cast<Capability>(i), true);
  set.cgroup = CgroupVersion::v2;
  JsonWriter out;
  out.begin_object();
  out.key("version");
  out.string("1.13.1");
  write_capability_fields(out, set);
  out.key("pending_capabilities");
  write_pending_capabilities(out, std::vector<std::string>{"zfs", "docker"});
  out.end_object();
  const auto parsed = nlohmann::ordered_json::parse(out.text());
  std::vector<std::string> keys;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"version", "capabilities", "capability_reasons", "pending_capabilities"}));
  EXPECT_EQ(parsed["capability_reasons"].dump(), "{}");
  EXPECT_EQ(parsed["pending_capabilities"].dump(), R"(["zfs","docker"])");
}

TEST(Gating, ConfigKeysMapToCapabilities) {
  EXPECT_EQ(gating_capability("smart_storage_health"), "smart_storage");
  EXPECT_EQ(gating_capability("raid_storage_health"), "raid_storage");
  EXPECT_EQ(gating_capability("logs"), "journald");
  EXPECT_EQ(gating_capability("docker"), "docker");
  EXPECT_EQ(gating_capability("cpu"), "cpu");
  EXPECT_EQ(gating_capability("load_average"), "");  // never gated
  EXPECT_EQ(gating_capability("file_handles"), "");  // never gated
  EXPECT_EQ(gating_capability("redis"), "");
  EXPECT_EQ(gating_capability("snmp_targets"), "");
  EXPECT_EQ(gating_capability("disk_health"), "");  // Windows capability only
  EXPECT_EQ(gating_capability("smart_storage"), "smart_storage");
}

TEST(Gating, SkipsOnlyWhenTheCapabilityExistsAndIsFalsy) {
  const auto set = reference_host();
  EXPECT_TRUE(is_gated_off(set, "smart_storage_health"));
  EXPECT_TRUE(is_gated_off(set, "zfs"));
  EXPECT_TRUE(is_gated_off(set, "temperatures"));
  EXPECT_FALSE(is_gated_off(set, "logs"));  // journald is true
  EXPECT_FALSE(is_gated_off(set, "cpu"));
  EXPECT_FALSE(is_gated_off(set, "packages"));
  EXPECT_FALSE(is_gated_off(set, "redis"));       // no capability key
  EXPECT_FALSE(is_gated_off(set, "nginx"));       // no capability key
  EXPECT_FALSE(is_gated_off(set, "disk_health"));  // no capability key on Linux
  CapabilitySet nothing;
  EXPECT_FALSE(is_gated_off(nothing, "load_average"));
  EXPECT_FALSE(is_gated_off(nothing, "file_handles"));
  EXPECT_TRUE(is_gated_off(nothing, "cpu"));
  EXPECT_TRUE(is_gated_off(nothing, "cgroup"));
}

TEST(PendingCapabilities, ReferencePayloadOrder) {
  // The truthy keys of the reference's dry-run config in its collector
  // registry order; the expected list is the reference payload's.
  const std::vector<std::string> keys = {"smart_storage_health", "raid_storage_health", "ceph",   "zfs",
                                         "temperatures",         "fans",                "nvidia_gpu", "fail2ban",
                                         "systemd",              "cpu",                 "logs",   "redis"};
  EXPECT_EQ(pending_capabilities(reference_host(), keys),
            (std::vector<std::string>{"smart_storage", "raid_storage", "ceph", "zfs", "temperatures", "fans",
                                      "nvidia_gpu", "fail2ban", "systemd"}));
}

TEST(PendingCapabilities, DeduplicatesAndAddsSnmpAndCgroup) {
  auto set = reference_host();
  set.cgroup = CgroupVersion::none;
  set.set(Capability::journald, false, "journalctl not found in PATH");
  const std::vector<std::string> keys = {"logs", "docker", "snmp_targets", "systemd", "docker", "logs", "packages"};
  EXPECT_EQ(pending_capabilities(set, keys),
            (std::vector<std::string>{"journald", "docker", "snmp", "systemd", "cgroup"}));
  // cgroup only with systemd; nothing pending when all is available.
  EXPECT_EQ(pending_capabilities(set, std::vector<std::string>{"cpu", "memory"}), std::vector<std::string>{});
  CapabilitySet all;
  for (std::size_t i = 0; i < k_capability_count; ++i) all.set(static_cast<Capability>(i), true);
  all.cgroup = CgroupVersion::v2;
  EXPECT_TRUE(pending_capabilities(all, keys).empty());
}

TEST(CapabilityChanges, ListsFlipsAndCgroupChanges) {
  const auto before = reference_host();
  auto after = before;
  after.set(Capability::docker, true);
  after.set(Capability::journald, false, "refused");
  after.cgroup = CgroupVersion::none;
  const auto changes = capability_changes(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].name, "docker");
  EXPECT_EQ(changes[0].before, "false");
  EXPECT_EQ(changes[0].after, "true");
  EXPECT_EQ(changes[1].name, "journald");
  EXPECT_EQ(changes[1].after, "false");
  EXPECT_EQ(changes[2].name, "cgroup");
  EXPECT_EQ(changes[2].before, "v1");
  EXPECT_EQ(changes[2].after, "null");
  EXPECT_TRUE(capability_changes(before, before).empty());
}

TEST(Banner, ShowsSectionsHintsAndFooter) {
  const auto banner = capabilities_banner(reference_host());
  const std::string rule(60, '=');
  EXPECT_EQ(banner.rfind("\n" + rule + "\n  Fivenines Agent - Capabilities Detection\n" + rule + "\n\n", 0), 0u);
  for (const char* section : {"  Core Metrics:\n", "  Hardware Sensors:\n", "  Storage:\n", "  Services:\n",
                              "  Security:\n", "  Networking:\n", "  Logs:\n"}) {
    EXPECT_NE(banner.find(section), std::string::npos) << section;
  }
  EXPECT_NE(banner.find("    [+] Cpu\n"), std::string::npos);
  EXPECT_NE(banner.find("    [+] Load Average\n"), std::string::npos);
  EXPECT_NE(banner.find("    [-] Smart Storage (requires: sudo smartctl)\n"), std::string::npos);
  EXPECT_NE(banner.find("    [-] Nvidia Gpu (requires: NVIDIA driver with libnvidia-ml)\n"), std::string::npos);
  EXPECT_NE(banner.find("    [-] Temperatures (no accessible sensors)\n"), std::string::npos);
  EXPECT_NE(banner.find("    [+] Journald\n"), std::string::npos);
  EXPECT_NE(banner.find("    [-] Fail2Ban (requires: sudo fail2ban-client)\n"), std::string::npos);  // str.title()
  EXPECT_NE(banner.find("    [+] Cgroup v1\n"), std::string::npos);
  EXPECT_NE(banner.find("  [!] Some features unavailable. See: https://docs.fivenines.io/agent/permissions\n"),
            std::string::npos);
  EXPECT_EQ(banner.substr(banner.size() - 63), "\n" + rule + "\n\n");
  // Every capability appears exactly once.
  for (std::size_t i = 0; i < k_capability_count; ++i) {
    // Python's str.title(): a letter after a non-letter is upper-cased.
    std::string name(capability_name(static_cast<Capability>(i)));
    std::replace(name.begin(), name.end(), '_', ' ');
    for (std::size_t k = 0; k < name.size(); ++k) {
      const bool after_letter = k > 0 && std::isalpha(static_cast<unsigned char>(name[k - 1]));
      if (!after_letter) name[k] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[k])));
    }
    const auto at = banner.find("] " + name);
    EXPECT_NE(at, std::string::npos) << name;
    EXPECT_EQ(banner.find("] " + name + "\n", at + 1), std::string::npos) << name;
  }
}

TEST(Banner, FooterForFullAndCoreOnlyGaps) {
  CapabilitySet all;
  for (std::size_t i = 0; i < k_capability_count; ++i) all.set(static_cast<Capability>(i), true);
  all.cgroup = CgroupVersion::v2;
  const auto full = capabilities_banner(all);
  EXPECT_NE(full.find("  [+] Full monitoring capabilities available\n"), std::string::npos);
  EXPECT_EQ(full.find("[-]"), std::string::npos);
  EXPECT_NE(full.find("    [+] Cgroup v2\n"), std::string::npos);

  auto core_gap = all;
  core_gap.set(Capability::io, false, "missing");
  const auto gap = capabilities_banner(core_gap);
  EXPECT_NE(gap.find("    [-] Io\n"), std::string::npos);
  EXPECT_EQ(gap.find("Full monitoring"), std::string::npos);
  EXPECT_EQ(gap.find("Some features unavailable"), std::string::npos);

  auto no_cgroup = all;
  no_cgroup.cgroup = CgroupVersion::none;
  const auto cgroup_gap = capabilities_banner(no_cgroup);
  EXPECT_NE(cgroup_gap.find("    [-] Cgroup (no cgroup hierarchy found)\n"), std::string::npos);
  EXPECT_NE(cgroup_gap.find("Some features unavailable"), std::string::npos);
}

}  // namespace
}  // namespace fivenines
