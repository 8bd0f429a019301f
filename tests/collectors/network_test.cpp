#include "collectors/network.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "platform/file_read.hpp"
#include "procfs/network_dev.hpp"
#include "procfs/network_sysfs.hpp"
#include "support/collector_fixture_test.hpp"

namespace fivenines {
namespace {

constexpr std::string_view k_header =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier "
    "compressed\n";

TEST(NetDevParser, MapsTheSixteenColumns) {
  const std::string text = std::string(k_header) +
                           "  eth0: 18715202     397    1    2    3     4          5         6    23267     271    7    "
                           "8    9    10       11          12\n";
  const auto dev = parse_net_dev(text);
  ASSERT_EQ(dev.interfaces.size(), 1u);
  const auto& eth0 = dev.interfaces[0];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.bytes_recv, 18715202u);
  EXPECT_EQ(eth0.packets_recv, 397u);
  EXPECT_EQ(eth0.errin, 1u);
  EXPECT_EQ(eth0.dropin, 2u);
  EXPECT_EQ(eth0.bytes_sent, 23267u);
  EXPECT_EQ(eth0.packets_sent, 271u);
  EXPECT_EQ(eth0.errout, 7u);
  EXPECT_EQ(eth0.dropout, 8u);
  EXPECT_EQ(dev.skipped_lines, 0u);
}

TEST(NetDevParser, SplitsNamesWithDotsDashesColonsAndNoSpace) {
  const auto dev = parse_net_dev(
      "eth0.100: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
      "br-1a2b:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
      "  eth0:1:12345 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
      "a.b-c:d: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");  // no final newline
  ASSERT_EQ(dev.interfaces.size(), 4u);
  EXPECT_EQ(dev.interfaces[0].name, "eth0.100");
  EXPECT_EQ(dev.interfaces[1].name, "br-1a2b");
  EXPECT_EQ(dev.interfaces[1].bytes_recv, 1u);
  EXPECT_EQ(dev.interfaces[2].name, "eth0:1");
  EXPECT_EQ(dev.interfaces[2].bytes_recv, 12345u);
  EXPECT_EQ(dev.interfaces[3].name, "a.b-c:d");
  EXPECT_EQ(dev.interfaces[3].bytes_sent, 9u);
}

TEST(NetDevParser, SkipsTruncatedGarbageAndUnsafeNames) {
  // The parsed names are views: the text must outlive them.
  const std::string text = std::string(k_header) +
                           "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                           "  eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"     // 15 counters
                           "  eth2: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -16\n"  // sign
                           "  eth3 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"    // no colon
                           "  ../x: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                           "  ..: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                           "  a b: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                           "  : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                           "  eth4: 99999999999999999999 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                           "  eth5: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n";  // extras ignored
  const auto dev = parse_net_dev(text);
  ASSERT_EQ(dev.interfaces.size(), 2u);
  EXPECT_EQ(dev.interfaces[0].name, "eth0");
  EXPECT_EQ(dev.interfaces[1].name, "eth5");
  EXPECT_EQ(dev.skipped_lines, 8u);
  EXPECT_EQ(dev.first_skipped_line, 4u);
}

TEST(NetDevParser, EmptyOrHeaderOnlyIsNoInterfaces) {
  EXPECT_TRUE(parse_net_dev("").interfaces.empty());
  const auto header_only = parse_net_dev(k_header);
  EXPECT_TRUE(header_only.interfaces.empty());
  EXPECT_EQ(header_only.skipped_lines, 0u);
}

TEST(NetDevParser, KeepsNonUtf8NamesAsBytes) {
  const auto dev = parse_net_dev("e\xff\xfe: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
  ASSERT_EQ(dev.interfaces.size(), 1u);
  EXPECT_EQ(dev.interfaces[0].name, "e\xff\xfe");
}

TEST(IfInet6Parser, ListsTheNameOfEachWellFormedLine) {
  std::vector<std::string_view> names;
  parse_if_inet6_names_into(
      "fd000000000000000000000000000002 04 40 00 82     eth0\n"
      "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"
      "00000000000000000000000000000001 01 80 10 80       lo\n"
      "fe80000000000000000000000000001 0b 40 20 80     short\n"     // 31 hex digits
      "fe80000000000000000000000000000g 0b 40 20 80     nothex\n"
      "fe800000000000000000000000000001 0b 40 20\n"                 // truncated
      "fe800000000000000000000000000001 0b 40 20 80     tun1",      // no final newline
      names);
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], "eth0");
  EXPECT_EQ(names[1], "eth0");
  EXPECT_EQ(names[2], "lo");
  EXPECT_EQ(names[3], "tun1");
  parse_if_inet6_names_into("", names);
  EXPECT_TRUE(names.empty());
}

TEST(NetSysfsParsers, ReadFlags) {
  EXPECT_EQ(parse_net_flags("0x1003\n"), 0x1003u);
  EXPECT_EQ(parse_net_flags("0x9"), 0x9u);
  EXPECT_FALSE(parse_net_flags("1003"));
  EXPECT_FALSE(parse_net_flags("0x"));
  EXPECT_FALSE(parse_net_flags("0xzz"));
  EXPECT_FALSE(parse_net_flags(""));
}

TEST(NetSysfsParsers, OperstateUpAndUnknownAreRunning) {
  EXPECT_TRUE(operstate_is_running("up\n"));
  EXPECT_TRUE(operstate_is_running("unknown\n"));
  for (const char* state : {"down\n", "lowerlayerdown\n", "dormant\n", "testing\n", "notpresent\n", "", "UP"}) {
    EXPECT_FALSE(operstate_is_running(state)) << state;
  }
}

TEST(NetSysfsParsers, LinkSpeedInBitsPerSecond) {
  EXPECT_EQ(parse_link_speed_bps("1000\n"), 1'000'000'000);
  EXPECT_EQ(parse_link_speed_bps("10\n"), 10'000'000);
  EXPECT_EQ(parse_link_speed_bps("1600000\n"), 1'600'000'000'000);
  EXPECT_EQ(parse_link_speed_bps("65534"), 65'534'000'000);
  for (const char* unknown : {"-1\n", "0\n", "65535\n", "4294967295\n", "1600001\n", "2000000\n", "", "fast\n",
                              "1e3\n", "99999999999999999999999\n"}) {
    EXPECT_FALSE(parse_link_speed_bps(unknown)) << unknown;
  }
}

TEST(NetSysfsParsers, LinkAddressMustBeNonEmpty) {
  EXPECT_TRUE(has_link_address("00:00:5e:00:53:01\n"));
  EXPECT_TRUE(has_link_address("00:00:00:00:00:00\n"));  // lo: zeros still count
  EXPECT_FALSE(has_link_address("\n"));                   // tun: no link-layer address
  EXPECT_FALSE(has_link_address(""));
}

class NetworkFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(NetworkFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "network" / GetParam();
  auto collector = make_network_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, NetworkFixture, ::testing::ValuesIn(testing::fixture_cases("network")),
                         testing::CaseName());

// The fixture comparison ignores key order inside objects; the reference's
// order (counters, type, speed, then member count or bridge) is checked here.
TEST(NetworkCollector, KeepsTheReferenceKeyOrder) {
  const auto case_dir = testing::fixtures_root() / "network" / "typical_host";
  auto collector = make_network_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  const auto expected = nlohmann::ordered_json::parse(testing::read_text(case_dir / "expected.json"));
  ASSERT_NE(sink.find("network"), nullptr);
  EXPECT_EQ(nlohmann::ordered_json::parse(sink.find("network")->json).dump(), expected["network"].dump());
}

TEST(NetworkCollector, KeepsWorkingAcrossTicks) {
  const auto case_dir = testing::fixtures_root() / "network" / "typical_host";
  auto collector = make_network_collector();
  PayloadSink first;
  PayloadSink second;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), first);
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), second);
  ASSERT_EQ(first.entries().size(), 1u);
  ASSERT_EQ(second.entries().size(), 1u);
  EXPECT_EQ(first.entries()[0].json, second.entries()[0].json);
}

TEST(NetworkCollector, LiveHostSendsOnlyUpNonLoopbackInterfaces) {
  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(1), stopping};
  PayloadSink sink;
  make_network_collector()->collect(ctx, sink);
  const PayloadEntry* entry = sink.find("network");
  ASSERT_NE(entry, nullptr);
  ASSERT_FALSE(entry->is_null) << entry->errors[0];
  EXPECT_TRUE(entry->errors.empty());
  const auto value = nlohmann::ordered_json::parse(entry->json);
  ASSERT_TRUE(value.is_array());

  const auto dev = read_file("/proc/net/dev");
  ASSERT_TRUE(dev) << dev.error().message;
  const auto parsed = parse_net_dev(*dev);
  std::size_t expected_up = 0;
  for (const auto& iface : parsed.interfaces) {
    if (iface.name == "lo") continue;
    const auto flags = read_file("/sys/class/net/" + std::string(iface.name) + "/flags");
    const auto operstate = read_file("/sys/class/net/" + std::string(iface.name) + "/operstate");
    const auto address = read_file("/sys/class/net/" + std::string(iface.name) + "/address");
    if (flags && (*parse_net_flags(*flags) & k_iff_up) && operstate && operstate_is_running(*operstate) && address &&
        has_link_address(*address)) {
      ++expected_up;  // surely sent; a tun with only an IP is sent too
    }
  }
  EXPECT_GE(value.size(), expected_up);

  for (const auto& item : value) {
    ASSERT_EQ(item.size(), 1u);
    const std::string name = item.begin().key();
    EXPECT_NE(name, "lo");
    const auto flags = read_file("/sys/class/net/" + name + "/flags");
    ASSERT_TRUE(flags) << name;
    const auto parsed_flags = parse_net_flags(*flags);
    ASSERT_TRUE(parsed_flags) << name;
    EXPECT_NE(*parsed_flags & k_iff_up, 0u) << name << " is sent but not up";
    const auto& fields = item.begin().value();
    for (const char* counter :
         {"bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "errin", "errout", "dropin", "dropout"}) {
      ASSERT_TRUE(fields.contains(counter)) << counter;
      EXPECT_TRUE(fields[counter].is_number_unsigned()) << counter;
    }
    const std::string type = fields["interface_type"].get<std::string>();
    EXPECT_TRUE(type == "physical" || type == "virtual" || type == "bridge") << type;
    EXPECT_EQ(type == "bridge", std::filesystem::is_directory("/sys/class/net/" + name + "/bridge"));
    const auto& speed = fields["network_link_speed_bps"];
    EXPECT_TRUE(speed.is_null() || (speed.is_number_integer() && speed.get<std::int64_t>() > 0)) << speed;
  }
}

}  // namespace
}  // namespace fivenines
