// Pure parts of the `ports` collector (wire contract §5.10): the text of
// PROC/net/{tcp,tcp6,udp,udp6}, the two sysctls that shape the result, and
// the step that turns sockets into the payload's [port, proto, address]
// arrays. No I/O here; the netlink side lives in ports_netlink.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "util/json_writer.hpp"
#include "util/result.hpp"

namespace fivenines {

enum class PortFamily : std::uint8_t { ipv4, ipv6 };
enum class PortProtocol : std::uint8_t { tcp, udp };

// The kernel's TCP_LISTEN state number (include/net/tcp_states.h).
inline constexpr unsigned k_tcp_state_listen = 10;

// One socket kept for the payload: a TCP listener or any UDP socket.
struct InetSocket {
  // Local address in network byte order; IPv4 uses the first 4 bytes.
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;
  PortFamily family = PortFamily::ipv4;
  PortProtocol protocol = PortProtocol::tcp;
};

// One parsed line of PROC/net/tcp*: what the collector needs of it.
struct ProcNetLine {
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;
  unsigned state = 0;
};

// Parses one socket line ("   0: 0100007F:1F90 00000000:0000 0A ...").
// nullopt when the line is malformed: fewer than 4 fields, an address of
// the wrong length for `family` (8 hex digits for IPv4, 32 for IPv6), a port
// that is not 4 hex digits, a state that is not 2 hex digits.
//
// Byte order: the kernel prints each 32-bit word of the address (one for
// IPv4, four for IPv6) as "%08X" of the network-order word read as a host
// integer, so the digits are the host's view of those bytes. Parsing the
// digits as a host uint32 and copying its bytes gives back the network
// bytes on any host. Fixture files were written on little-endian hosts
// (0100007F is 127.0.0.1 there) and only decode as intended on one.
[[nodiscard]] std::optional<ProcNetLine> parse_proc_net_line(std::string_view line, PortFamily family);

struct ProcNetStats {
  std::size_t sockets_kept = 0;
  std::size_t malformed_lines = 0;
};

// Parses a whole PROC/net/{tcp,tcp6,udp,udp6} text and appends the sockets
// kept (TCP: LISTEN only; UDP: every socket) to `out`, in file order.
// Malformed lines are skipped and counted; blank lines are ignored. Fails
// (ErrorKind::parse) only when the text does not start with the "sl" header.
[[nodiscard]] Result<ProcNetStats> parse_proc_net_sockets(std::string_view text, PortFamily family, PortProtocol protocol,
                                                          std::vector<InetSocket>& out);

// PROC/sys/net/ipv4/ip_local_port_range: two numbers, inclusive.
struct PortRange {
  std::uint16_t low = 32768;
  std::uint16_t high = 60999;
};

// "32768\t60999\n". Fails (ErrorKind::parse) on anything but two ports with
// low <= high; callers then use the default PortRange{}.
[[nodiscard]] Result<PortRange> parse_ip_local_port_range(std::string_view text);

// PROC/sys/net/ipv6/bindv6only: "0" -> false, "1" -> true, else parse error.
[[nodiscard]] Result<bool> parse_bindv6only(std::string_view text);

struct PortsPolicy {
  PortRange ephemeral;
  // Ports kept even inside the ephemeral range; sorted ascending (as
  // PortsOptions guarantees), searched with binary search.
  std::span<const std::uint16_t> monitored_ports;
  // bindv6only is 0 or missing: an IPv6 TCP listener on "::" may also take
  // IPv4 connections.
  bool ipv6_listeners_accept_ipv4 = true;
};

// Payload text of one address: inet_ntop form ("0.0.0.0", "::1",
// "::ffff:1.2.3.4"); IPv6 unspecified is always "::". `out` must hold 46 bytes.
[[nodiscard]] std::string_view format_socket_address(const InetSocket& socket, std::span<char, 46> out);

// Writes the `ports` value: an array of [port, proto, address] arrays.
// Groups in the order TCP IPv4, TCP IPv6, UDP IPv4, UDP IPv6, each in input
// order; ports inside policy.ephemeral are dropped unless monitored; a
// "TCP (IPv6)" listener on "::" becomes "TCP (Dual-Stack)" when
// policy.ipv6_listeners_accept_ipv4 and no IPv4 TCP listener in `sockets`
// has the same port. Sockets are not merged.
void write_ports_json(std::span<const InetSocket> sockets, const PortsPolicy& policy, JsonWriter& out);

}  // namespace fivenines
