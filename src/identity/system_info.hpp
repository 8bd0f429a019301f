// Static host facts sent in every payload (wire contract §3.1): `uname`
// and `boot_time`. Computed once at start-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "platform/host_paths.hpp"
#include "util/json_writer.hpp"
#include "util/result.hpp"

namespace fivenines {

// Python's platform.uname() fields, from uname(2).
struct UnameInfo {
  std::string system;   // sysname, "Linux"
  std::string node;     // nodename
  std::string release;  // "6.1.0-18-amd64"
  std::string version;  // "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"
  std::string machine;  // "x86_64"
  // Python fills this from `uname -p`, blanking "unknown": "" on Debian and
  // most distributions. (Red Hat's patched uname prints the machine there;
  // we do not spawn a program for it and always send "".)
  std::string processor;
};

// uname(2). Errors: ErrorKind::io (it does not fail on Linux).
[[nodiscard]] Result<UnameInfo> read_uname();

// The `uname` object: system, node, release, version, machine, processor.
void write_uname(JsonWriter& out, const UnameInfo& info);

// `btime` of PROC/stat (seconds since the epoch) as the float the wire
// wants; nullopt when the line is missing or malformed.
[[nodiscard]] std::optional<double> parse_boot_time(std::string_view proc_stat);
// Reads PROC/stat (bounded) and parses it; nullopt when unreadable.
[[nodiscard]] std::optional<double> read_boot_time(const HostPaths& paths);

}  // namespace fivenines
