// Classification of IP addresses for outbound checks that must only reach
// the public internet (ping targets, public-address answers): pure
// functions, no I/O, no name resolution.
#pragma once

#include <netinet/in.h>

#include <optional>
#include <string_view>
#include <variant>

namespace fivenines {

// A parsed IP literal: strict dotted-quad IPv4 (four decimal parts 0..255,
// no leading zeros) or an IPv6 literal without brackets and without a zone
// id. Short, hex, octal and whole-number IPv4 forms ("127.1", "0x7f000001",
// "017700000001", "2130706433") are not IP literals here.
using IpAddress = std::variant<in_addr, in6_addr>;

[[nodiscard]] std::optional<IpAddress> parse_ip_literal(std::string_view text);

// True only for global unicast addresses. IPv4: not 0/8 (this network),
// 10/8, 100.64/10 (CGNAT, Alibaba metadata), 127/8, 169.254/16 (link-local,
// the 169.254.169.254 metadata service), 172.16/12, 192.0.0/24, 192.0.2/24,
// 192.88.99/24 (6to4 relay), 192.168/16, 198.18/15, 198.51.100/24,
// 203.0.113/24, 224/4 (multicast), 240/4 (reserved, broadcast), nor
// 168.63.129.16 (the Azure platform and metadata endpoint). IPv6: inside
// 2000::/3 only (so no ::, ::1, IPv4-mapped or -compatible, NAT64,
// link-local, ULA incl. fd00:ec2::254, multicast) and not 2001::/23 (Teredo,
// benchmarking, ORCHID), 2001:db8::/32 or 3fff::/20 (documentation), nor
// 2002::/16 (6to4, which embeds any IPv4 address).
[[nodiscard]] bool is_global_unicast(const in_addr& address);
[[nodiscard]] bool is_global_unicast(const in6_addr& address);
[[nodiscard]] bool is_global_unicast(const IpAddress& address);
// A textual IP literal as parse_ip_literal() reads it; false for anything
// that does not parse.
[[nodiscard]] bool is_global_unicast(std::string_view address);

}  // namespace fivenines
