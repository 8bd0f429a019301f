#include "transport/proxy_config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace fivenines {
namespace {

bool bypass(std::string_view no_proxy, std::string_view host) {
  return no_proxy_matches(parse_no_proxy(no_proxy), host);
}

TEST(NoProxy, StarMatchesEverything) {
  EXPECT_TRUE(bypass("*", "api.fivenines.io"));
  EXPECT_TRUE(bypass("*", "192.0.2.1"));
  EXPECT_TRUE(bypass("*", "2001:db8::1"));
  EXPECT_TRUE(bypass("example.com, *", "api.fivenines.io"));
}

TEST(NoProxy, DomainMatchesItselfAndNamesUnderIt) {
  for (const char* rules : {"fivenines.io", ".fivenines.io", "*.fivenines.io", "FiveNines.IO", "fivenines.io."}) {
    EXPECT_TRUE(bypass(rules, "fivenines.io")) << rules;
    EXPECT_TRUE(bypass(rules, "api.fivenines.io")) << rules;
    EXPECT_TRUE(bypass(rules, "a.b.FIVENINES.io")) << rules;
    EXPECT_TRUE(bypass(rules, "api.fivenines.io.")) << rules;
    EXPECT_FALSE(bypass(rules, "notfivenines.io")) << rules;
    EXPECT_FALSE(bypass(rules, "fivenines.io.evil.test")) << rules;
    EXPECT_FALSE(bypass(rules, "io")) << rules;
  }
}

TEST(NoProxy, ExactHostRule) {
  EXPECT_TRUE(bypass("api.test", "api.test"));
  EXPECT_FALSE(bypass("api.test", "api.test2"));
  EXPECT_FALSE(bypass("api.test", "xapi.test"));
  EXPECT_TRUE(bypass("api.test:8443", "api.test"));  // a port in a rule is ignored
}

TEST(NoProxy, ListSeparators) {
  const std::string rules = " a.test,b.test\tc.test\n, ,d.test  ";
  for (const char* host : {"a.test", "b.test", "c.test", "d.test"}) EXPECT_TRUE(bypass(rules, host)) << host;
  EXPECT_FALSE(bypass(rules, "e.test"));
  EXPECT_FALSE(bypass("", "a.test"));
  EXPECT_FALSE(bypass(",,,", "a.test"));
}

TEST(NoProxy, Ipv4ExactAndNetworks) {
  EXPECT_TRUE(bypass("192.0.2.1", "192.0.2.1"));
  EXPECT_FALSE(bypass("192.0.2.1", "192.0.2.10"));
  EXPECT_TRUE(bypass("192.0.2.1:443", "192.0.2.1"));
  EXPECT_TRUE(bypass("10.0.0.0/8", "10.200.3.4"));
  EXPECT_FALSE(bypass("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(bypass("192.168.0.0/16", "192.168.255.1"));
  EXPECT_TRUE(bypass("192.0.2.128/25", "192.0.2.200"));
  EXPECT_FALSE(bypass("192.0.2.128/25", "192.0.2.100"));
  EXPECT_TRUE(bypass("0.0.0.0/0", "203.0.113.9"));
  // An address rule is not a suffix rule, and never matches a name.
  EXPECT_FALSE(bypass("0.0.1", "127.0.0.1"));
  EXPECT_FALSE(bypass("127.0.0.1", "localhost"));
  EXPECT_FALSE(bypass("10.0.0.0/8", "ten.test"));
}

TEST(NoProxy, Ipv6ExactAndNetworks) {
  EXPECT_TRUE(bypass("::1", "::1"));
  EXPECT_TRUE(bypass("[::1]", "::1"));
  EXPECT_TRUE(bypass("[::1]:8443", "::1"));
  EXPECT_TRUE(bypass("2001:DB8::1", "2001:db8:0::1"));
  EXPECT_FALSE(bypass("2001:db8::1", "2001:db8::2"));
  EXPECT_TRUE(bypass("fd00::/8", "fd12:3456::1"));
  EXPECT_TRUE(bypass("[fd00::]/8", "fd12:3456::1"));
  EXPECT_FALSE(bypass("fd00::/8", "fe80::1"));
  EXPECT_TRUE(bypass("2001:db8::/127", "2001:db8::1"));
  EXPECT_FALSE(bypass("2001:db8::/127", "2001:db8::2"));
  // Families never cross.
  EXPECT_FALSE(bypass("::ffff:192.0.2.1", "192.0.2.1"));
  EXPECT_FALSE(bypass("0.0.0.0/0", "::1"));
}

TEST(NoProxy, BadEntriesAreSkippedAndReported) {
  std::vector<std::string> skipped;
  const auto rules = parse_no_proxy("ok.test,bad_name.test,10.0.0.0/33,1.2.3.4/x,[::1,a..b,::1/129,api.test:0",
                                    [&](std::string_view entry) { skipped.emplace_back(entry); });
  ASSERT_EQ(rules.rules.size(), 1U);
  EXPECT_TRUE(no_proxy_matches(rules, "ok.test"));
  EXPECT_EQ(skipped, (std::vector<std::string>{"bad_name.test", "10.0.0.0/33", "1.2.3.4/x", "[::1", "a..b", "::1/129",
                                               "api.test:0"}));
}

TEST(ProxyUrl, Forms) {
  auto plain = parse_proxy_url("proxy.corp:3128");
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_EQ(plain->host, "proxy.corp");
  EXPECT_EQ(plain->port, 3128);
  EXPECT_EQ(plain->url(), "http://proxy.corp:3128");

  auto with_scheme = parse_proxy_url(" HTTP://Proxy.Corp:8080/ ");
  ASSERT_TRUE(with_scheme.has_value()) << with_scheme.error().message;
  EXPECT_EQ(with_scheme->url(), "http://proxy.corp:8080");

  auto default_port = parse_proxy_url("http://10.1.2.3");
  ASSERT_TRUE(default_port.has_value());
  EXPECT_EQ(default_port->port, 1080);

  auto v6 = parse_proxy_url("http://[fd00::3]:3128");
  ASSERT_TRUE(v6.has_value()) << v6.error().message;
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->url(), "http://[fd00::3]:3128");
}

TEST(ProxyUrl, CredentialsAreDecodedAndKeptOutOfTheUrl) {
  auto proxy = parse_proxy_url("http://al%40ice:p%3Ass%20w@proxy.corp:3128");
  ASSERT_TRUE(proxy.has_value()) << proxy.error().message;
  EXPECT_EQ(proxy->username, "al@ice");
  EXPECT_EQ(proxy->password, "p:ss w");
  EXPECT_EQ(proxy->url(), "http://proxy.corp:3128");
  auto user_only = parse_proxy_url("bob@proxy.corp:3128");
  ASSERT_TRUE(user_only.has_value());
  EXPECT_EQ(user_only->username, "bob");
  EXPECT_EQ(user_only->password, "");
}

TEST(ProxyUrl, RefusalsNeverQuoteTheSecret) {
  for (const char* text : {"socks5://user:hunter2@proxy:1080", "https://user:hunter2@proxy:443",
                           "http://user:hunter2@proxy:0", "http://user:hunter2@proxy:3128/path",
                           "http://user:hunter2%zz@proxy:3128", "http://user:hunter2%0a@proxy:3128",
                           "http://user:hunter2@", "http://user:hunter2@pro xy", "http://user:hunter2@[::1",
                           "http://user:hunter2@bad_host:3128", "http://user:hunter2@proxy:3128?x=1"}) {
    auto proxy = parse_proxy_url(text);
    ASSERT_FALSE(proxy.has_value()) << text;
    EXPECT_EQ(proxy.error().kind, ErrorKind::invalid_config);
    EXPECT_EQ(proxy.error().message.find("hunter2"), std::string::npos) << proxy.error().message;
    EXPECT_EQ(proxy.error().message.rfind("https_proxy: ", 0), 0U) << proxy.error().message;
  }
  EXPECT_NE(parse_proxy_url("socks5://proxy:1080").error().message.find("unsupported scheme \"socks5\""),
            std::string::npos);
  EXPECT_FALSE(parse_proxy_url("").has_value());
  EXPECT_FALSE(parse_proxy_url(std::string(5000, 'a')).has_value());
}

class FakeEnv {
 public:
  FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> values) : m_values(values) {}
  [[nodiscard]] EnvLookup lookup() const {
    return [this](const char* name) -> std::optional<std::string> {
      const auto it = m_values.find(name);
      if (it == m_values.end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::map<std::string, std::string> m_values;
};

TEST(ProxySettings, UpperAndLowerCaseNames) {
  const FakeEnv upper({{"HTTPS_PROXY", "http://up.proxy:1"}, {"NO_PROXY", "skip.test"}});
  auto settings = proxy_settings_from(upper.lookup());
  ASSERT_TRUE(settings.has_value());
  ASSERT_TRUE(settings->https_proxy.has_value());
  EXPECT_EQ(settings->https_proxy->host, "up.proxy");
  EXPECT_EQ(proxy_for_host(*settings, "skip.test"), nullptr);
  ASSERT_NE(proxy_for_host(*settings, "api.test"), nullptr);

  const FakeEnv lower({{"https_proxy", "http://low.proxy:2"}, {"no_proxy", "skip.test"}});
  settings = proxy_settings_from(lower.lookup());
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->https_proxy->host, "low.proxy");
  EXPECT_EQ(proxy_for_host(*settings, "skip.test"), nullptr);
}

TEST(ProxySettings, LowerCaseWinsAndEmptyMeansUnset) {
  const FakeEnv both({{"https_proxy", "http://low.proxy:2"}, {"HTTPS_PROXY", "http://up.proxy:1"},
                      {"no_proxy", "low.test"}, {"NO_PROXY", "up.test"}});
  auto settings = proxy_settings_from(both.lookup());
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->https_proxy->host, "low.proxy");
  EXPECT_EQ(proxy_for_host(*settings, "low.test"), nullptr);
  EXPECT_NE(proxy_for_host(*settings, "up.test"), nullptr);

  const FakeEnv empty_lower({{"https_proxy", ""}, {"HTTPS_PROXY", "http://up.proxy:1"}});
  settings = proxy_settings_from(empty_lower.lookup());
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->https_proxy->host, "up.proxy");

  const FakeEnv none({{"http_proxy", "http://only.http:3"}, {"ALL_PROXY", "http://all:4"}});
  settings = proxy_settings_from(none.lookup());
  ASSERT_TRUE(settings.has_value());
  EXPECT_FALSE(settings->https_proxy.has_value());  // only HTTPS_PROXY concerns the API
  EXPECT_EQ(proxy_for_host(*settings, "api.test"), nullptr);
}

TEST(ProxySettings, UnusableProxyIsAnError) {
  const FakeEnv bad({{"HTTPS_PROXY", "socks5h://proxy:1080"}});
  auto settings = proxy_settings_from(bad.lookup());
  ASSERT_FALSE(settings.has_value());
  EXPECT_EQ(settings.error().kind, ErrorKind::invalid_config);
  const FakeEnv long_no_proxy({{"NO_PROXY", std::string(5000, 'a')}});
  EXPECT_FALSE(proxy_settings_from(long_no_proxy.lookup()).has_value());
}

}  // namespace
}  // namespace fivenines
