// libFuzzer target for the processes collector's parsers: the bytes are fed
// as /proc/<pid>/stat, /proc/<pid>/status, /proc/<pid>/cmdline and
// /proc/meminfo; a parsed stat is serialised the way the collector writes a
// process (name from the same bytes read as a cmdline).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/processes.hpp"
#include "util/json_writer.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// True when `part` is a view inside `whole` (or empty).
bool within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto uid = parse_status_real_uid(text);
  const auto total = parse_meminfo_total_bytes(text);
  if (total) check(*total > 0 && *total % 1024 == 0);

  const std::string_view program = cmdline_program_basename(text);
  check(within(program, text));
  check(program.find('/') == std::string_view::npos);

  const auto stat = parse_process_stat(text);
  if (!stat) return 0;
  check(within(stat->comm, text));
  check(within(stat->state, text));
  const std::string_view name = process_name(stat->comm, text);
  check(name == stat->comm || (within(name, text) && name.substr(0, stat->comm.size()) == stat->comm));

  JsonWriter out;
  out.begin_object();
  out.key("ppid");
  out.integer(stat->ppid);
  out.key("status");
  out.string(process_status_name(stat->state));
  out.key("num_threads");
  out.integer(stat->num_threads);
  out.key("memory_percent");
  if (total) {
    out.number(static_cast<double>(stat->rss_pages * 4096) / static_cast<double>(*total) * 100.0);
  } else {
    out.null();
  }
  out.key("username");
  if (uid) {
    out.unsigned_integer(*uid);
  } else {
    out.null();
  }
  out.key("name");
  out.string(name);
  out.key("cpu_times");
  out.begin_array();
  out.number(static_cast<double>(stat->utime_ticks) / 100.0);
  out.number(static_cast<double>(stat->stime_ticks) / 100.0);
  out.number(static_cast<double>(stat->children_utime_ticks) / 100.0);
  out.number(static_cast<double>(stat->children_stime_ticks) / 100.0);
  out.number(static_cast<double>(stat->blkio_ticks) / 100.0);
  out.end_array();
  out.end_object();
  check(!out.text().empty() && out.text().back() == '}');
  return 0;
}
