// Rule 13 after resolution: only global unicast addresses are pinged.
#include "config/ping_target.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace fivenines {
namespace {

std::string text_of(const IpAddress& address) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (const auto* v4 = std::get_if<in_addr>(&address)) {
    ::inet_ntop(AF_INET, v4, buffer, sizeof buffer);
  } else {
    ::inet_ntop(AF_INET6, &std::get<in6_addr>(address), buffer, sizeof buffer);
  }
  return buffer;
}

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(text_of(a));
  return out;
}

TEST(PingTarget, FilterKeepsOnlyGlobalUnicastInOrderWithoutRepeats) {
  std::vector<IpAddress> resolved;
  for (const char* text : {"127.0.0.1", "8.8.8.8", "10.0.0.1", "169.254.169.254", "100.64.0.1", "::1",
                           "fd00:ec2::254", "fe80::1", "::ffff:8.8.8.8", "2606:4700:4700::1111", "8.8.8.8",
                           "168.63.129.16", "192.168.1.1", "172.16.0.1", "0.0.0.0"}) {
    resolved.push_back(*parse_ip_literal(text));
  }
  EXPECT_EQ(texts(global_unicast_only(resolved)), (std::vector<std::string>{"8.8.8.8", "2606:4700:4700::1111"}));
}

TEST(PingTarget, LiteralsAreUsedWithoutLookup) {
  auto v4 = resolve_ping_target("1.1.1.1");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(texts(*v4), std::vector<std::string>{"1.1.1.1"});
  auto metadata = resolve_ping_target("169.254.169.254");
  ASSERT_FALSE(metadata);
  EXPECT_EQ(metadata.error().kind, ErrorKind::invalid_config);
  EXPECT_EQ(metadata.error().message, "ping 169.254.169.254: resolves to no global unicast address");
}

TEST(PingTarget, NameResolvingToLoopbackIsRefusedAfterResolution) {
  // "localhost" passes the validator's host-name shape; /etc/hosts maps it
  // to 127.0.0.1 (and ::1), which must never be pinged.
  auto local = resolve_ping_target("localhost");
  ASSERT_FALSE(local);
  EXPECT_EQ(local.error().kind, ErrorKind::invalid_config);
  EXPECT_EQ(local.error().message, "ping localhost: resolves to no global unicast address");
}

TEST(PingTarget, NotAHostIsRefusedWithoutLookup) {
  for (const char* host : {"127.1", "2130706433", "a_b.example", "http://x", "", "x\ny"}) {
    auto result = resolve_ping_target(host);
    ASSERT_FALSE(result) << host;
    EXPECT_EQ(result.error().kind, ErrorKind::invalid_config) << host;
  }
  EXPECT_EQ(resolve_ping_target("x\ny").error().message, "ping (invalid host): not a host name or an IP literal");
}

}  // namespace
}  // namespace fivenines
