#include "config/loopback_target.hpp"

#include <gtest/gtest.h>

namespace fivenines {
namespace {

TEST(LoopbackHost, AcceptsExactlyThreeSpellings) {
  EXPECT_EQ(parse_loopback_host("localhost")->address, "127.0.0.1");
  EXPECT_EQ(parse_loopback_host("LOCALHOST")->name, "localhost");
  EXPECT_EQ(parse_loopback_host("127.0.0.1")->address, "127.0.0.1");
  EXPECT_EQ(parse_loopback_host("::1")->address, "::1");
}

TEST(LoopbackHost, RefusesEveryOtherForm) {
  for (const char* host : {"127.0.0.2",
                           "127.255.255.254",
                           "0.0.0.0",
                           "0",
                           "::",
                           "[::]",
                           "[::1]",
                           "2130706433",
                           "0x7f000001",
                           "017700000001",
                           "127.1",
                           "127.0.1",
                           "127.000.000.001",
                           "0177.0.0.1",
                           "::ffff:127.0.0.1",
                           "::ffff:7f00:1",
                           "0:0:0:0:0:0:0:1",
                           "0000::1",
                           "::0:1",
                           "::1%lo",
                           "fe80::1%1",
                           "localhost.",
                           "foo.localhost",
                           "localhost.localdomain",
                           "local host",
                           " localhost",
                           "localhost\n",
                           "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x97.0.0.1",
                           "local\xE2\x80\x8B"
                           "host",
                           "l\xC3\xB6"
                           "calhost",
                           "",
                           "LOCALHOST."}) {
    auto result = parse_loopback_host(host);
    EXPECT_FALSE(result) << host;
    if (!result) {
      EXPECT_EQ(result.error().message, "host is not localhost, 127.0.0.1 or ::1");
      EXPECT_EQ(result.error().kind, ErrorKind::invalid_config);
    }
  }
}

TEST(LoopbackUrl, CanonicalFormAndParts) {
  auto url = parse_loopback_url("HTTPS://LocalHost:8443/Path?Q=A");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->url, "https://localhost:8443/Path?Q=A");
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host.name, "localhost");
  EXPECT_EQ(url->host.address, "127.0.0.1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/Path?Q=A");

  auto v6 = parse_loopback_url("http://[::1]/status");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host.address, "::1");
  EXPECT_EQ(v6->port, 80);

  auto query = parse_loopback_url("http://127.0.0.1?auto");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->target, "/?auto");
  EXPECT_EQ(parse_loopback_url("https://127.0.0.1")->port, 443);
}

TEST(LoopbackUrl, RefusesWithTheReason) {
  const struct {
    const char* url;
    const char* reason;
  } cases[] = {
      {"http://127.0.0.2/", "host is not localhost, 127.0.0.1 or ::1"},
      {"http://[::ffff:127.0.0.1]/", "host is not localhost, 127.0.0.1 or ::1"},
      {"http://[::1%25lo]/", "has '%' in the host part"},
      {"http://%6cocalhost/", "has '%' in the host part"},
      {"http://a@localhost/", "has '@' (user-info)"},
      {"http://localhost\\@evil/", "has '@' (user-info)"},
      {"http://localhost\\evil/", "has '\\'"},
      {"http://localhost/#", "has '#' (fragment)"},
      {"http://localhost/%0d%0aX-Injected:%201", "has an encoded NUL, CR or LF"},
      {"http://localhost//x", "path starts with //"},
      {"http://localhost:99999/", "port is not 1..65535 without leading zeros"},
      {"http://localhost:00080/", "port is not 1..65535 without leading zeros"},
      {"file:///etc/passwd", "scheme is not http or https"},
      {"gopher://127.0.0.1:6379/_", "scheme is not http or https"},
      {"http:/localhost/", "scheme is not http or https"},
      {"http://localhost/\x7f", "has a character that is not printable ASCII"},
  };
  for (const auto& c : cases) {
    auto result = parse_loopback_url(c.url);
    ASSERT_FALSE(result) << c.url;
    EXPECT_EQ(result.error().message, c.reason) << c.url;
  }
}

}  // namespace
}  // namespace fivenines
