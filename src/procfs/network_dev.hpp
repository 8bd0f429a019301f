// Parsers of the network collector's /proc text formats.
//
// PROC/net/dev: two header lines, then one line per interface:
//   "  eth0: 1234 5 0 0 0 0 0 0 6789 10 0 0 0 0 0 0"
// The name is right-aligned and ends at a ':'. Old kernels print no space
// after it ("eth0:1234"), and a name may hold dots and dashes ("eth0.100",
// "br-1a2b") or, in hand-made input, colons ("eth0:1"). The counters never
// hold a ':', so the name is everything before the LAST ':' of the line,
// trimmed. After it come 16 counters: receive bytes packets errs drop fifo
// frame compressed multicast, then transmit bytes packets errs drop fifo
// colls carrier compressed. Extra trailing columns are ignored.
//
// PROC/net/if_inet6: one IPv6 address per line,
//   "fe80000000000000020000fffe000001 02 40 20 80     eth0"
// (address, ifindex, prefix length, scope, flags, name).
//
// Pure: no I/O; views point into the parsed text. Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace fivenines {

struct NetDevCounters {
  std::string_view name;
  std::uint64_t bytes_recv = 0;
  std::uint64_t packets_recv = 0;
  std::uint64_t errin = 0;
  std::uint64_t dropin = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t errout = 0;
  std::uint64_t dropout = 0;
};

struct NetDev {
  std::vector<NetDevCounters> interfaces;  // file order
  // Lines that are neither a header (no ':' but a '|') nor blank and could
  // not be read: no usable name, fewer than 16 counters, or a counter that
  // is not an unsigned 64-bit decimal.
  std::size_t skipped_lines = 0;
  std::size_t first_skipped_line = 0;  // 1-based, 0 if none
};

// Fills `out`, replacing its content and keeping the vector's capacity.
// Never fails as a whole: an empty text is a namespace with no interfaces.
// A usable name is non-empty, has no '/', space or tab, and is not "." or
// ".." (the kernel refuses those), so it is safe to put in a /sys path.
void parse_net_dev_into(std::string_view text, NetDev& out);

[[nodiscard]] NetDev parse_net_dev(std::string_view text);

// Appends to `names` (cleared first) the interface name of every
// well-formed if_inet6 line (32 hex digits, then four fields, then the
// name); other lines are ignored. A name may repeat (one per address).
void parse_if_inet6_names_into(std::string_view text, std::vector<std::string_view>& names);

}  // namespace fivenines
