#include "util/ip_address.hpp"

#include <gtest/gtest.h>

namespace fivenines {
namespace {

TEST(IpLiteral, StrictDottedQuadAndIpv6) {
  EXPECT_TRUE(parse_ip_literal("8.8.8.8"));
  EXPECT_TRUE(parse_ip_literal("255.255.255.255"));
  EXPECT_TRUE(parse_ip_literal("2001:4860:4860::8888"));
  EXPECT_TRUE(parse_ip_literal("::ffff:8.8.8.8"));
  for (const char* text : {"127.1", "2130706433", "0x7f000001", "017700000001", "127.000.000.001", "01.2.3.4",
                           "1.2.3.256", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "", " 1.2.3.4", "[::1]", "::1%lo",
                           "fe80::1%eth0", "1.2.3.4/8", "::g", "1234.1.1.1"}) {
    EXPECT_FALSE(parse_ip_literal(text)) << text;
  }
}

TEST(GlobalUnicast, AcceptsPublicAddresses) {
  for (const char* address : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.15.255.255",
                              "172.32.0.0", "192.169.0.0", "223.255.255.255", "2606:4700:4700::1111",
                              "2a00:1450:4001::200e", "2001:4860:4860::8888", "2001:200::1"}) {
    EXPECT_TRUE(is_global_unicast(std::string_view(address))) << address;
  }
}

TEST(GlobalUnicast, RefusesPrivateLoopbackLinkLocalUlaCgnatMetadataAndSpecial) {
  for (const char* address : {"0.0.0.0",
                              "0.1.2.3",
                              "10.0.0.1",
                              "10.255.255.255",
                              "100.64.0.1",
                              "100.100.100.200",
                              "100.127.255.255",
                              "127.0.0.1",
                              "127.255.255.254",
                              "169.254.169.254",
                              "169.254.0.1",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.0.0.1",
                              "192.0.2.1",
                              "192.88.99.1",
                              "192.168.1.1",
                              "198.18.0.1",
                              "198.19.255.255",
                              "198.51.100.7",
                              "203.0.113.9",
                              "224.0.0.1",
                              "239.255.255.250",
                              "240.0.0.1",
                              "255.255.255.255",
                              "168.63.129.16",
                              "::",
                              "::1",
                              "::ffff:8.8.8.8",
                              "::ffff:127.0.0.1",
                              "::8.8.8.8",
                              "64:ff9b::808:808",
                              "fe80::1",
                              "fc00::1",
                              "fd00:ec2::254",
                              "fd12:3456::1",
                              "ff02::1",
                              "2001:db8::1",
                              "2001::1",
                              "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                              "2002:7f00:1::1",
                              "3fff::1",
                              "4000::1",
                              "not an address",
                              "2130706433"}) {
    EXPECT_FALSE(is_global_unicast(std::string_view(address))) << address;
  }
}

}  // namespace
}  // namespace fivenines
