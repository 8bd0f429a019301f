// Pure parts of the `ports` collector's netlink source: the bytes of one
// NETLINK_SOCK_DIAG dump request and the parser of the datagrams the kernel
// answers with. The socket itself (send, receive, timeouts, sender check)
// is in collectors/ports.cpp; everything here works on plain bytes so that
// it can be fuzzed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "procfs/ports.hpp"
#include "util/result.hpp"

namespace fivenines {

// nlmsghdr (16 bytes) + inet_diag_req_v2 (56 bytes).
inline constexpr std::size_t k_sock_diag_request_bytes = 72;

// A SOCK_DIAG_BY_FAMILY request with NLM_F_REQUEST | NLM_F_DUMP for
// `family`/`protocol`: TCP asks for LISTEN sockets only (idiag_states =
// 1 << TCP_LISTEN), UDP for every state. No extensions are requested.
[[nodiscard]] std::array<std::uint8_t, k_sock_diag_request_bytes> build_sock_diag_request(PortFamily family,
                                                                                          PortProtocol protocol,
                                                                                          std::uint32_t sequence);

enum class SockDiagProgress : std::uint8_t { more, done };

struct SockDiagBatch {
  SockDiagProgress progress = SockDiagProgress::more;
  std::size_t sockets_seen = 0;  // inet_diag_msg messages of this dump in the datagram
};

// Parses one received datagram of the dump numbered `sequence` and appends
// the sockets kept (TCP: LISTEN only; UDP: all; family as requested) to
// `out`. Messages of other sequence numbers (a previous, abandoned dump)
// are skipped. Returns progress `done` at NLMSG_DONE. Fails with the
// kernel's errno (through error_from_errno: "sock_diag: operation not
// permitted") on NLMSG_ERROR or a negative NLMSG_DONE status, and with
// ErrorKind::parse when a message length is shorter than its header, runs
// past the datagram, or a socket message is shorter than inet_diag_msg.
// Bytes need no alignment (everything is copied out with memcpy).
[[nodiscard]] Result<SockDiagBatch> parse_sock_diag_batch(std::string_view datagram, std::uint32_t sequence,
                                                          PortFamily family, PortProtocol protocol,
                                                          std::vector<InetSocket>& out);

}  // namespace fivenines
