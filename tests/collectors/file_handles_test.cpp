#include "collectors/file_handles.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "procfs/file_handles.hpp"
#include "support/collector_fixture_test.hpp"

namespace fivenines {
namespace {

TEST(FileNrParser, ReadsAllocatedAndMaximum) {
  const auto counts = parse_file_nr("644\t0\t2466093\n");
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->allocated, 644u);
  EXPECT_EQ(counts->maximum, 2466093u);
}

TEST(FileNrParser, RejectsShortGarbageAndNegative) {
  EXPECT_FALSE(parse_file_nr("644\t0\n"));
  EXPECT_FALSE(parse_file_nr(""));
  EXPECT_FALSE(parse_file_nr("x 0 1"));
  EXPECT_FALSE(parse_file_nr("-1 0 1"));
  EXPECT_FALSE(parse_file_nr("1 0 18446744073709551616"));
}

class FileHandlesFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(FileHandlesFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "file_handles" / GetParam();
  auto collector = make_file_handles_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, FileHandlesFixture, ::testing::ValuesIn(testing::fixture_cases("file_handles")),
                         testing::CaseName());

TEST(FileHandlesCollector, LiveHostMatchesProcFile) {
  std::ifstream in("/proc/sys/fs/file-nr");
  std::uint64_t allocated = 0, unused = 0, maximum = 0;
  in >> allocated >> unused >> maximum;
  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(1), stopping};
  PayloadSink sink;
  make_file_handles_collector()->collect(ctx, sink);
  EXPECT_EQ(sink.find("file_handles_limit")->json, std::to_string(maximum));
  // Allocated handles move while the test runs; same order of magnitude.
  const auto used = std::stoull(sink.find("file_handles_used")->json);
  EXPECT_GT(used, 0u);
  EXPECT_LT(used, allocated * 2 + 100);
}

}  // namespace
}  // namespace fivenines
