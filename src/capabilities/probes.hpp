// Capability probes (wire contract §7.1): what the agent may collect here.
//
// Reads: PROC/{stat,meminfo,loadavg,diskstats,net/dev,mounts,sys/fs/file-nr,
// net/tcp,self/stat} and SYS/class/hwmon/*/temp*_input (access(2) only),
// SYS/fs/cgroup; stats /var/run/docker.sock, /etc/pve, /run/systemd/system;
// connects to the libvirt read-only socket; dlopen()s libnvidia-ml.so.1;
// runs `sudo -n smartctl --version`, `sudo -n mdadm --version`,
// `sudo -n fail2ban-client status`, `zpool list -H`, `journalctl -n 0
// --quiet` and `systemctl --version` through the subprocess wrapper (5 s
// each), and looks programs up on PATH.
// Privileges: none needed; each probe reports what the agent's user may do.
// A full probe can take a few seconds (worst case 5 s per command) and must
// not run on the collection thread every tick: at start, every 300 s, on
// SIGHUP, and for the pending capabilities only (§7.3).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "capabilities/capabilities.hpp"
#include "platform/host_paths.hpp"

namespace fivenines {

// Where the probes look. Tests point every path at a temporary tree and
// PATH at a directory of small scripts standing in for sudo, smartctl, ...
struct ProbeEnvironment {
  HostPaths paths;
  // Colon-separated PATH used to find programs; the children see it too.
  std::string search_path;
  std::string docker_socket = "/var/run/docker.sock";
  std::string libvirt_socket = "/var/run/libvirt/libvirt-sock-ro";
  std::string pve_dir = "/etc/pve";
  std::string systemd_run_dir = "/run/systemd/system";
  // dlopen() name or path of NVML.
  std::string nvml_library = "libnvidia-ml.so.1";
  std::chrono::milliseconds command_timeout{5000};
  std::chrono::milliseconds connect_timeout{3000};
  // Environment variables the probed commands must not see (API_URL, ...).
  std::vector<std::string> env_deny;

  // The live host: `paths` for proc/sys, our own PATH (Python's default
  // "/bin:/usr/bin" when PATH is unset, as shutil.which does).
  [[nodiscard]] static ProbeEnvironment for_host(const HostPaths& paths, std::vector<std::string> env_deny = {});
};

struct ProbeOutcome {
  bool available = false;
  std::string reason;  // why not, when !available
};

struct CgroupOutcome {
  CgroupVersion version = CgroupVersion::none;
  std::string reason;  // when none
};

// One capability (fans probes the same as temperatures, as the reference does).
[[nodiscard]] ProbeOutcome probe_capability(const ProbeEnvironment& env, Capability capability);
// "v2" when SYS/fs/cgroup/cgroup.controllers exists, "v1" when
// SYS/fs/cgroup/memory is a directory, else none.
[[nodiscard]] CgroupOutcome probe_cgroup(const ProbeEnvironment& env);

// The full probe: every capability and cgroup.
[[nodiscard]] CapabilitySet probe_all_capabilities(const ProbeEnvironment& env);

// The gap re-probe of §7.3: re-probes only the named capabilities (wire
// keys, e.g. the current pending_capabilities; "cgroup" re-detects cgroup;
// unknown names are ignored) and updates `set` in place.
void reprobe_capabilities(const ProbeEnvironment& env, std::span<const std::string> names, CapabilitySet& set);

}  // namespace fivenines
