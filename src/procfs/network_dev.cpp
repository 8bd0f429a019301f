#include "procfs/network_dev.hpp"

#include "util/text.hpp"

namespace fivenines {

namespace {

constexpr std::size_t k_net_dev_counters = 16;

bool is_usable_interface_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (const char c : name) {
    if (c == '/' || c == ' ' || c == '\t') return false;
  }
  return true;
}

// Reads one interface line; false when it cannot be read.
bool read_net_dev_line(std::string_view line, std::size_t colon, NetDevCounters& out) {
  const std::string_view name = trim(line.substr(0, colon));
  if (!is_usable_interface_name(name)) return false;
  std::uint64_t counters[k_net_dev_counters] = {};
  FieldSplitter fields(line.substr(colon + 1));
  std::string_view field;
  for (std::uint64_t& counter : counters) {
    if (!fields.next(field)) return false;
    const auto value = parse_u64(field);
    if (!value) return false;
    counter = *value;
  }
  out.name = name;
  out.bytes_recv = counters[0];
  out.packets_recv = counters[1];
  out.errin = counters[2];
  out.dropin = counters[3];
  out.bytes_sent = counters[8];
  out.packets_sent = counters[9];
  out.errout = counters[10];
  out.dropout = counters[11];
  return true;
}

}  // namespace

void parse_net_dev_into(std::string_view text, NetDev& out) {
  out.interfaces.clear();
  out.skipped_lines = 0;
  out.first_skipped_line = 0;

  LineSplitter lines(text);
  std::string_view line;
  std::size_t line_number = 0;
  while (lines.next(line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const std::size_t colon = line.rfind(':');
    // Both header lines ("Inter-|   Receive ...", " face |bytes ...") have
    // a '|' and no ':'; an interface name can never contain ':'.
    if (colon == std::string_view::npos && line.find('|') != std::string_view::npos) continue;
    NetDevCounters counters;
    if (colon == std::string_view::npos || !read_net_dev_line(line, colon, counters)) {
      if (out.skipped_lines == 0) out.first_skipped_line = line_number;
      ++out.skipped_lines;
      continue;
    }
    out.interfaces.push_back(counters);
  }
}

NetDev parse_net_dev(std::string_view text) {
  NetDev out;
  parse_net_dev_into(text, out);
  return out;
}

void parse_if_inet6_names_into(std::string_view text, std::vector<std::string_view>& names) {
  names.clear();
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) {
    FieldSplitter fields(line);
    std::string_view field;
    if (!fields.next(field) || field.size() != 32 || !parse_hex_u64(field.substr(0, 16)) ||
        !parse_hex_u64(field.substr(16))) {
      continue;
    }
    bool complete = true;
    for (int i = 0; i < 4 && complete; ++i) complete = fields.next(field);
    if (!complete || !fields.next(field)) continue;
    names.push_back(field);
  }
}

}  // namespace fivenines
