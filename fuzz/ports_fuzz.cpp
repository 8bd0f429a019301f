// libFuzzer target for the `ports` parsers: PROC/net/{tcp,tcp6,udp,udp6}
// text, the two sysctls, and sock_diag netlink datagrams, each followed by
// the payload writer. The first byte picks the netlink dump's sequence
// number and protocol so that both the matching and the skipping paths run.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "procfs/ports.hpp"
#include "procfs/ports_netlink.hpp"
#include "util/json_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<InetSocket> sockets;

  for (const auto family : {PortFamily::ipv4, PortFamily::ipv6}) {
    for (const auto protocol : {PortProtocol::tcp, PortProtocol::udp}) {
      (void)parse_proc_net_sockets(bytes, family, protocol, sockets);
    }
    (void)parse_proc_net_line(bytes, family);
  }

  PortsPolicy policy;
  if (const auto range = parse_ip_local_port_range(bytes)) policy.ephemeral = *range;
  if (const auto v6only = parse_bindv6only(bytes)) policy.ipv6_listeners_accept_ipv4 = !*v6only;

  if (size > 0) {
    const std::uint32_t sequence = data[0] & 0x7F;
    const auto protocol = (data[0] & 0x80) != 0 ? PortProtocol::udp : PortProtocol::tcp;
    for (const auto family : {PortFamily::ipv4, PortFamily::ipv6}) {
      (void)parse_sock_diag_batch(bytes.substr(1), sequence, family, protocol, sockets);
    }
  }

  const std::uint16_t monitored[] = {22, 40000};
  policy.monitored_ports = monitored;
  JsonWriter out;
  write_ports_json(sockets, policy, out);
  return 0;
}
