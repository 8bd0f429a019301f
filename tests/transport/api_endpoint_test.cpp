#include "transport/api_endpoint.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fivenines {
namespace {

ApiEndpoint parsed(std::string_view text) {
  auto endpoint = parse_api_endpoint(text);
  EXPECT_TRUE(endpoint.has_value()) << text << ": " << (endpoint ? "" : endpoint.error().message);
  return endpoint ? *endpoint : ApiEndpoint{};
}

std::string refusal(std::string_view text) {
  auto endpoint = parse_api_endpoint(text);
  EXPECT_FALSE(endpoint.has_value()) << text << " was accepted as " << (endpoint ? endpoint->url("/") : "");
  if (endpoint) return {};
  EXPECT_EQ(endpoint.error().kind, ErrorKind::invalid_config);
  EXPECT_EQ(endpoint.error().message.find('\n'), std::string::npos);
  return endpoint.error().message;
}

TEST(ApiEndpoint, NameWithoutPortIsTlsOn443) {
  const auto endpoint = parsed("api.fivenines.io");
  EXPECT_EQ(endpoint.host, "api.fivenines.io");
  EXPECT_EQ(endpoint.port, 443);
  EXPECT_EQ(endpoint.scheme, ApiScheme::https);
  EXPECT_EQ(endpoint.host_kind, HostKind::name);
  EXPECT_EQ(endpoint.url("/collect"), "https://api.fivenines.io:443/collect");
}

TEST(ApiEndpoint, NameWithPortIsTls) {
  const auto endpoint = parsed("API.Example.COM:8443");
  EXPECT_EQ(endpoint.host, "api.example.com");
  EXPECT_EQ(endpoint.port, 8443);
  EXPECT_EQ(endpoint.scheme, ApiScheme::https);
}

TEST(ApiEndpoint, LoopbackHostsArePlainHttpOn80) {
  for (const char* text : {"localhost", "LocalHost", "LOCALHOST", "127.0.0.1", "[::1]"}) {
    const auto endpoint = parsed(text);
    EXPECT_EQ(endpoint.scheme, ApiScheme::http) << text;
    EXPECT_EQ(endpoint.port, 80) << text;
  }
  EXPECT_EQ(parsed("localhost:8080").url("/collect"), "http://localhost:8080/collect");
  EXPECT_EQ(parsed("[::1]:8080").url("/collect"), "http://[::1]:8080/collect");
  EXPECT_EQ(parsed("127.0.0.1:1").url("/x"), "http://127.0.0.1:1/x");
  EXPECT_TRUE(parsed("localhost").is_localhost());
  EXPECT_FALSE(parsed("127.0.0.1").is_localhost());
}

TEST(ApiEndpoint, LocalhostLookalikesUseTls) {
  // The reference's prefix test would send these in clear text.
  for (const char* text : {"localhost.example.com", "localhostx", "localhost-api:80", "localhost1.test",
                           "127.0.0.2", "127.0.0.10", "[::2]", "[::ffff:127.0.0.1]", "[0::2]"}) {
    EXPECT_EQ(parsed(text).scheme, ApiScheme::https) << text;
  }
  EXPECT_EQ(parsed("localhost-api:80").port, 80);
}

TEST(ApiEndpoint, SameLoopbackAddressWrittenLongIsStillLoopback) {
  const auto endpoint = parsed("[0:0:0:0:0:0:0:1]:9000");
  EXPECT_EQ(endpoint.host, "::1");
  EXPECT_EQ(endpoint.scheme, ApiScheme::http);
}

TEST(ApiEndpoint, LiteralsAreMarkedSoDnsIsSkipped) {
  EXPECT_EQ(parsed("192.0.2.7:443").host_kind, HostKind::ipv4);
  const auto v6 = parsed("[2001:DB8::7]:8443");
  EXPECT_EQ(v6.host_kind, HostKind::ipv6);
  EXPECT_EQ(v6.host, "2001:db8::7");
  EXPECT_EQ(v6.url("/collect"), "https://[2001:db8::7]:8443/collect");
  EXPECT_EQ(v6.authority(), "[2001:db8::7]:8443");
  EXPECT_EQ(parsed("localhost").host_kind, HostKind::name);
}

TEST(ApiEndpoint, PortBounds) {
  EXPECT_EQ(parsed("a.test:1").port, 1);
  EXPECT_EQ(parsed("a.test:65535").port, 65535);
  EXPECT_NE(refusal("a.test:0").find("port"), std::string::npos);
  EXPECT_NE(refusal("a.test:65536").find("port"), std::string::npos);
  EXPECT_NE(refusal("a.test:08443").find("leading zeros"), std::string::npos);
  refusal("a.test:");
  refusal("a.test:+443");
  refusal("a.test:-1");
  refusal("a.test:443a");
  refusal("a.test: 443");
  refusal("a.test:4430000000000000000000");
  refusal("[::1]:");
  refusal("[::1]:0");
}

TEST(ApiEndpoint, RefusesSchemePathAndUserInfo) {
  EXPECT_NE(refusal("https://api.fivenines.io").find("without a scheme"), std::string::npos);
  EXPECT_NE(refusal("http://localhost:8080").find("without a scheme"), std::string::npos);
  EXPECT_NE(refusal("api.fivenines.io/collect").find("without a path"), std::string::npos);
  EXPECT_NE(refusal("api.fivenines.io:443/").find("without a path"), std::string::npos);
  EXPECT_NE(refusal("user:pw@api.fivenines.io").find("user info"), std::string::npos);
}

TEST(ApiEndpoint, RefusesBadHosts) {
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
  EXPECT_NE(refusal(":443").find("empty host"), std::string::npos);
  EXPECT_NE(refusal("::1").find("brackets"), std::string::npos);
  EXPECT_NE(refusal("2001:db8::1:443").find("brackets"), std::string::npos);
  EXPECT_NE(refusal("[::1").find("']'"), std::string::npos);
  refusal("[::1]x");
  refusal("[::1]8443");
  refusal("[]:443");
  refusal("[not-an-address]:443");
  refusal("[fe80::1%eth0]:443");
  refusal("[127.0.0.1]:443");
  EXPECT_NE(refusal("api.test.").find("dot"), std::string::npos);
  refusal(".api.test");
  refusal("api..test");
  refusal("-api.test");
  refusal("api-.test");
  refusal("api_1.test");
  refusal("api test");
  refusal("api.test\n");
  refusal("ap\xc3\xa9.test");
  refusal(std::string("api\0.test", 9));
  refusal("*.test");
  refusal(std::string(64, 'a') + ".test");
  EXPECT_TRUE(parse_api_endpoint(std::string(63, 'a') + ".test").has_value());
  refusal(std::string(250, 'a').insert(60, ".").insert(120, ".").insert(180, ".") + ".test");
  refusal(std::string(301, 'a'));
}

TEST(ApiEndpoint, RefusesNumericLookalikesOfAddresses) {
  for (const char* text : {"127.1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", "999.999.999.999",
                           "0x7f.0.0.1", "2130706433"}) {
    EXPECT_FALSE(parse_api_endpoint(text).has_value()) << text;
  }
  // A name may have digits, just not an all-digit last label.
  EXPECT_TRUE(parse_api_endpoint("1.2.3.example").has_value());
  EXPECT_TRUE(parse_api_endpoint("0x7f.test").has_value());
}

TEST(ApiEndpoint, RefusalQuotesTheValueOnOneLine) {
  const std::string message = refusal("bad\nhost:1");
  EXPECT_NE(message.find("api_url \"bad?host:1\""), std::string::npos) << message;
}

TEST(ApiEndpoint, LiteralParsers) {
  EXPECT_TRUE(is_ipv4_literal("0.0.0.0"));
  EXPECT_TRUE(is_ipv4_literal("255.255.255.255"));
  EXPECT_FALSE(is_ipv4_literal("255.255.255.256"));
  EXPECT_FALSE(is_ipv4_literal("1.2.3."));
  EXPECT_FALSE(is_ipv4_literal(".1.2.3"));
  EXPECT_FALSE(is_ipv4_literal("1.2.3.4 "));
  EXPECT_TRUE(is_ipv6_literal("::"));
  EXPECT_TRUE(is_ipv6_literal("::ffff:192.0.2.1"));
  EXPECT_TRUE(is_ipv6_literal("2001:DB8:0:0:0:0:0:1"));
  EXPECT_FALSE(is_ipv6_literal("1::2::3"));
  EXPECT_FALSE(is_ipv6_literal("fe80::1%lo"));
  EXPECT_FALSE(is_ipv6_literal(std::string(46, ':')));
  EXPECT_EQ(host_name_problem("api.test"), "");
  EXPECT_NE(host_name_problem("api..test"), "");
}

}  // namespace
}  // namespace fivenines
