#include "procfs/processes.hpp"

#include <limits>

#include "util/text.hpp"

namespace fivenines {

namespace {

// Fields after the name, 0-based: index k is proc(5) field k + 3.
constexpr std::size_t k_state = 0;
constexpr std::size_t k_ppid = 1;
constexpr std::size_t k_utime = 11;
constexpr std::size_t k_stime = 12;
constexpr std::size_t k_cutime = 13;
constexpr std::size_t k_cstime = 14;
constexpr std::size_t k_num_threads = 17;
constexpr std::size_t k_starttime = 19;
constexpr std::size_t k_rss = 21;
constexpr std::size_t k_blkio = 39;
constexpr std::size_t k_required_fields = k_rss + 1;
constexpr std::size_t k_wanted_fields = k_blkio + 1;

constexpr bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool parse_unsigned(std::string_view field, std::uint64_t& out) {
  const auto value = parse_u64(field);
  if (!value) return false;
  out = *value;
  return true;
}

bool parse_signed(std::string_view field, std::int64_t& out) {
  const auto value = parse_i64(field);
  if (!value) return false;
  out = *value;
  return true;
}

}  // namespace

Result<ProcessStat> parse_process_stat(std::string_view text) {
  const std::size_t open = text.find('(');
  const std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return make_error(ErrorKind::parse, "no process name in parentheses");
  }
  ProcessStat stat;
  stat.comm = text.substr(open + 1, close - open - 1);

  std::string_view fields[k_wanted_fields];
  std::size_t count = 0;
  std::string_view rest = text.substr(close + 1);
  std::size_t at = 0;
  while (count < k_wanted_fields) {
    while (at < rest.size() && is_blank(rest[at])) ++at;
    if (at == rest.size()) break;
    const std::size_t start = at;
    while (at < rest.size() && !is_blank(rest[at])) ++at;
    fields[count++] = rest.substr(start, at - start);
  }
  if (count < k_required_fields) return make_error(ErrorKind::parse, "fewer than 24 fields");

  stat.state = fields[k_state];
  const bool ok =
      parse_signed(fields[k_ppid], stat.ppid) && parse_unsigned(fields[k_utime], stat.utime_ticks) &&
      parse_unsigned(fields[k_stime], stat.stime_ticks) && parse_signed(fields[k_cutime], stat.children_utime_ticks) &&
      parse_signed(fields[k_cstime], stat.children_stime_ticks) &&
      parse_signed(fields[k_num_threads], stat.num_threads) &&
      parse_unsigned(fields[k_starttime], stat.start_time_ticks) && parse_unsigned(fields[k_rss], stat.rss_pages) &&
      (count <= k_blkio || parse_unsigned(fields[k_blkio], stat.blkio_ticks));
  if (!ok) return make_error(ErrorKind::parse, "malformed number");
  return stat;
}

Result<std::uint32_t> parse_status_real_uid(std::string_view text) {
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (line.substr(0, 4) != "Uid:") continue;
    FieldSplitter fields(line.substr(4));
    std::string_view field;
    if (!fields.next(field)) break;
    const auto uid = parse_u64(field);
    if (!uid || *uid > std::numeric_limits<std::uint32_t>::max()) {
      return make_error(ErrorKind::parse, "malformed uid line");
    }
    return static_cast<std::uint32_t>(*uid);
  }
  return make_error(ErrorKind::parse, "no uid line");
}

std::string_view cmdline_program_basename(std::string_view cmdline) {
  if (cmdline.empty()) return {};
  // psutil: sep = NUL if the text ends in NUL else ' '; drop one trailing
  // sep; split on sep; a NUL-ended text without inner NULs but with spaces
  // is split on spaces after all.
  char separator = ' ';
  if (cmdline.back() == '\0') {
    separator = '\0';
    cmdline.remove_suffix(1);
    if (cmdline.find('\0') == std::string_view::npos && cmdline.find(' ') != std::string_view::npos) separator = ' ';
  } else if (cmdline.back() == ' ') {
    cmdline.remove_suffix(1);
  }
  const std::string_view argv0 = cmdline.substr(0, cmdline.find(separator));
  const std::size_t slash = argv0.rfind('/');
  return slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
}

std::string_view process_name(std::string_view comm, std::string_view cmdline) {
  if (!comm_may_be_truncated(comm)) return comm;
  const std::string_view extended = cmdline_program_basename(cmdline);
  return extended.substr(0, comm.size()) == comm ? extended : comm;
}

std::string_view process_status_name(std::string_view state) {
  if (state.size() != 1) return state;
  switch (state.front()) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk-sleep";
    case 'T': return "stopped";
    case 't': return "tracing-stop";
    case 'Z': return "zombie";
    case 'X': return "dead";
    case 'x': return "dead";
    case 'K': return "wake-kill";
    case 'W': return "waking";
    case 'I': return "idle";
    case 'P': return "parked";
    default: return state;
  }
}

Result<std::uint64_t> parse_meminfo_total_bytes(std::string_view text) {
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (line.substr(0, 9) != "MemTotal:") continue;
    FieldSplitter fields(line.substr(9));
    std::string_view number;
    std::string_view unit;
    if (!fields.next(number)) break;
    const auto kib = parse_u64(number);
    const bool unit_ok = !fields.next(unit) || unit == "kB";
    if (!kib || !unit_ok || *kib == 0 || *kib > std::numeric_limits<std::uint64_t>::max() / 1024) {
      return make_error(ErrorKind::parse, "malformed MemTotal line");
    }
    return *kib * 1024;
  }
  return make_error(ErrorKind::parse, "no MemTotal line");
}

}  // namespace fivenines
