#include "collectors/load_average.hpp"

#include <gtest/gtest.h>

#include "procfs/load_average.hpp"
#include "support/collector_fixture_test.hpp"

namespace fivenines {
namespace {

TEST(LoadavgParser, ReadsThreeValues) {
  const auto load = parse_loadavg("0.26 0.27 0.17 1/123 4567\n");
  ASSERT_TRUE(load);
  EXPECT_DOUBLE_EQ(load->one_minute, 0.26);
  EXPECT_DOUBLE_EQ(load->five_minutes, 0.27);
  EXPECT_DOUBLE_EQ(load->fifteen_minutes, 0.17);
}

TEST(LoadavgParser, RejectsFewerThanThreeFields) { EXPECT_FALSE(parse_loadavg("0.26 0.27\n")); }

TEST(LoadavgParser, RejectsGarbageAndNegatives) {
  EXPECT_FALSE(parse_loadavg("a b c"));
  EXPECT_FALSE(parse_loadavg("-1 0 0"));
  EXPECT_FALSE(parse_loadavg(""));
  EXPECT_FALSE(parse_loadavg("0.1\n0.2 0.3"));
}

// Found by fuzz/load_average_fuzz: "-0" parsed as -0.0 and was sent as the
// load "-0.0".
TEST(LoadavgParser, RejectsNegativeZero) {
  EXPECT_FALSE(parse_loadavg("-0 488888888811757081114391813056 5200."));
  EXPECT_FALSE(parse_loadavg("0.26 -0.0 0.17 1/123 4567\n"));
}

class LoadAverageFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(LoadAverageFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "load_average" / GetParam();
  auto collector = make_load_average_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, LoadAverageFixture, ::testing::ValuesIn(testing::fixture_cases("load_average")),
                         testing::CaseName());

TEST(LoadAverageCollector, LiveHostGivesThreeNonNegativeFloats) {
  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(1), stopping};
  PayloadSink sink;
  make_load_average_collector()->collect(ctx, sink);
  const auto value = nlohmann::json::parse(sink.find("load_average")->json);
  ASSERT_EQ(value.size(), 3u);
  for (const auto& v : value) {
    EXPECT_TRUE(v.is_number_float());
    EXPECT_GE(v.get<double>(), 0.0);
  }
}

}  // namespace
}  // namespace fivenines
