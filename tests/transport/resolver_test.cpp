// The c-ares resolver against a real DNS server on loopback
// (tests/servers/dns_server.py), named through ResolverOptions::servers.
// The system resolv.conf path is shown by https_isolated_test (a network
// namespace with its own resolv.conf and dnsmasq).
#include "transport/resolver.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "transport/transport_test_support.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using testing::PortServer;
using testing::ScratchDir;

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = testing::missing_server_tools(); !missing.empty()) GTEST_SKIP() << missing;
  }

  std::unique_ptr<PortServer> start_dns(std::vector<std::string> args) {
    auto server = std::make_unique<PortServer>("dns_server.py", std::move(args), m_dir.path(), "dns");
    EXPECT_TRUE(server->ok()) << server->error();
    return server;
  }

  static Resolver resolver_for(const PortServer& dns) {
    return Resolver(ResolverOptions{"127.0.0.1:" + std::to_string(dns.port())});
  }

  ScratchDir m_dir;
  std::atomic<bool> m_stopping{false};
};

TEST_F(ResolverTest, ReturnsARecordsInAnswerOrder) {
  auto dns = start_dns({"--record", "api.test=192.0.2.10", "--record", "api.test=192.0.2.3", "--record",
                        "api.test=2001:db8::1"});
  ASSERT_TRUE(dns->ok());
  const auto resolver = resolver_for(*dns);
  auto addresses = resolver.lookup("api.test", AddressFamily::ipv4, std::chrono::steady_clock::now() + 5s, m_stopping);
  ASSERT_TRUE(addresses.has_value()) << addresses.error().message;
  EXPECT_EQ(*addresses, (std::vector<std::string>{"192.0.2.10", "192.0.2.3"}));

  auto v6 = resolver.lookup("API.test", AddressFamily::ipv6, std::chrono::steady_clock::now() + 5s, m_stopping);
  ASSERT_TRUE(v6.has_value()) << v6.error().message;
  EXPECT_EQ(*v6, (std::vector<std::string>{"2001:db8::1"}));

  const auto queries = dns->records();
  ASSERT_EQ(queries.size(), 2U);
  EXPECT_EQ(queries[0]["type"], "A");
  EXPECT_EQ(queries[0]["name"], "api.test");  // as given: no search domain appended
  EXPECT_EQ(queries[1]["type"], "AAAA");
}

TEST_F(ResolverTest, NoRecordOfThatTypeIsAbsent) {
  auto dns = start_dns({"--record", "v6only.test=::1"});
  ASSERT_TRUE(dns->ok());
  auto result = resolver_for(*dns).lookup("v6only.test", AddressFamily::ipv4, std::chrono::steady_clock::now() + 5s,
                                          m_stopping);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::absent);
  EXPECT_EQ(result.error().message, "resolve v6only.test (A): no A record");
}

TEST_F(ResolverTest, UnknownNameIsAbsent) {
  auto dns = start_dns({"--record", "api.test=192.0.2.1"});
  ASSERT_TRUE(dns->ok());
  auto result =
      resolver_for(*dns).lookup("nx.test", AddressFamily::ipv4, std::chrono::steady_clock::now() + 5s, m_stopping);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::absent);
  EXPECT_EQ(result.error().message, "resolve nx.test (A): no such name");
}

TEST_F(ResolverTest, EtcHostsIsNotConsulted) {
  // /etc/hosts names localhost on every system we run on; the DNS server
  // does not know it, so a DNS-only resolver must say "no such name".
  auto dns = start_dns({"--record", "api.test=192.0.2.1"});
  ASSERT_TRUE(dns->ok());
  auto result =
      resolver_for(*dns).lookup("localhost", AddressFamily::ipv4, std::chrono::steady_clock::now() + 5s, m_stopping);
  ASSERT_FALSE(result.has_value()) << "answered " << (*result)[0];
  EXPECT_EQ(result.error().kind, ErrorKind::absent);
  ASSERT_EQ(dns->records().size(), 1U);  // the question went to DNS
  EXPECT_EQ(dns->records()[0]["name"], "localhost");
}

TEST_F(ResolverTest, SilentServerEndsAtTheDeadline) {
  auto dns = start_dns({"--silent"});
  ASSERT_TRUE(dns->ok());
  const auto started = std::chrono::steady_clock::now();
  auto result = resolver_for(*dns).lookup("api.test", AddressFamily::ipv4, started + 1500ms, m_stopping);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::timeout);
  EXPECT_GE(elapsed, 1400ms);
  EXPECT_LT(elapsed, 1800ms);
  EXPECT_GE(dns->records().size(), 1U);
}

TEST_F(ResolverTest, StoppingAbortsWithinAPollSlice) {
  auto dns = start_dns({"--silent"});
  ASSERT_TRUE(dns->ok());
  const auto resolver = resolver_for(*dns);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    m_stopping = true;
  });
  const auto started = std::chrono::steady_clock::now();
  auto result = resolver.lookup("api.test", AddressFamily::ipv4, started + 10s, m_stopping);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  stopper.join();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::io);
  EXPECT_NE(result.error().message.find("stopping"), std::string::npos);
  EXPECT_LT(elapsed, 600ms);
}

TEST_F(ResolverTest, PassedDeadlineAndBadInput) {
  const Resolver resolver(ResolverOptions{"127.0.0.1:9"});
  auto late = resolver.lookup("api.test", AddressFamily::ipv4, std::chrono::steady_clock::now() - 1s, m_stopping);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().kind, ErrorKind::timeout);
  auto empty = resolver.lookup("", AddressFamily::ipv4, std::chrono::steady_clock::now() + 1s, m_stopping);
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().kind, ErrorKind::invalid_config);
  const Resolver bad_servers(ResolverOptions{"not a server list"});
  auto bad = bad_servers.lookup("api.test", AddressFamily::ipv4, std::chrono::steady_clock::now() + 1s, m_stopping);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid_config);
}

}  // namespace
}  // namespace fivenines
