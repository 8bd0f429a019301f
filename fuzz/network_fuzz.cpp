// libFuzzer target for the network collector's parsers: the bytes are fed
// as /proc/net/dev, as /proc/net/if_inet6 and as each /sys attribute, and
// every parsed interface is serialised the way the collector writes it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "procfs/network_dev.hpp"
#include "procfs/network_sysfs.hpp"
#include "util/json_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const NetDev dev = parse_net_dev(text);
  JsonWriter out;
  out.begin_array();
  for (const NetDevCounters& iface : dev.interfaces) {
    if (iface.name.empty() || iface.name.find('/') != std::string_view::npos) __builtin_trap();
    out.begin_object();
    out.key(iface.name);
    out.begin_object();
    out.key("bytes_sent");
    out.unsigned_integer(iface.bytes_sent);
    out.key("bytes_recv");
    out.unsigned_integer(iface.bytes_recv);
    out.key("dropout");
    out.unsigned_integer(iface.dropout);
    out.end_object();
    out.end_object();
  }
  out.end_array();

  std::vector<std::string_view> names;
  parse_if_inet6_names_into(text, names);
  for (const std::string_view name : names) {
    if (name.empty()) __builtin_trap();
  }

  (void)parse_net_flags(text);
  (void)operstate_is_running(text);
  (void)has_link_address(text);
  const auto speed_bps = parse_link_speed_bps(text);
  if (speed_bps && (*speed_bps <= 0 || *speed_bps > 1'600'000'000'000)) __builtin_trap();
  return 0;
}
