#include "capabilities/probes.hpp"

#include <dirent.h>
#include <dlfcn.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "platform/file_read.hpp"
#include "platform/subprocess.hpp"

namespace fivenines {

namespace {

// Reasons quote a child's stderr; keep them short.
constexpr std::size_t k_reason_max_bytes = 200;
// Probe commands print a version line or a pool list; stderr is what we use.
constexpr std::size_t k_probe_output_bytes = 4096;

std::string clip(std::string_view text) {
  if (text.size() <= k_reason_max_bytes) return std::string(text);
  std::size_t cut = k_reason_max_bytes;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

std::string errno_reason(int error_number, std::string_view what) { return error_from_errno(error_number, what).message; }

bool path_exists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

ProbeOutcome available() { return ProbeOutcome{true, {}}; }
ProbeOutcome unavailable(std::string reason) { return ProbeOutcome{false, clip(reason)}; }

// The core /proc probes: the file exists and we may read it.
ProbeOutcome probe_readable(const std::string& path) {
  if (!path_exists(path)) return unavailable(path + " does not exist");
  if (::access(path.c_str(), R_OK) != 0) return unavailable(errno_reason(errno, path));
  return available();
}

ProbeOutcome probe_on_path(const ProbeEnvironment& env, std::string_view program) {
  if (find_in_path(program, env.search_path)) return available();
  return unavailable(std::string(program) + " not found in PATH");
}

// Runs a probe command; available when it exits 0 within the timeout, or
// when `accept_stderr` (lower-case) appears in its stderr.
ProbeOutcome probe_command(const ProbeEnvironment& env, const std::vector<std::string>& argv, std::string_view label,
                           std::string_view accept_stderr = {}) {
  SubprocessOptions options;
  options.timeout = env.command_timeout;
  options.max_output_bytes = k_probe_output_bytes;
  options.stdout_mode = OutputMode::discard;
  options.env_deny = env.env_deny;
  options.search_path = env.search_path;
  const auto run = run_subprocess(argv, options);
  std::string command;
  for (const auto& arg : argv) {
    if (!command.empty()) command += ' ';
    command += arg;
  }
  if (!run) {
    if (run.error().kind == ErrorKind::absent) return unavailable(argv[0] + " not found in PATH");
    return unavailable(run.error().message);
  }
  if (run->succeeded()) return available();
  if (run->timed_out) {
    return unavailable(command + " timed out after " + std::to_string(env.command_timeout.count()) + " ms");
  }
  if (!accept_stderr.empty()) {
    std::string lowered = run->stderr_text;
    for (char& c : lowered) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (lowered.find(accept_stderr) != std::string::npos) return available();
  }
  const auto line = first_line(run->stderr_text);
  if (!line.empty()) return unavailable(std::string(label) + ": " + std::string(line));
  if (run->term_signal != 0) return unavailable(command + " killed by signal " + std::to_string(run->term_signal));
  return unavailable(command + " exited with status " + std::to_string(run->exit_code));
}

// `program` on PATH, then `sudo -n program args...` exits 0: the sudoers
// rule the installer writes is in place and needs no password.
ProbeOutcome probe_sudo(const ProbeEnvironment& env, const std::string& program, const std::vector<std::string>& args) {
  auto on_path = probe_on_path(env, program);
  if (!on_path.available) return on_path;
  std::vector<std::string> argv = {"sudo", "-n", program};
  argv.insert(argv.end(), args.begin(), args.end());
  return probe_command(env, argv, "sudo -n " + program);
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Some SYS/class/hwmon/*/temp*_input is readable. Fans use the same probe
// (a reference quirk kept for the wire).
ProbeOutcome probe_hwmon(const ProbeEnvironment& env) {
  const std::string root = env.paths.sys_path("class/hwmon");
  if (!path_exists(root)) return unavailable(root + " does not exist");
  DIR* devices = ::opendir(root.c_str());
  if (devices == nullptr) return unavailable(errno_reason(errno, root));
  bool found = false;
  std::string device_path;
  std::string sensor_path;
  while (!found) {
    const dirent* device = ::readdir(devices);
    if (device == nullptr) break;
    const std::string_view device_name(device->d_name);
    if (device_name == "." || device_name == "..") continue;
    device_path = root + "/" + std::string(device_name);
    DIR* files = ::opendir(device_path.c_str());  // hwmonN is a symlink to the device's directory
    if (files == nullptr) continue;
    while (const dirent* file = ::readdir(files)) {
      const std::string_view name(file->d_name);
      if (!starts_with(name, "temp") || !ends_with(name, "_input")) continue;
      sensor_path = device_path + "/" + std::string(name);
      if (::access(sensor_path.c_str(), R_OK) == 0) {
        found = true;
        break;
      }
    }
    ::closedir(files);
  }
  ::closedir(devices);
  if (found) return available();
  return unavailable("no readable temp*_input sensor under " + root);
}

// NVML return codes are an enum the size of an int; 0 is NVML_SUCCESS.
using NvmlInit = int (*)();
using NvmlGetCount = int (*)(unsigned int*);
using NvmlShutdown = int (*)();
using NvmlErrorString = const char* (*)(int);

// Unloads the library on every path out.
class SharedLibrary {
 public:
  explicit SharedLibrary(void* handle) : m_handle(handle) {}
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  ~SharedLibrary() {
    if (m_handle != nullptr) ::dlclose(m_handle);
  }
  template <typename Function>
  Function symbol(const char* name) const {
    return reinterpret_cast<Function>(::dlsym(m_handle, name));
  }

 private:
  void* m_handle;
};

// NVML loads, initialises and counts at least one GPU. No NVML headers: the
// four entry points are looked up by name, as the driver's ABI is stable.
ProbeOutcome probe_nvidia(const ProbeEnvironment& env) {
  const std::string& name = env.nvml_library;
  void* handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = ::dlerror();
    const std::string_view text = error != nullptr ? error : "";
    if (text.empty() || text.find("No such file") != std::string_view::npos) return unavailable(name + " not found");
    return unavailable("dlopen " + std::string(text));
  }
  const SharedLibrary library(handle);
  const auto init = library.symbol<NvmlInit>("nvmlInit_v2");
  const auto get_count = library.symbol<NvmlGetCount>("nvmlDeviceGetCount_v2");
  const auto shutdown = library.symbol<NvmlShutdown>("nvmlShutdown");
  const auto error_string = library.symbol<NvmlErrorString>("nvmlErrorString");
  if (init == nullptr || get_count == nullptr || shutdown == nullptr) {
    return unavailable(name + " lacks nvmlInit_v2, nvmlDeviceGetCount_v2 or nvmlShutdown");
  }
  const auto describe = [error_string](int code) {
    const char* text = error_string != nullptr ? error_string(code) : nullptr;
    return text != nullptr ? std::string(text) : "error " + std::to_string(code);
  };
  const int init_code = init();
  if (init_code != 0) return unavailable("nvmlInit_v2: " + describe(init_code));
  unsigned int count = 0;
  const int count_code = get_count(&count);
  shutdown();
  if (count_code != 0) return unavailable("nvmlDeviceGetCount_v2: " + describe(count_code));
  if (count == 0) return unavailable("no nvidia gpu found");
  return available();
}

// The zpool command works: pools listed, or none ("no pools available" on
// stderr with status 1 still means ZFS is usable).
ProbeOutcome probe_zfs(const ProbeEnvironment& env) {
  auto on_path = probe_on_path(env, "zpool");
  if (!on_path.available) return on_path;
  return probe_command(env, {"zpool", "list", "-H"}, "zpool list -H", "no pools available");
}

ProbeOutcome probe_docker(const ProbeEnvironment& env) {
  const std::string& socket_path = env.docker_socket;
  struct stat st{};
  if (::stat(socket_path.c_str(), &st) != 0) {
    if (errno == ENOENT) return unavailable(socket_path + " does not exist");
    return unavailable(errno_reason(errno, socket_path));
  }
  if (::access(socket_path.c_str(), R_OK | W_OK) != 0) {
    return unavailable(errno_reason(errno, socket_path) + " (needs read and write access)");
  }
  return available();
}

// Connects to libvirt's read-only socket (what a read-only
// virConnectOpen("qemu:///system") does first); the wording of the reasons
// follows libvirt's own error.
ProbeOutcome probe_libvirt(const ProbeEnvironment& env) {
  const std::string& socket_path = env.libvirt_socket;
  const auto failed = [&socket_path](int error_number) {
    std::string message = error_from_errno(error_number, "").message;  // ": no such file or directory"
    return unavailable("failed to connect socket to '" + socket_path + "'" + message);
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) return failed(ENAMETOOLONG);
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return failed(errno);
  int error_number = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error_number = errno;
    if (error_number == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      int ready = 0;
      do {
        ready = ::poll(&pfd, 1, static_cast<int>(env.connect_timeout.count()));
      } while (ready < 0 && errno == EINTR);
      socklen_t length = sizeof error_number;
      if (ready == 0) {
        error_number = ETIMEDOUT;
      } else if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error_number, &length) != 0) {
        error_number = errno;
      }
    }
  }
  ::close(fd);
  if (error_number != 0) return failed(error_number);
  return available();
}

ProbeOutcome probe_proxmox(const ProbeEnvironment& env) {
  if (is_directory(env.pve_dir) || find_in_path("pvesh", env.search_path)) return available();
  return unavailable(env.pve_dir + " missing and pvesh not in PATH");
}

ProbeOutcome probe_packages(const ProbeEnvironment& env) {
  for (const char* manager : {"dpkg-query", "rpm", "apk", "pacman", "synopkg"}) {
    if (find_in_path(manager, env.search_path)) return available();
  }
  return unavailable("no package manager in PATH (dpkg-query, rpm, apk, pacman, synopkg)");
}

ProbeOutcome probe_journald(const ProbeEnvironment& env) {
  auto on_path = probe_on_path(env, "journalctl");
  if (!on_path.available) return on_path;
  // Exits non-zero when the user may not read the journal.
  return probe_command(env, {"journalctl", "-n", "0", "--quiet"}, "journalctl -n 0 --quiet");
}

ProbeOutcome probe_systemd(const ProbeEnvironment& env) {
  // sd_booted(): this directory exists only when systemd is PID 1.
  if (!is_directory(env.systemd_run_dir)) return unavailable(env.systemd_run_dir + " not present");
  auto on_path = probe_on_path(env, "systemctl");
  if (!on_path.available) return on_path;
  return probe_command(env, {"systemctl", "--version"}, "systemctl --version");
}

}  // namespace

ProbeEnvironment ProbeEnvironment::for_host(const HostPaths& paths, std::vector<std::string> env_deny) {
  ProbeEnvironment env;
  env.paths = paths;
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read-only after start-up
  env.search_path = path != nullptr ? path : "/bin:/usr/bin";
  env.env_deny = std::move(env_deny);
  return env;
}

ProbeOutcome probe_capability(const ProbeEnvironment& env, Capability capability) {
  const HostPaths& paths = env.paths;
  switch (capability) {
    case Capability::cpu: return probe_readable(paths.proc_path("stat"));
    case Capability::memory: return probe_readable(paths.proc_path("meminfo"));
    case Capability::load_average: return probe_readable(paths.proc_path("loadavg"));
    case Capability::io: return probe_readable(paths.proc_path("diskstats"));
    case Capability::network: return probe_readable(paths.proc_path("net/dev"));
    case Capability::partitions: return probe_readable(paths.proc_path("mounts"));
    case Capability::file_handles: return probe_readable(paths.proc_path("sys/fs/file-nr"));
    case Capability::ports: return probe_readable(paths.proc_path("net/tcp"));
    case Capability::processes: return probe_readable(paths.proc_path("self/stat"));
    case Capability::temperatures:
    case Capability::fans: return probe_hwmon(env);
    case Capability::nvidia_gpu: return probe_nvidia(env);
    case Capability::smart_storage: return probe_sudo(env, "smartctl", {"--version"});
    case Capability::raid_storage: return probe_sudo(env, "mdadm", {"--version"});
    case Capability::ceph: return probe_on_path(env, "ceph");
    case Capability::fail2ban: return probe_sudo(env, "fail2ban-client", {"status"});
    case Capability::zfs: return probe_zfs(env);
    case Capability::docker: return probe_docker(env);
    case Capability::qemu: return probe_libvirt(env);
    case Capability::proxmox: return probe_proxmox(env);
    case Capability::packages: return probe_packages(env);
    case Capability::snmp: return probe_on_path(env, "snmpget");
    case Capability::journald: return probe_journald(env);
    case Capability::systemd: return probe_systemd(env);
  }
  return unavailable("unknown capability");
}

CgroupOutcome probe_cgroup(const ProbeEnvironment& env) {
  const std::string root = env.paths.sys_path("fs/cgroup");
  if (path_exists(root + "/cgroup.controllers")) return {CgroupVersion::v2, {}};
  if (is_directory(root + "/memory")) return {CgroupVersion::v1, {}};
  return {CgroupVersion::none, "no " + root + "/cgroup.controllers and no " + root + "/memory directory"};
}

CapabilitySet probe_all_capabilities(const ProbeEnvironment& env) {
  CapabilitySet set;
  for (std::size_t i = 0; i < k_capability_count; ++i) {
    const auto capability = static_cast<Capability>(i);
    if (capability == Capability::fans) {
      // Same probe as temperatures, just done.
      set.set(capability, set.has(Capability::temperatures), set.reason(Capability::temperatures));
      continue;
    }
    auto outcome = probe_capability(env, capability);
    set.set(capability, outcome.available, std::move(outcome.reason));
  }
  auto cgroup = probe_cgroup(env);
  set.cgroup = cgroup.version;
  set.cgroup_reason = std::move(cgroup.reason);
  return set;
}

void reprobe_capabilities(const ProbeEnvironment& env, std::span<const std::string> names, CapabilitySet& set) {
  for (const auto& name : names) {
    if (name == "cgroup") {
      auto cgroup = probe_cgroup(env);
      set.cgroup = cgroup.version;
      set.cgroup_reason = std::move(cgroup.reason);
      continue;
    }
    const auto capability = capability_from_name(name);
    if (!capability) continue;
    auto outcome = probe_capability(env, *capability);
    set.set(*capability, outcome.available, std::move(outcome.reason));
  }
}

}  // namespace fivenines
