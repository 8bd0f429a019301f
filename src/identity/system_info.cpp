#include "identity/system_info.hpp"

#include <sys/utsname.h>

#include <cerrno>

#include "platform/file_read.hpp"
#include "util/text.hpp"

namespace fivenines {

Result<UnameInfo> read_uname() {
  struct utsname names{};
  if (::uname(&names) != 0) return error_from_errno(errno, "uname");
  UnameInfo info;
  info.system = names.sysname;
  info.node = names.nodename;
  info.release = names.release;
  info.version = names.version;
  info.machine = names.machine;
  return info;
}

void write_uname(JsonWriter& out, const UnameInfo& info) {
  out.begin_object();
  out.key("system");
  out.string(info.system);
  out.key("node");
  out.string(info.node);
  out.key("release");
  out.string(info.release);
  out.key("version");
  out.string(info.version);
  out.key("machine");
  out.string(info.machine);
  out.key("processor");
  out.string(info.processor);
  out.end_object();
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  LineSplitter lines(proc_stat);
  std::string_view line;
  while (lines.next(line)) {
    FieldSplitter fields(line);
    std::string_view name;
    if (!fields.next(name) || name != "btime") continue;
    std::string_view value;
    std::string_view extra;
    if (!fields.next(value) || fields.next(extra)) return std::nullopt;
    const auto seconds = parse_u64(value);
    if (!seconds) return std::nullopt;
    return static_cast<double>(*seconds);
  }
  return std::nullopt;
}

std::optional<double> read_boot_time(const HostPaths& paths) {
  // /proc/stat grows with the CPU count (a line per CPU plus the interrupt
  // counts); the default cap is far above any real machine.
  const auto text = read_file(paths.proc_path("stat"));
  if (!text) return std::nullopt;
  return parse_boot_time(*text);
}

}  // namespace fivenines
