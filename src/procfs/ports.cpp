#include "procfs/ports.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <bitset>
#include <cstring>

#include "util/text.hpp"

namespace fivenines {

namespace {

// Hex digits of one 32-bit word as the kernel printed it ("%08X").
std::optional<std::uint32_t> parse_hex_word(std::string_view digits) {
  if (digits.size() != 8) return std::nullopt;
  const auto value = parse_hex_u64(digits);
  if (!value) return std::nullopt;
  return static_cast<std::uint32_t>(*value);
}

bool is_blank(std::string_view line) { return trim(line).empty(); }

bool is_all_zero(const std::array<std::uint8_t, 16>& address) {
  return std::all_of(address.begin(), address.end(), [](std::uint8_t b) { return b == 0; });
}

std::string_view proto_name(PortFamily family, PortProtocol protocol) {
  if (protocol == PortProtocol::tcp) return family == PortFamily::ipv4 ? "TCP (IPv4)" : "TCP (IPv6)";
  return family == PortFamily::ipv4 ? "UDP (IPv4)" : "UDP (IPv6)";
}

}  // namespace

std::optional<ProcNetLine> parse_proc_net_line(std::string_view line, PortFamily family) {
  FieldSplitter fields(line);
  std::string_view slot;
  std::string_view local;
  std::string_view remote;
  std::string_view state;
  if (!fields.next(slot) || !fields.next(local) || !fields.next(remote) || !fields.next(state)) return std::nullopt;
  if (slot.size() < 2 || slot.back() != ':' || !parse_u64(slot.substr(0, slot.size() - 1))) return std::nullopt;

  const std::size_t colon = local.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view address_hex = local.substr(0, colon);
  const std::string_view port_hex = local.substr(colon + 1);
  const std::size_t words = family == PortFamily::ipv4 ? 1 : 4;
  if (address_hex.size() != words * 8 || port_hex.size() != 4 || state.size() != 2) return std::nullopt;

  ProcNetLine parsed;
  for (std::size_t i = 0; i < words; ++i) {
    const auto word = parse_hex_word(address_hex.substr(i * 8, 8));
    if (!word) return std::nullopt;
    // The word's host representation is the network-order bytes (see header).
    std::memcpy(parsed.address.data() + i * 4, &*word, 4);
  }
  const auto port = parse_hex_u64(port_hex);
  const auto state_value = parse_hex_u64(state);
  if (!port || !state_value || remote.find(':') == std::string_view::npos) return std::nullopt;
  parsed.port = static_cast<std::uint16_t>(*port);
  parsed.state = static_cast<unsigned>(*state_value);
  return parsed;
}

Result<ProcNetStats> parse_proc_net_sockets(std::string_view text, PortFamily family, PortProtocol protocol,
                                            std::vector<InetSocket>& out) {
  LineSplitter lines(text);
  std::string_view line;
  std::string_view first_field;
  if (!lines.next(line) || !FieldSplitter(line).next(first_field) || first_field != "sl") {
    return make_error(ErrorKind::parse, "no \"sl\" header line");
  }
  ProcNetStats stats;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    const auto parsed = parse_proc_net_line(line, family);
    if (!parsed) {
      ++stats.malformed_lines;
      continue;
    }
    if (protocol == PortProtocol::tcp && parsed->state != k_tcp_state_listen) continue;
    InetSocket socket;
    socket.address = parsed->address;
    socket.port = parsed->port;
    socket.family = family;
    socket.protocol = protocol;
    out.push_back(socket);
    ++stats.sockets_kept;
  }
  return stats;
}

Result<PortRange> parse_ip_local_port_range(std::string_view text) {
  FieldSplitter fields(trim(text));
  std::string_view low_text;
  std::string_view high_text;
  std::string_view extra;
  if (!fields.next(low_text) || !fields.next(high_text) || fields.next(extra)) {
    return make_error(ErrorKind::parse, "ip_local_port_range: expected two numbers");
  }
  const auto low = parse_u64(low_text);
  const auto high = parse_u64(high_text);
  if (!low || !high || *low > 65535 || *high > 65535 || *low > *high) {
    return make_error(ErrorKind::parse, "ip_local_port_range: not a port range");
  }
  return PortRange{static_cast<std::uint16_t>(*low), static_cast<std::uint16_t>(*high)};
}

Result<bool> parse_bindv6only(std::string_view text) {
  const std::string_view value = trim(text);
  if (value == "0") return false;
  if (value == "1") return true;
  return make_error(ErrorKind::parse, "bindv6only: expected 0 or 1");
}

std::string_view format_socket_address(const InetSocket& socket, std::span<char, 46> out) {
  const int af = socket.family == PortFamily::ipv4 ? AF_INET : AF_INET6;
  if (socket.family == PortFamily::ipv6 && is_all_zero(socket.address)) return "::";
  if (::inet_ntop(af, socket.address.data(), out.data(), static_cast<socklen_t>(out.size())) == nullptr) return "";
  return std::string_view(out.data());
}

void write_ports_json(std::span<const InetSocket> sockets, const PortsPolicy& policy, JsonWriter& out) {
  // 8 KiB on the stack: which ports have an IPv4 TCP listener, for the
  // dual-stack rule, without a per-tick allocation or a quadratic scan.
  std::bitset<65536> ipv4_tcp_ports;
  for (const auto& socket : sockets) {
    if (socket.protocol == PortProtocol::tcp && socket.family == PortFamily::ipv4) ipv4_tcp_ports.set(socket.port);
  }
  const auto reported = [&](std::uint16_t port) {
    if (port < policy.ephemeral.low || port > policy.ephemeral.high) return true;
    return std::binary_search(policy.monitored_ports.begin(), policy.monitored_ports.end(), port);
  };

  constexpr std::pair<PortProtocol, PortFamily> k_groups[] = {
      {PortProtocol::tcp, PortFamily::ipv4},
      {PortProtocol::tcp, PortFamily::ipv6},
      {PortProtocol::udp, PortFamily::ipv4},
      {PortProtocol::udp, PortFamily::ipv6},
  };
  char address_text[46];
  out.begin_array();
  for (const auto& [protocol, family] : k_groups) {
    for (const auto& socket : sockets) {
      if (socket.protocol != protocol || socket.family != family || !reported(socket.port)) continue;
      std::string_view proto = proto_name(family, protocol);
      if (protocol == PortProtocol::tcp && family == PortFamily::ipv6 && policy.ipv6_listeners_accept_ipv4 &&
          is_all_zero(socket.address) && !ipv4_tcp_ports.test(socket.port)) {
        proto = "TCP (Dual-Stack)";
      }
      out.begin_array();
      out.integer(socket.port);
      out.string(proto);
      out.string(format_socket_address(socket, address_text));
      out.end_array();
    }
  }
  out.end_array();
}

}  // namespace fivenines
