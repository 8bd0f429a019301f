#include "procfs/ports_netlink.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "platform/file_read.hpp"

namespace fivenines {

namespace {

static_assert(sizeof(nlmsghdr) + sizeof(inet_diag_req_v2) == k_sock_diag_request_bytes);
static_assert(sizeof(inet_diag_msg) == 72);

constexpr std::size_t align_netlink(std::size_t length) { return (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1); }

}  // namespace

std::array<std::uint8_t, k_sock_diag_request_bytes> build_sock_diag_request(PortFamily family, PortProtocol protocol,
                                                                            std::uint32_t sequence) {
  nlmsghdr header{};
  header.nlmsg_len = k_sock_diag_request_bytes;
  header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header.nlmsg_seq = sequence;
  header.nlmsg_pid = 0;  // the kernel fills in our port id

  inet_diag_req_v2 request{};
  request.sdiag_family = family == PortFamily::ipv4 ? AF_INET : AF_INET6;
  request.sdiag_protocol = protocol == PortProtocol::tcp ? IPPROTO_TCP : IPPROTO_UDP;
  request.idiag_ext = 0;
  // UDP sockets have no real state: unbound-to-a-peer ones sit in
  // TCP_CLOSE, connected ones in TCP_ESTABLISHED. Ask for all of them.
  request.idiag_states = protocol == PortProtocol::tcp ? (1U << k_tcp_state_listen) : ~0U;

  std::array<std::uint8_t, k_sock_diag_request_bytes> bytes{};
  std::memcpy(bytes.data(), &header, sizeof header);
  std::memcpy(bytes.data() + sizeof header, &request, sizeof request);
  return bytes;
}

Result<SockDiagBatch> parse_sock_diag_batch(std::string_view datagram, std::uint32_t sequence, PortFamily family,
                                            PortProtocol protocol, std::vector<InetSocket>& out) {
  const int wanted_family = family == PortFamily::ipv4 ? AF_INET : AF_INET6;
  SockDiagBatch batch;
  std::size_t offset = 0;
  while (datagram.size() - offset >= sizeof(nlmsghdr)) {
    nlmsghdr header{};
    std::memcpy(&header, datagram.data() + offset, sizeof header);
    const std::size_t remaining = datagram.size() - offset;
    if (header.nlmsg_len < sizeof header || header.nlmsg_len > remaining) {
      return make_error(ErrorKind::parse, "sock_diag: netlink message length " + std::to_string(header.nlmsg_len) +
                                              " outside the " + std::to_string(remaining) + " bytes left");
    }
    const char* payload = datagram.data() + offset + sizeof header;
    const std::size_t payload_size = header.nlmsg_len - sizeof header;
    offset += std::min(align_netlink(header.nlmsg_len), remaining);

    // A message of an abandoned earlier dump on the same socket.
    if (header.nlmsg_seq != sequence) continue;

    if (header.nlmsg_type == NLMSG_DONE) {
      // Dumps end with an int status; negative when the dump failed.
      if (payload_size >= sizeof(int)) {
        int status = 0;
        std::memcpy(&status, payload, sizeof status);
        if (status < 0) return error_from_errno(-status, "sock_diag");
      }
      batch.progress = SockDiagProgress::done;
      return batch;
    }
    if (header.nlmsg_type == NLMSG_ERROR) {
      int status = 0;
      if (payload_size < sizeof status) return make_error(ErrorKind::parse, "sock_diag: truncated netlink error message");
      std::memcpy(&status, payload, sizeof status);
      if (status == 0) {  // an acknowledgement: nothing more will come
        batch.progress = SockDiagProgress::done;
        return batch;
      }
      // The kernel sends -errno; guard against INT_MIN before negating.
      return error_from_errno(status < 0 && status > -4096 ? -status : EPROTO, "sock_diag");
    }
    if (header.nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;  // NLMSG_NOOP and anything new

    inet_diag_msg message{};
    if (payload_size < sizeof message) return make_error(ErrorKind::parse, "sock_diag: truncated socket message");
    std::memcpy(&message, payload, sizeof message);
    ++batch.sockets_seen;
    if (message.idiag_family != wanted_family) continue;
    if (protocol == PortProtocol::tcp && message.idiag_state != k_tcp_state_listen) continue;

    InetSocket socket;
    // idiag_src holds the address in network byte order, like in6_addr.
    std::memcpy(socket.address.data(), message.id.idiag_src, family == PortFamily::ipv4 ? 4 : 16);
    socket.port = ntohs(message.id.idiag_sport);
    socket.family = family;
    socket.protocol = protocol;
    out.push_back(socket);
  }
  return batch;
}

}  // namespace fivenines
