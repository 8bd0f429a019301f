// ports collector (wire contract §5.10).
// Reads: on the live host, four NETLINK_SOCK_DIAG dumps (TCP LISTEN sockets
// and all UDP sockets, IPv4 and IPv6); under a fixture root, or for a table
// whose dump the kernel refuses, PROC/net/{tcp,tcp6,udp,udp6}. Always
// PROC/sys/net/ipv4/ip_local_port_range (ephemeral filter, default
// 32768-60999) and PROC/sys/net/ipv6/bindv6only (dual-stack rule).
// Why netlink: reading /proc/net/tcp makes the kernel walk and print every
// connection (~5 ms on a busy host, each tick); a sock_diag dump filtered to
// LISTEN visits only the listening hash.
// Privileges: none; both sources show every socket of the agent's network
// namespace to any user. Unavailable: never on Linux. Restricted containers
// may refuse netlink (EPERM, EPROTONOSUPPORT): the /proc files are used
// silently. tcp6/udp6 are missing when IPv6 is disabled: fine. The key is
// null only when no socket table could be read at all, or when a netlink
// dump runs past the deadline.
#include "collectors/ports.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <span>

#include "platform/file_read.hpp"
#include "procfs/ports.hpp"
#include "procfs/ports_netlink.hpp"

namespace fivenines {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view k_key = "ports";
// Receive buffer: the kernel fills dump datagrams up to 32 KiB when the
// reader offers that much (netlink_dump sizes its skb to the last recvmsg).
constexpr std::size_t k_receive_buffer_bytes = 32 * 1024;
// Bounds of one dump: a host with more sockets than this in one table gets a
// truncated list and a telemetry error rather than an unbounded tick.
constexpr std::size_t k_max_sockets_per_dump = 65536;
constexpr std::size_t k_max_bytes_per_dump = 32 * 1024 * 1024;
constexpr std::chrono::milliseconds k_max_receive_wait{1000};
// PROC/net/tcp prints ~150 bytes per socket, connections included: 64 MiB is
// ~400k sockets. The buffer is released after a read that big.
constexpr std::size_t k_proc_net_cap_bytes = 64 * 1024 * 1024;
constexpr std::size_t k_proc_net_keep_bytes = 4 * 1024 * 1024;

struct SocketTable {
  PortFamily family;
  PortProtocol protocol;
  std::string_view proc_name;  // under PROC
  std::string_view label;      // in error text
  bool may_be_missing;         // IPv6 tables vanish with IPv6 disabled
};

// Payload group order: TCP IPv4, TCP IPv6, UDP IPv4, UDP IPv6.
constexpr SocketTable k_tables[] = {
    {PortFamily::ipv4, PortProtocol::tcp, "net/tcp", "tcp", false},
    {PortFamily::ipv6, PortProtocol::tcp, "net/tcp6", "tcp6", true},
    {PortFamily::ipv4, PortProtocol::udp, "net/udp", "udp", false},
    {PortFamily::ipv6, PortProtocol::udp, "net/udp6", "udp6", true},
};

// The one netlink socket of a collect(); opened on first use.
class NetlinkSocket {
 public:
  NetlinkSocket() = default;
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  ~NetlinkSocket() { reset(); }

  // Returns 0 or the errno of socket(2).
  int open_if_needed() {
    if (m_fd >= 0) return 0;
    m_fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    return m_fd < 0 ? errno : 0;
  }
  // Closes the socket; the next dump opens a fresh one, so that the unread
  // rest of an abandoned dump cannot reach it.
  void reset() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }
  [[nodiscard]] int fd() const { return m_fd; }

 private:
  int m_fd = -1;
};

// unavailable: socket(2) failed, so no other table need try netlink.
enum class DumpOutcome { complete, truncated, refused, unavailable, timed_out };

struct DumpResult {
  DumpOutcome outcome = DumpOutcome::complete;
  std::string message;  // set for all but `complete`
};

std::string dump_label(const SocketTable& table) {
  std::string label = "sock_diag dump of ";
  label += table.label;
  label += " sockets";
  return label;
}

DumpResult dump_error(DumpOutcome outcome, const SocketTable& table, std::string_view reason) {
  return DumpResult{outcome, dump_label(table) + ": " + std::string(reason)};
}

DumpResult dump_errno(DumpOutcome outcome, const SocketTable& table, int error_number) {
  return DumpResult{outcome, error_from_errno(error_number, dump_label(table)).message};
}

// Errors of socket(2) that will not change while the agent runs.
bool netlink_permanently_refused(int error_number) {
  return error_number == EPERM || error_number == EACCES || error_number == EPROTONOSUPPORT ||
         error_number == EAFNOSUPPORT;
}

class PortsCollector final : public Collector {
 public:
  explicit PortsCollector(PortsSource source) : m_source(source) {}

  void collect(const CollectContext& ctx, PayloadSink& sink) override {
    m_sockets.clear();
    const PortsPolicy policy = read_policy(ctx);
    bool use_netlink = m_source == PortsSource::netlink ||
                             (m_source == PortsSource::automatic && ctx.paths.is_live_proc() && !m_netlink_refused);

    NetlinkSocket netlink;
    std::vector<std::string> errors;
    bool any_table_read = false;
    for (const auto& table : k_tables) {
      if (use_netlink) {
        const std::size_t mark = m_sockets.size();
        DumpResult dump = dump_table(ctx, netlink, table);
        if (dump.outcome == DumpOutcome::complete) {
          any_table_read = true;
          continue;
        }
        if (dump.outcome == DumpOutcome::truncated) {
          any_table_read = true;
          errors.push_back(std::move(dump.message));
          continue;
        }
        if (dump.outcome == DumpOutcome::timed_out || m_source == PortsSource::netlink) {
          return sink.fail(k_key, std::move(dump.message));
        }
        // Refused: this table comes from its /proc file instead.
        m_sockets.resize(mark);
        if (dump.outcome == DumpOutcome::unavailable) use_netlink = false;
      }
      if (read_proc_table(ctx, table, errors)) any_table_read = true;
    }

    if (!any_table_read) {
      sink.fail(k_key, errors.empty() ? std::string("no socket table readable") : errors.front());
      for (std::size_t i = 1; i < errors.size(); ++i) sink.add_error(k_key, std::move(errors[i]));
      return;
    }
    JsonWriter out;
    out.reserve(64 + m_sockets.size() * 40);
    write_ports_json(m_sockets, policy, out);
    sink.set(k_key, std::move(out));
    for (auto& error : errors) sink.add_error(k_key, std::move(error));
  }

 private:
  static PortsPolicy read_policy(const CollectContext& ctx) {
    PortsPolicy policy;
    char buffer[64];
    const std::string range_path = ctx.paths.proc_path("sys/net/ipv4/ip_local_port_range");
    // Unreadable or garbage: the kernel default, as the reference does.
    if (const auto size = read_small_file(range_path.c_str(), buffer, sizeof buffer)) {
      if (const auto range = parse_ip_local_port_range(std::string_view(buffer, *size))) policy.ephemeral = *range;
    }
    const std::string v6only_path = ctx.paths.proc_path("sys/net/ipv6/bindv6only");
    const auto size = read_small_file(v6only_path.c_str(), buffer, sizeof buffer);
    if (size) {
      const auto v6only = parse_bindv6only(std::string_view(buffer, *size));
      policy.ipv6_listeners_accept_ipv4 = v6only && !*v6only;
    } else {
      // Missing (IPv6 compiled out or disabled): the kernel default 0.
      policy.ipv6_listeners_accept_ipv4 = size.error().kind == ErrorKind::absent;
    }
    if (ctx.config.ports) policy.monitored_ports = ctx.config.ports->monitored_ports;
    return policy;
  }

  DumpResult dump_table(const CollectContext& ctx, NetlinkSocket& netlink, const SocketTable& table) {
    if (const int error_number = netlink.open_if_needed(); error_number != 0) {
      if (netlink_permanently_refused(error_number) && m_source == PortsSource::automatic) m_netlink_refused = true;
      return dump_errno(DumpOutcome::unavailable, table, error_number);
    }
    const auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(ctx.deadline - Clock::now());
    if (remaining.count() <= 0 || ctx.stopping.load()) return dump_error(DumpOutcome::timed_out, table, "deadline passed");
    // SO_RCVTIMEO bounds each recvmsg; the loop below checks the deadline
    // between datagrams, so a dump ends at most one wait past it.
    const auto wait = std::min<std::chrono::microseconds>(remaining, k_max_receive_wait);
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(wait.count() / 1000000);
    timeout.tv_usec = static_cast<suseconds_t>(std::max<std::int64_t>(wait.count() % 1000000, 1));
    if (::setsockopt(netlink.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
      const int error_number = errno;
      netlink.reset();
      return dump_errno(DumpOutcome::refused, table, error_number);
    }

    if (++m_sequence == 0) ++m_sequence;
    const std::uint32_t sequence = m_sequence;
    const auto request = build_sock_diag_request(table.family, table.protocol, sequence);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent = 0;
    do {
      sent = ::sendto(netlink.fd(), request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
                      sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent != static_cast<ssize_t>(request.size())) {
      const int error_number = sent < 0 ? errno : EIO;
      netlink.reset();
      return dump_errno(DumpOutcome::refused, table, error_number);
    }

    if (!m_receive_buffer) m_receive_buffer = std::make_unique<char[]>(k_receive_buffer_bytes);
    std::size_t sockets_seen = 0;
    std::size_t bytes_seen = 0;
    for (;;) {
      if (Clock::now() >= ctx.deadline || ctx.stopping.load()) {
        netlink.reset();
        return dump_error(DumpOutcome::timed_out, table, "deadline passed");
      }
      sockaddr_nl sender{};
      iovec buffer{m_receive_buffer.get(), k_receive_buffer_bytes};
      msghdr message{};
      message.msg_name = &sender;
      message.msg_namelen = sizeof sender;
      message.msg_iov = &buffer;
      message.msg_iovlen = 1;
      const ssize_t received = ::recvmsg(netlink.fd(), &message, 0);
      if (received < 0) {
        const int error_number = errno;
        if (error_number == EINTR) continue;
        netlink.reset();
        if (error_number == EAGAIN || error_number == EWOULDBLOCK) {
          return dump_error(DumpOutcome::timed_out, table, "timed out");
        }
        return dump_errno(DumpOutcome::refused, table, error_number);
      }
      if (received == 0) {
        netlink.reset();
        return dump_error(DumpOutcome::refused, table, "empty datagram");
      }
      if ((message.msg_flags & MSG_TRUNC) != 0) {
        netlink.reset();
        return dump_error(DumpOutcome::refused, table, "datagram larger than the receive buffer");
      }
      bytes_seen += static_cast<std::size_t>(received);
      // Only the kernel (port id 0) answers dumps; drop anything else.
      if (message.msg_namelen >= sizeof sender && sender.nl_family == AF_NETLINK && sender.nl_pid == 0) {
        const auto batch = parse_sock_diag_batch(
            std::string_view(m_receive_buffer.get(), static_cast<std::size_t>(received)), sequence, table.family,
            table.protocol, m_sockets);
        if (!batch) {
          netlink.reset();
          return DumpResult{DumpOutcome::refused, dump_label(table) + ": " + batch.error().message};
        }
        if (batch->progress == SockDiagProgress::done) return DumpResult{};
        sockets_seen += batch->sockets_seen;
      }
      if (sockets_seen > k_max_sockets_per_dump || bytes_seen > k_max_bytes_per_dump) {
        netlink.reset();
        return dump_error(DumpOutcome::truncated, table,
                          "more than " + std::to_string(k_max_sockets_per_dump) + " sockets, list truncated");
      }
    }
  }

  // Appends the kept sockets of one PROC/net file; false when it gave none
  // (missing, unreadable, no header). Problems go to `errors`, except a
  // missing IPv6 table.
  bool read_proc_table(const CollectContext& ctx, const SocketTable& table, std::vector<std::string>& errors) {
    const std::string path = ctx.paths.proc_path(table.proc_name);
    const Status read = read_file_into(path.c_str(), m_file_buffer, k_proc_net_cap_bytes);
    if (!read) {
      if (!(table.may_be_missing && read.error().kind == ErrorKind::absent)) errors.push_back(read.error().message);
      return false;
    }
    const std::size_t mark = m_sockets.size();
    const auto parsed = parse_proc_net_sockets(m_file_buffer, table.family, table.protocol, m_sockets);
    if (m_file_buffer.capacity() > k_proc_net_keep_bytes) std::string().swap(m_file_buffer);
    if (!parsed) {
      m_sockets.resize(mark);
      errors.push_back(path + ": " + parsed.error().message);
      return false;
    }
    if (parsed->malformed_lines > 0) {
      errors.push_back(path + ": " + std::to_string(parsed->malformed_lines) +
                       (parsed->malformed_lines == 1 ? " malformed line skipped" : " malformed lines skipped"));
    }
    return true;
  }

  PortsSource m_source;
  std::vector<InetSocket> m_sockets;
  std::string m_file_buffer;
  std::unique_ptr<char[]> m_receive_buffer;
  std::uint32_t m_sequence = 0;
  // socket(AF_NETLINK) was refused for good (seccomp, no sock_diag): do not
  // ask again every tick.
  bool m_netlink_refused = false;
};

}  // namespace

std::unique_ptr<Collector> make_ports_collector() { return make_ports_collector(PortsSource::automatic); }

std::unique_ptr<Collector> make_ports_collector(PortsSource source) { return std::make_unique<PortsCollector>(source); }

}  // namespace fivenines
