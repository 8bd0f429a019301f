#include "collectors/ports.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <iostream>
#include <utility>
#include <cstring>
#include <set>
#include <tuple>

#include "platform/file_read.hpp"
#include "procfs/ports.hpp"
#include "procfs/ports_netlink.hpp"
#include "support/collector_fixture_test.hpp"

namespace fivenines {
namespace {

// The /proc/net hex literals below are little-endian-host data (see
// parse_proc_net_line): on a big-endian host they name other addresses.
constexpr bool k_little_endian = std::endian::native == std::endian::little;

std::string address_text(const std::array<std::uint8_t, 16>& address, PortFamily family) {
  InetSocket socket;
  socket.address = address;
  socket.family = family;
  char buffer[46];
  return std::string(format_socket_address(socket, buffer));
}

// ---- PROC/net/tcp* lines --------------------------------------------------

TEST(ProcNetLineParser, ReadsIpv4LoopbackListener) {
  if (!k_little_endian) GTEST_SKIP() << "hex literals are little-endian-host data";
  const auto line = parse_proc_net_line(
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1062 1 "
      "000000009bfffc75 100 0 0 10 0",
      PortFamily::ipv4);
  ASSERT_TRUE(line);
  EXPECT_EQ(address_text(line->address, PortFamily::ipv4), "127.0.0.1");
  EXPECT_EQ(line->port, 8080);
  EXPECT_EQ(line->state, k_tcp_state_listen);
}

TEST(ProcNetLineParser, ReadsIpv4WordInHostOrder) {
  if (!k_little_endian) GTEST_SKIP() << "hex literals are little-endian-host data";
  // 192.168.1.10 = bytes c0 a8 01 0a, a little-endian word 0x0A01A8C0.
  const auto line = parse_proc_net_line("1: 0A01A8C0:0016 0B01A8C0:D431 01", PortFamily::ipv4);
  ASSERT_TRUE(line);
  EXPECT_EQ(address_text(line->address, PortFamily::ipv4), "192.168.1.10");
  EXPECT_EQ(line->port, 22);
  EXPECT_EQ(line->state, 1u);
}

TEST(ProcNetLineParser, ReadsIpv6AddressesAsFourHostOrderWords) {
  if (!k_little_endian) GTEST_SKIP() << "hex literals are little-endian-host data";
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"00000000000000000000000001000000", "::1"},
      {"00000000000000000000000000000000", "::"},
      {"000080FE000000000000000001000000", "fe80::1"},
      {"0000000000000000FFFF000004030201", "::ffff:1.2.3.4"},
      {"B80D0120000000000000000001000000", "2001:db8::1"},
  };
  for (const auto& [hex, text] : cases) {
    const std::string line = "  12: " + std::string(hex) + ":0050 00000000000000000000000000000000:0000 0A 0 0";
    const auto parsed = parse_proc_net_line(line, PortFamily::ipv6);
    ASSERT_TRUE(parsed) << hex;
    EXPECT_EQ(address_text(parsed->address, PortFamily::ipv6), text) << hex;
    EXPECT_EQ(parsed->port, 80);
  }
}

TEST(ProcNetLineParser, AcceptsLowerCaseHexAndFourFieldsOnly) {
  const auto line = parse_proc_net_line("0: 0100007f:1f90 00000000:0000 0a", PortFamily::ipv4);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->port, 8080);
  EXPECT_EQ(line->state, 10u);
}

TEST(ProcNetLineParser, RejectsMalformedLines) {
  const std::string_view ipv4_bad[] = {
      "",
      "   0: 0100007F:1F90",                               // truncated after the local address
      "   0: 0100007F:1F90 00000000:0000",                 // no state
      "   0 0100007F:1F90 00000000:0000 0A",               // slot without ':'
      "   x: 0100007F:1F90 00000000:0000 0A",              // slot not a number
      "   0: 0100007F1F90 00000000:0000 0A",               // no ':' in local address
      "   0: 100007F:1F90 00000000:0000 0A",               // 7 address digits
      "   0: 0100007F:1F9 00000000:0000 0A",               // 3 port digits
      "   0: 0100007F:01F90 00000000:0000 0A",             // 5 port digits
      "   0: 0100007G:1F90 00000000:0000 0A",              // not hex
      "   0: 0100007F:1F90 00000000:0000 A",               // 1 state digit
      "   0: 0100007F:1F90 00000000:0000 0Z",              // state not hex
      "   0: 0100007F:1F90 000000000000 0A",               // remote without ':'
      "   0: 00000000000000000000000001000000:1F90 0:0 0A",  // IPv6 address in an IPv4 file
      "   0: \xff\xfe\x80\x01:1F90 00000000:0000 0A",      // non-UTF-8
      "   0: +100007F:1F90 00000000:0000 0A",              // sign
  };
  for (const auto line : ipv4_bad) EXPECT_FALSE(parse_proc_net_line(line, PortFamily::ipv4)) << line;
  EXPECT_FALSE(parse_proc_net_line("   0: 0100007F:1F90 00000000:0000 0A", PortFamily::ipv6));
  EXPECT_FALSE(parse_proc_net_line("   0: 0000000000000000000000000100000:1F90 0:0 0A", PortFamily::ipv6));
}

TEST(ProcNetParser, KeepsTcpListenersOnlyAndCountsMalformedLines) {
  const std::string_view text =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
      "   1: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
      "   2: 0A01A8C0:0016 0B01A8C0:D431 01 00000000:00000000 02:0009C65B 00000000     0        0 3 2\n"
      "   3: 0A01A8C0:0016 0B01A8C0:D432 06 00000000:00000000 03:00001747 00000000     0        0 0 3\n"
      "   4: garbage\n"
      "\n"
      "   5: 00000000:0050 00000000:0000 0A";  // no final newline
  std::vector<InetSocket> sockets;
  const auto stats = parse_proc_net_sockets(text, PortFamily::ipv4, PortProtocol::tcp, sockets);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->sockets_kept, 3u);
  EXPECT_EQ(stats->malformed_lines, 1u);
  ASSERT_EQ(sockets.size(), 3u);
  EXPECT_EQ(sockets[0].port, 22);
  EXPECT_EQ(sockets[1].port, 631);
  EXPECT_EQ(sockets[2].port, 80);
  for (const auto& socket : sockets) {
    EXPECT_EQ(socket.family, PortFamily::ipv4);
    EXPECT_EQ(socket.protocol, PortProtocol::tcp);
  }
}

TEST(ProcNetParser, KeepsEveryUdpSocket) {
  const std::string_view text =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer "
      "drops\n"
      "  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0 0\n"
      "  200: 0100007F:0035 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 2 0 0\n";
  std::vector<InetSocket> sockets;
  const auto stats = parse_proc_net_sockets(text, PortFamily::ipv4, PortProtocol::udp, sockets);
  ASSERT_TRUE(stats);
  ASSERT_EQ(sockets.size(), 2u);
  EXPECT_EQ(sockets[0].port, 68);
  EXPECT_EQ(sockets[1].port, 53);
  EXPECT_EQ(sockets[1].protocol, PortProtocol::udp);
}

TEST(ProcNetParser, RequiresTheHeaderLine) {
  std::vector<InetSocket> sockets;
  EXPECT_FALSE(parse_proc_net_sockets("", PortFamily::ipv4, PortProtocol::tcp, sockets));
  EXPECT_FALSE(parse_proc_net_sockets("   0: 00000000:0016 00000000:0000 0A\n", PortFamily::ipv4, PortProtocol::tcp,
                                      sockets));
  EXPECT_FALSE(parse_proc_net_sockets("\xff\xfe\n", PortFamily::ipv4, PortProtocol::tcp, sockets));
  EXPECT_TRUE(sockets.empty());
  const auto header_only = parse_proc_net_sockets("  sl  local_address\n", PortFamily::ipv6, PortProtocol::udp, sockets);
  ASSERT_TRUE(header_only);
  EXPECT_EQ(header_only->sockets_kept, 0u);
  EXPECT_EQ(header_only->malformed_lines, 0u);
}

// ---- sysctls ------------------------------------------------------------

TEST(PortRangeParser, ReadsTwoNumbers) {
  const auto range = parse_ip_local_port_range("32768\t60999\n");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->low, 32768);
  EXPECT_EQ(range->high, 60999);
  const auto whole = parse_ip_local_port_range("0 65535");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->low, 0);
  EXPECT_EQ(whole->high, 65535);
  const auto single = parse_ip_local_port_range("40000 40000");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->low, 40000);
}

TEST(PortRangeParser, RejectsGarbage) {
  for (const std::string_view text : {"", "\n", "32768", "32768 60999 1", "a b", "60999 32768", "1 65536",
                                      "-1 100", "32768 60999x", "\xff\xfe 1"}) {
    EXPECT_FALSE(parse_ip_local_port_range(text)) << text;
  }
}

TEST(Bindv6onlyParser, ReadsZeroAndOne) {
  ASSERT_TRUE(parse_bindv6only("0\n"));
  EXPECT_FALSE(*parse_bindv6only("0\n"));
  ASSERT_TRUE(parse_bindv6only("1"));
  EXPECT_TRUE(*parse_bindv6only("1"));
  EXPECT_FALSE(parse_bindv6only(""));
  EXPECT_FALSE(parse_bindv6only("2"));
  EXPECT_FALSE(parse_bindv6only("01"));
}

// ---- payload --------------------------------------------------------------

InetSocket make_socket(PortProtocol protocol, PortFamily family, std::uint16_t port, const char* address) {
  InetSocket socket;
  socket.protocol = protocol;
  socket.family = family;
  socket.port = port;
  const int af = family == PortFamily::ipv4 ? AF_INET : AF_INET6;
  EXPECT_EQ(::inet_pton(af, address, socket.address.data()), 1) << address;
  return socket;
}

std::string ports_json(std::span<const InetSocket> sockets, const PortsPolicy& policy) {
  JsonWriter out;
  write_ports_json(sockets, policy, out);
  return out.take();
}

TEST(PortsWriter, WritesPythonStyleArraysInGroupOrder) {
  const std::vector<InetSocket> sockets = {
      make_socket(PortProtocol::udp, PortFamily::ipv6, 53, "::1"),
      make_socket(PortProtocol::udp, PortFamily::ipv4, 53, "127.0.0.1"),
      make_socket(PortProtocol::tcp, PortFamily::ipv6, 631, "::1"),
      make_socket(PortProtocol::tcp, PortFamily::ipv4, 22, "0.0.0.0"),
      make_socket(PortProtocol::tcp, PortFamily::ipv4, 22, "0.0.0.0"),
  };
  EXPECT_EQ(ports_json(sockets, PortsPolicy{}),
            "[[22, \"TCP (IPv4)\", \"0.0.0.0\"], [22, \"TCP (IPv4)\", \"0.0.0.0\"], [631, \"TCP (IPv6)\", \"::1\"], "
            "[53, \"UDP (IPv4)\", \"127.0.0.1\"], [53, \"UDP (IPv6)\", \"::1\"]]");
  EXPECT_EQ(ports_json({}, PortsPolicy{}), "[]");
}

TEST(PortsWriter, AppliesTheDualStackRule) {
  const std::vector<InetSocket> sockets = {
      make_socket(PortProtocol::tcp, PortFamily::ipv4, 22, "0.0.0.0"),
      make_socket(PortProtocol::tcp, PortFamily::ipv6, 22, "::"),       // IPv4 listener on 22: stays IPv6
      make_socket(PortProtocol::tcp, PortFamily::ipv6, 80, "::"),       // dual-stack
      make_socket(PortProtocol::tcp, PortFamily::ipv6, 443, "::1"),     // not "::"
      make_socket(PortProtocol::tcp, PortFamily::ipv6, 8443, "::ffff:0.0.0.0"),
      make_socket(PortProtocol::udp, PortFamily::ipv6, 80, "::"),       // UDP never dual-stack
  };
  PortsPolicy policy;
  EXPECT_EQ(ports_json(sockets, policy),
            "[[22, \"TCP (IPv4)\", \"0.0.0.0\"], [22, \"TCP (IPv6)\", \"::\"], [80, \"TCP (Dual-Stack)\", \"::\"], "
            "[443, \"TCP (IPv6)\", \"::1\"], [8443, \"TCP (IPv6)\", \"::ffff:0.0.0.0\"], [80, \"UDP (IPv6)\", \"::\"]]");
  policy.ipv6_listeners_accept_ipv4 = false;
  EXPECT_EQ(ports_json(sockets, policy).find("Dual-Stack"), std::string::npos);
}

TEST(PortsWriter, DropsEphemeralPortsUnlessMonitored) {
  const std::vector<InetSocket> sockets = {
      make_socket(PortProtocol::udp, PortFamily::ipv4, 9999, "0.0.0.0"),
      make_socket(PortProtocol::udp, PortFamily::ipv4, 10000, "0.0.0.0"),
      make_socket(PortProtocol::udp, PortFamily::ipv4, 15000, "0.0.0.0"),
      make_socket(PortProtocol::udp, PortFamily::ipv4, 20000, "0.0.0.0"),
      make_socket(PortProtocol::udp, PortFamily::ipv4, 20001, "0.0.0.0"),
  };
  const std::vector<std::uint16_t> monitored = {1, 15000, 60000};
  PortsPolicy policy;
  policy.ephemeral = PortRange{10000, 20000};
  policy.monitored_ports = monitored;
  EXPECT_EQ(ports_json(sockets, policy),
            "[[9999, \"UDP (IPv4)\", \"0.0.0.0\"], [15000, \"UDP (IPv4)\", \"0.0.0.0\"], "
            "[20001, \"UDP (IPv4)\", \"0.0.0.0\"]]");
}

TEST(PortsWriter, FormatsIpv6UnspecifiedAsDoubleColon) {
  InetSocket socket;
  socket.family = PortFamily::ipv6;
  char buffer[46];
  EXPECT_EQ(format_socket_address(socket, buffer), "::");
  socket.family = PortFamily::ipv4;
  EXPECT_EQ(format_socket_address(socket, buffer), "0.0.0.0");
}

// ---- netlink ----------------------------------------------------------------

// Builds netlink datagrams the way the kernel lays them out.
class Datagram {
 public:
  Datagram& socket(std::uint32_t sequence, std::uint8_t family, std::uint8_t state, std::uint16_t port,
                   const char* address, std::size_t trailing_attribute_bytes = 8) {
    inet_diag_msg message{};
    message.idiag_family = family;
    message.idiag_state = state;
    message.id.idiag_sport = htons(port);
    EXPECT_EQ(::inet_pton(family, address, message.id.idiag_src), 1);
    std::string payload(reinterpret_cast<const char*>(&message), sizeof message);
    payload.append(trailing_attribute_bytes, '\0');  // e.g. INET_DIAG_SHUTDOWN
    return add(SOCK_DIAG_BY_FAMILY, sequence, payload);
  }
  Datagram& done(std::uint32_t sequence, int status = 0) {
    return add(NLMSG_DONE, sequence, std::string(reinterpret_cast<const char*>(&status), sizeof status));
  }
  Datagram& error(std::uint32_t sequence, int status) {
    nlmsgerr err{};
    err.error = status;
    return add(NLMSG_ERROR, sequence, std::string(reinterpret_cast<const char*>(&err), sizeof err));
  }
  Datagram& add(std::uint16_t type, std::uint32_t sequence, const std::string& payload) {
    nlmsghdr header{};
    header.nlmsg_len = static_cast<std::uint32_t>(sizeof header + payload.size());
    header.nlmsg_type = type;
    header.nlmsg_flags = NLM_F_MULTI;
    header.nlmsg_seq = sequence;
    m_bytes.append(reinterpret_cast<const char*>(&header), sizeof header);
    m_bytes += payload;
    m_bytes.append(NLMSG_ALIGN(m_bytes.size()) - m_bytes.size(), '\0');
    return *this;
  }
  [[nodiscard]] const std::string& bytes() const { return m_bytes; }

 private:
  std::string m_bytes;
};

TEST(SockDiagRequest, AsksForListenersOrAllUdpStates) {
  const auto tcp = build_sock_diag_request(PortFamily::ipv6, PortProtocol::tcp, 7);
  nlmsghdr header{};
  inet_diag_req_v2 request{};
  std::memcpy(&header, tcp.data(), sizeof header);
  std::memcpy(&request, tcp.data() + sizeof header, sizeof request);
  EXPECT_EQ(header.nlmsg_len, tcp.size());
  EXPECT_EQ(header.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(header.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(header.nlmsg_seq, 7u);
  EXPECT_EQ(request.sdiag_family, AF_INET6);
  EXPECT_EQ(request.sdiag_protocol, IPPROTO_TCP);
  EXPECT_EQ(request.idiag_states, 1u << 10);

  const auto udp = build_sock_diag_request(PortFamily::ipv4, PortProtocol::udp, 8);
  std::memcpy(&request, udp.data() + sizeof header, sizeof request);
  EXPECT_EQ(request.sdiag_family, AF_INET);
  EXPECT_EQ(request.sdiag_protocol, IPPROTO_UDP);
  EXPECT_EQ(request.idiag_states, ~0u);
}

TEST(SockDiagParser, ReadsSocketsUntilDone) {
  Datagram datagram;
  datagram.socket(5, AF_INET6, 10, 22, "::").socket(5, AF_INET6, 10, 631, "::1", 0).socket(5, AF_INET6, 10, 8080,
                                                                                          "fe80::1", 20);
  std::vector<InetSocket> sockets;
  auto batch = parse_sock_diag_batch(datagram.bytes(), 5, PortFamily::ipv6, PortProtocol::tcp, sockets);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->progress, SockDiagProgress::more);
  EXPECT_EQ(batch->sockets_seen, 3u);
  ASSERT_EQ(sockets.size(), 3u);
  EXPECT_EQ(sockets[0].port, 22);
  EXPECT_EQ(address_text(sockets[0].address, PortFamily::ipv6), "::");
  EXPECT_EQ(address_text(sockets[1].address, PortFamily::ipv6), "::1");
  EXPECT_EQ(address_text(sockets[2].address, PortFamily::ipv6), "fe80::1");
  EXPECT_EQ(sockets[2].port, 8080);

  Datagram last;
  last.socket(5, AF_INET6, 10, 443, "2001:db8::5").done(5);
  batch = parse_sock_diag_batch(last.bytes(), 5, PortFamily::ipv6, PortProtocol::tcp, sockets);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->progress, SockDiagProgress::done);
  ASSERT_EQ(sockets.size(), 4u);
  EXPECT_EQ(address_text(sockets[3].address, PortFamily::ipv6), "2001:db8::5");
}

TEST(SockDiagParser, SkipsOtherSequencesFamiliesAndTcpStates) {
  Datagram datagram;
  datagram.socket(4, AF_INET, 10, 1, "10.0.0.1")     // an older dump
      .socket(9, AF_INET6, 10, 2, "::1")              // wrong family
      .socket(9, AF_INET, 1, 3, "10.0.0.3")           // ESTABLISHED
      .socket(9, AF_INET, 10, 4, "10.0.0.4")
      .done(4)                                        // the older dump's end
      .add(NLMSG_NOOP, 9, "");
  std::vector<InetSocket> sockets;
  const auto batch = parse_sock_diag_batch(datagram.bytes(), 9, PortFamily::ipv4, PortProtocol::tcp, sockets);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->progress, SockDiagProgress::more);
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0].port, 4);
  EXPECT_EQ(address_text(sockets[0].address, PortFamily::ipv4), "10.0.0.4");

  // UDP keeps every state.
  sockets.clear();
  Datagram udp;
  udp.socket(3, AF_INET, 7, 53, "127.0.0.53").socket(3, AF_INET, 1, 5353, "0.0.0.0").done(3);
  const auto udp_batch = parse_sock_diag_batch(udp.bytes(), 3, PortFamily::ipv4, PortProtocol::udp, sockets);
  ASSERT_TRUE(udp_batch);
  EXPECT_EQ(udp_batch->progress, SockDiagProgress::done);
  EXPECT_EQ(sockets.size(), 2u);
}

TEST(SockDiagParser, ReportsKernelErrors) {
  std::vector<InetSocket> sockets;
  Datagram refused;
  refused.error(1, -EPERM);
  const auto error = parse_sock_diag_batch(refused.bytes(), 1, PortFamily::ipv4, PortProtocol::udp, sockets);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::permission);
  EXPECT_EQ(error.error().message, "sock_diag: operation not permitted");

  Datagram failed_dump;
  failed_dump.done(1, -ENOENT);
  const auto failed = parse_sock_diag_batch(failed_dump.bytes(), 1, PortFamily::ipv4, PortProtocol::udp, sockets);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::absent);

  Datagram odd;
  odd.error(1, -2147483647 - 1);
  EXPECT_FALSE(parse_sock_diag_batch(odd.bytes(), 1, PortFamily::ipv4, PortProtocol::udp, sockets));

  Datagram ack;
  ack.error(1, 0);
  const auto acked = parse_sock_diag_batch(ack.bytes(), 1, PortFamily::ipv4, PortProtocol::udp, sockets);
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->progress, SockDiagProgress::done);
  EXPECT_TRUE(sockets.empty());
}

TEST(SockDiagParser, RejectsBadLengths) {
  std::vector<InetSocket> sockets;
  Datagram good;
  good.socket(1, AF_INET, 10, 22, "0.0.0.0");
  const std::string& bytes = good.bytes();

  // Truncated datagram: nlmsg_len runs past the end.
  EXPECT_FALSE(parse_sock_diag_batch(std::string_view(bytes).substr(0, bytes.size() - 1), 1, PortFamily::ipv4,
                                     PortProtocol::tcp, sockets));
  // nlmsg_len shorter than the header itself.
  std::string short_length = bytes;
  const std::uint32_t eight = 8;
  std::memcpy(short_length.data(), &eight, sizeof eight);
  EXPECT_FALSE(parse_sock_diag_batch(short_length, 1, PortFamily::ipv4, PortProtocol::tcp, sockets));
  // A socket message with less than an inet_diag_msg.
  Datagram stub;
  stub.add(SOCK_DIAG_BY_FAMILY, 1, std::string(20, '\0'));
  EXPECT_FALSE(parse_sock_diag_batch(stub.bytes(), 1, PortFamily::ipv4, PortProtocol::tcp, sockets));
  // A truncated error message.
  Datagram short_error;
  short_error.add(NLMSG_ERROR, 1, "ab");
  EXPECT_FALSE(parse_sock_diag_batch(short_error.bytes(), 1, PortFamily::ipv4, PortProtocol::tcp, sockets));
  EXPECT_TRUE(sockets.empty());

  // Fewer bytes than a header at the end are ignored; so is an empty datagram.
  const auto tail = parse_sock_diag_batch(bytes + "abc", 1, PortFamily::ipv4, PortProtocol::tcp, sockets);
  ASSERT_TRUE(tail);
  EXPECT_EQ(sockets.size(), 1u);
  EXPECT_TRUE(parse_sock_diag_batch("", 1, PortFamily::ipv4, PortProtocol::tcp, sockets));
}

TEST(SockDiagParser, ReadsUnalignedBuffers) {
  Datagram datagram;
  datagram.socket(2, AF_INET, 10, 8080, "127.0.0.1").done(2);
  const std::string shifted = "x" + datagram.bytes();
  std::vector<InetSocket> sockets;
  const auto batch =
      parse_sock_diag_batch(std::string_view(shifted).substr(1), 2, PortFamily::ipv4, PortProtocol::tcp, sockets);
  ASSERT_TRUE(batch);
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(address_text(sockets[0].address, PortFamily::ipv4), "127.0.0.1");
}

// ---- fixtures ---------------------------------------------------------------

class PortsFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(PortsFixture, MatchesExpected) {
  if (!k_little_endian) GTEST_SKIP() << "fixture hex is little-endian-host data";
  const auto case_dir = testing::fixtures_root() / "ports" / GetParam();
  RemoteConfig config = RemoteConfig::core_collectors();
  // Optional config.json: the `ports` config object, {"monitored_ports": [...]}.
  if (std::filesystem::exists(case_dir / "config.json")) {
    const auto options = nlohmann::json::parse(testing::read_text(case_dir / "config.json"));
    PortsOptions ports;
    for (const auto& port : options.at("monitored_ports")) ports.monitored_ports.push_back(port.get<std::uint16_t>());
    std::sort(ports.monitored_ports.begin(), ports.monitored_ports.end());
    config.ports = ports;
  }
  auto collector = make_ports_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, config, sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, PortsFixture, ::testing::ValuesIn(testing::fixture_cases("ports")),
                         testing::CaseName());

// ---- live host ----------------------------------------------------------------

class OwnedFd {
 public:
  explicit OwnedFd(int fd) : m_fd(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  OwnedFd& operator=(OwnedFd&&) = delete;
  ~OwnedFd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  [[nodiscard]] int get() const { return m_fd; }

 private:
  int m_fd;
};

using Entry = std::tuple<int, std::string, std::string>;

std::uint16_t ephemeral_low() {
  auto text = read_file("/proc/sys/net/ipv4/ip_local_port_range", 64);
  if (text) {
    if (auto range = parse_ip_local_port_range(*text)) return range->low;
  }
  return 32768;
}

// Binds a socket on the first free port from 20000 upward that is below the
// host's ephemeral range (so the collector does not filter it out).
std::optional<std::pair<OwnedFd, std::uint16_t>> bind_test_socket(int family, int type, const char* address) {
  const std::uint16_t limit = std::min<std::uint16_t>(ephemeral_low(), 32768);
  for (std::uint16_t port = 20000; port < limit; ++port) {
    OwnedFd fd(::socket(family, type | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return std::nullopt;
    int rc = -1;
    if (family == AF_INET) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      ::inet_pton(AF_INET, address, &sa.sin_addr);
      rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    } else {
      const int only = 1;
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(port);
      ::inet_pton(AF_INET6, address, &sa.sin6_addr);
      rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    }
    if (rc != 0) {
      if (errno == EADDRINUSE || errno == EACCES) continue;
      return std::nullopt;  // e.g. IPv6 disabled: EADDRNOTAVAIL
    }
    if (type == SOCK_STREAM && ::listen(fd.get(), 4) != 0) return std::nullopt;
    return std::make_pair(std::move(fd), port);
  }
  return std::nullopt;
}

std::multiset<Entry> collect_live(PortsSource source, std::string* errors = nullptr) {
  HostPaths paths;
  RemoteConfig config = RemoteConfig::core_collectors();
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(2), stopping};
  PayloadSink sink;
  make_ports_collector(source)->collect(ctx, sink);
  const PayloadEntry* entry = sink.find("ports");
  EXPECT_NE(entry, nullptr);
  std::multiset<Entry> entries;
  if (entry == nullptr) return entries;
  for (const auto& error : entry->errors) {
    if (errors != nullptr) *errors += error + "\n";
  }
  EXPECT_FALSE(entry->is_null) << (entry->errors.empty() ? "" : entry->errors.front());
  if (entry->is_null) return entries;
  const auto value = nlohmann::json::parse(entry->json);
  EXPECT_TRUE(value.is_array());
  for (const auto& item : value) {
    EXPECT_TRUE(item.is_array() && item.size() == 3 && item[0].is_number_integer()) << item.dump();
    entries.emplace(item[0].get<int>(), item[1].get<std::string>(), item[2].get<std::string>());
  }
  return entries;
}

class PortsLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tcp4 = bind_test_socket(AF_INET, SOCK_STREAM, "0.0.0.0");
    auto udp4 = bind_test_socket(AF_INET, SOCK_DGRAM, "127.0.0.1");
    ASSERT_TRUE(tcp4 && udp4) << "cannot bind test sockets";
    m_expected.emplace(tcp4->second, "TCP (IPv4)", "0.0.0.0");
    m_expected.emplace(udp4->second, "UDP (IPv4)", "127.0.0.1");
    m_sockets.push_back(std::move(tcp4->first));
    m_sockets.push_back(std::move(udp4->first));
    // IPv6 may be disabled on the test host; then only IPv4 is checked.
    if (auto tcp6 = bind_test_socket(AF_INET6, SOCK_STREAM, "::1")) {
      m_expected.emplace(tcp6->second, "TCP (IPv6)", "::1");
      m_sockets.push_back(std::move(tcp6->first));
    } else {
      std::cerr << "note: IPv6 [::1] not available, IPv6 listener not checked\n";
    }
  }

  void expect_test_sockets_in(const std::multiset<Entry>& entries) {
    for (const auto& expected : m_expected) {
      EXPECT_EQ(entries.count(expected), 1u)
          << std::get<0>(expected) << " " << std::get<1>(expected) << " " << std::get<2>(expected);
    }
  }

  std::vector<OwnedFd> m_sockets;
  std::set<Entry> m_expected;
};

TEST_F(PortsLive, NetlinkSeesTheTestSockets) {
  std::string errors;
  expect_test_sockets_in(collect_live(PortsSource::netlink, &errors));
  EXPECT_EQ(errors, "");
}

TEST_F(PortsLive, ProcFallbackSeesTheTestSockets) {
  std::string errors;
  expect_test_sockets_in(collect_live(PortsSource::proc_files, &errors));
  EXPECT_EQ(errors, "");
}

TEST_F(PortsLive, AutomaticSourceSeesTheTestSockets) { expect_test_sockets_in(collect_live(PortsSource::automatic)); }

TEST_F(PortsLive, NetlinkAndProcFilesAgree) {
  // Other processes open and close sockets meanwhile: retry a few times
  // before calling a difference real.
  std::multiset<Entry> netlink;
  std::multiset<Entry> proc;
  for (int attempt = 0; attempt < 5; ++attempt) {
    netlink = collect_live(PortsSource::netlink);
    proc = collect_live(PortsSource::proc_files);
    if (netlink == proc) break;
  }
  EXPECT_EQ(netlink, proc);
  EXPECT_FALSE(netlink.empty());
}

TEST(PortsCollector, FailsOnATimedOutDeadlineWithNetlink) {
  HostPaths paths;
  RemoteConfig config = RemoteConfig::core_collectors();
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() - std::chrono::seconds(1), stopping};
  PayloadSink sink;
  make_ports_collector(PortsSource::netlink)->collect(ctx, sink);
  const PayloadEntry* entry = sink.find("ports");
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->is_null);
  ASSERT_EQ(entry->errors.size(), 1u);
  // Either the deadline or, in a sandbox without netlink, the refusal.
  EXPECT_NE(entry->errors[0].find("sock_diag dump of tcp sockets: "), std::string::npos) << entry->errors[0];
}

TEST(PortsCollector, ReusesItsBuffersAcrossTicks) {
  auto collector = make_ports_collector();
  HostPaths paths;
  RemoteConfig config = RemoteConfig::core_collectors();
  std::atomic<bool> stopping{false};
  for (int tick = 0; tick < 3; ++tick) {
    const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(2), stopping};
    PayloadSink sink;
    collector->collect(ctx, sink);
    const PayloadEntry* entry = sink.find("ports");
    ASSERT_NE(entry, nullptr);
    EXPECT_FALSE(entry->is_null);
    EXPECT_TRUE(nlohmann::json::parse(entry->json).is_array());
  }
}

}  // namespace
}  // namespace fivenines
