// Parsers of the /sys/class/net/<if>/ attributes the network collector
// reads. Each takes the file's bytes (trailing newline allowed).
//
// Pure: no I/O, no allocation. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fivenines {

inline constexpr std::uint64_t k_iff_up = 0x1;  // <linux/if.h> IFF_UP

// flags: the device's dev->flags as "0x1003". nullopt when not that form.
[[nodiscard]] std::optional<std::uint64_t> parse_net_flags(std::string_view text);

// operstate: true for "up" and "unknown", the two states in which the
// kernel sets IFF_RUNNING on a device that is up (netif_oper_up()).
[[nodiscard]] bool operstate_is_running(std::string_view text);

// speed: link speed in Mb/s as the kernel prints it ("1000", "-1"), to bits
// per second. nullopt for anything that is not a real speed: not a
// decimal, <= 0 (-1 is the kernel's SPEED_UNKNOWN), 65535 (the 16-bit
// unknown some drivers print), above 1 600 000 Mb/s (beyond 1.6 Tb
// Ethernet; catches 4294967295, the 32-bit unknown of older kernels).
[[nodiscard]] std::optional<std::int64_t> parse_link_speed_bps(std::string_view text);

// address: the link-layer address ("00:11:22:33:44:55"); empty (just a
// newline) on devices without one (tun, wireguard, ppp).
[[nodiscard]] bool has_link_address(std::string_view text);

}  // namespace fivenines
