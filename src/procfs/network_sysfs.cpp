#include "procfs/network_sysfs.hpp"

#include "util/text.hpp"

namespace fivenines {

std::optional<std::uint64_t> parse_net_flags(std::string_view text) {
  text = trim(text);
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return std::nullopt;
  return parse_hex_u64(text.substr(2));
}

bool operstate_is_running(std::string_view text) {
  text = trim(text);
  return text == "up" || text == "unknown";
}

std::optional<std::int64_t> parse_link_speed_bps(std::string_view text) {
  constexpr std::int64_t k_max_speed_mbps = 1'600'000;
  constexpr std::int64_t k_unknown_16bit_mbps = 65'535;
  const auto mbps = parse_i64(trim(text));
  if (!mbps || *mbps <= 0 || *mbps > k_max_speed_mbps || *mbps == k_unknown_16bit_mbps) return std::nullopt;
  return *mbps * 1'000'000;
}

bool has_link_address(std::string_view text) { return !trim(text).empty(); }

}  // namespace fivenines
