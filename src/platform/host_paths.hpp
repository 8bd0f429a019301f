// Where the agent reads the kernel's view of the host. Tests point these at
// fixture trees (--proc-root, --sys-root) so every collector runs on fakes.
#pragma once

#include <string>

namespace fivenines {

struct HostPaths {
  std::string proc = "/proc";
  std::string sys = "/sys";

  // True when reading the running kernel, not a fixture tree: only then may a
  // collector use live-only sources (netlink, statvfs of real mounts, NSS).
  [[nodiscard]] bool is_live_proc() const { return proc == "/proc"; }
  [[nodiscard]] bool is_live_sys() const { return sys == "/sys"; }

  [[nodiscard]] std::string proc_path(std::string_view relative) const { return join(proc, relative); }
  [[nodiscard]] std::string sys_path(std::string_view relative) const { return join(sys, relative); }

 private:
  static std::string join(const std::string& root, std::string_view relative) {
    std::string out;
    out.reserve(root.size() + 1 + relative.size());
    out += root;
    if (!relative.empty() && relative.front() != '/') out += '/';
    out += relative;
    return out;
  }
};

}  // namespace fivenines
