#include "collectors/cpu.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "procfs/cpu_info.hpp"
#include "procfs/cpu_online.hpp"
#include "procfs/cpu_stat.hpp"
#include "support/collector_fixture_test.hpp"

namespace fivenines {
namespace {

// ---------------------------------------------------------------- /proc/stat

CpuStat parse_ok(std::string_view text) {
  CpuStat stat;
  const Status status = parse_cpu_stat(text, stat);
  EXPECT_TRUE(status) << (status ? "" : status.error().message);
  return stat;
}

TEST(CpuStatParser, ReadsTenColumnsAndSkipsTheAggregate) {
  const auto stat = parse_ok(
      "cpu  5827 0 2601 109060 209 0 46 591 0 0\n"
      "cpu0 2902 1 1272 54639 32 2 9 305 3 4\n"
      "cpu1 2924 0 1329 54420 177 0 37 285 0 0\n"
      "intr 113810 0 0\nctxt 215666\n");
  ASSERT_EQ(stat.cpus.size(), 2u);
  EXPECT_EQ(stat.cpus[0].cpu, 0u);
  EXPECT_EQ(stat.cpus[0].ticks, (std::array<std::uint64_t, 10>{2902, 1, 1272, 54639, 32, 2, 9, 305, 3, 4}));
  EXPECT_EQ(stat.cpus[1].cpu, 1u);
  EXPECT_EQ(stat.cpus[1].ticks[k_cpu_idle], 54420u);
  EXPECT_EQ(stat.malformed_lines, 0u);
}

TEST(CpuStatParser, PadsOldKernelColumnsWithZero) {
  // 2.6.0-2.6.10 print 7 columns, 2.6.11-2.6.23 print 8.
  const auto stat = parse_ok("cpu0 10 20 30 40 50 60 70\ncpu1 1 2 3 4 5 6 7 8\n");
  ASSERT_EQ(stat.cpus.size(), 2u);
  EXPECT_EQ(stat.cpus[0].ticks, (std::array<std::uint64_t, 10>{10, 20, 30, 40, 50, 60, 70, 0, 0, 0}));
  EXPECT_EQ(stat.cpus[1].ticks, (std::array<std::uint64_t, 10>{1, 2, 3, 4, 5, 6, 7, 8, 0, 0}));
}

TEST(CpuStatParser, AcceptsFourColumnsTheMinimum) {
  const auto stat = parse_ok("cpu0 1 2 3 4");  // no trailing newline either
  ASSERT_EQ(stat.cpus.size(), 1u);
  EXPECT_EQ(stat.cpus[0].ticks, (std::array<std::uint64_t, 10>{1, 2, 3, 4, 0, 0, 0, 0, 0, 0}));
}

TEST(CpuStatParser, IgnoresColumnsBeyondTheTenth) {
  // A future kernel may add columns; even garbage past the tenth is ignored.
  const auto stat = parse_ok("cpu0 1 2 3 4 5 6 7 8 9 10 11 12 x\n");
  ASSERT_EQ(stat.cpus.size(), 1u);
  EXPECT_EQ(stat.cpus[0].ticks, (std::array<std::uint64_t, 10>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST(CpuStatParser, SkipsTruncatedLinesAndCountsThem) {
  const auto stat = parse_ok("cpu  1 1 1 1\ncpu0 1 2 3 4 5\ncpu1 5 6 7\ncpu2 1 2 3 4\ncpu3\n");
  ASSERT_EQ(stat.cpus.size(), 2u);
  EXPECT_EQ(stat.cpus[0].cpu, 0u);
  EXPECT_EQ(stat.cpus[1].cpu, 2u);
  EXPECT_EQ(stat.malformed_lines, 2u);
  EXPECT_EQ(stat.first_problem, "line 3: fewer than 4 values");
}

TEST(CpuStatParser, SkipsNonNumericNegativeAndOverflowingValues) {
  const auto stat = parse_ok(
      "cpu0 1 2 abc 4 5\n"
      "cpu1 1 -2 3 4\n"
      "cpu2 1 2 3 99999999999999999999\n"
      "cpu3 1 2 3 4.5\n"
      "cpu4 1 2 3 4\n");
  ASSERT_EQ(stat.cpus.size(), 1u);
  EXPECT_EQ(stat.cpus[0].cpu, 4u);
  EXPECT_EQ(stat.malformed_lines, 4u);
  EXPECT_EQ(stat.first_problem, "line 1: a value is not an unsigned decimal");
}

TEST(CpuStatParser, SkipsBadAndRepeatedCpuNumbers) {
  const auto stat = parse_ok("cpu1 1 2 3 4\ncpuX 1 2 3 4\ncpu1 5 6 7 8\ncpu0 1 2 3 4\ncpu3 1 2 3 4\n");
  ASSERT_EQ(stat.cpus.size(), 2u);
  EXPECT_EQ(stat.cpus[0].cpu, 1u);
  EXPECT_EQ(stat.cpus[0].ticks[0], 1u);
  EXPECT_EQ(stat.cpus[1].cpu, 3u);
  EXPECT_EQ(stat.malformed_lines, 3u);
}

TEST(CpuStatParser, SkipsNonUtf8Bytes) {
  const auto stat = parse_ok("cpu0 1 2 \xff\xfe 4\ncpu\xc3\x28 1 2 3 4\ncpu1 1 2 3 4\n");
  ASSERT_EQ(stat.cpus.size(), 1u);
  EXPECT_EQ(stat.cpus[0].cpu, 1u);
  EXPECT_EQ(stat.malformed_lines, 2u);
}

TEST(CpuStatParser, FailsWithoutAnyValidCpuLine) {
  CpuStat stat;
  EXPECT_FALSE(parse_cpu_stat("", stat));
  EXPECT_FALSE(parse_cpu_stat("cpu  1 2 3 4\nintr 5\n", stat));
  const Status bad = parse_cpu_stat("cpu0 1 2\n", stat);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::parse);
  EXPECT_NE(bad.error().message.find("fewer than 4 values"), std::string::npos) << bad.error().message;
}

TEST(CpuStatParser, ReusesTheTargetAndResetsItsCounters) {
  CpuStat stat;
  ASSERT_TRUE(parse_cpu_stat("cpu0 1 2 3\ncpu1 1 2 3 4\ncpu2 1 2 3 4\n", stat));
  EXPECT_EQ(stat.malformed_lines, 1u);
  ASSERT_TRUE(parse_cpu_stat("cpu0 1 2 3 4\n", stat));
  EXPECT_EQ(stat.cpus.size(), 1u);
  EXPECT_EQ(stat.malformed_lines, 0u);
  EXPECT_TRUE(stat.first_problem.empty());
}

// ------------------------------------------------------- interval arithmetic

CpuTicks ticks(std::array<std::uint64_t, 10> values) {
  CpuTicks out;
  out.ticks = values;
  return out;
}

TEST(CpuPercentages, SharesOfTheTotalExcludingGuest) {
  // deltas: user 30, system 10, idle 50, iowait 10, guest 20 (inside user).
  // total = 30+10+50+10 = 100 (guest excluded); busy = 100-50-10 = 40.
  const auto p = cpu_percentages(ticks({100, 0, 100, 100, 100, 0, 0, 0, 100, 0}),
                                 ticks({130, 0, 110, 150, 110, 0, 0, 0, 120, 0}));
  EXPECT_DOUBLE_EQ(p.busy, 40.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_user], 30.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_system], 10.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_idle], 50.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_iowait], 10.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_guest], 20.0);
}

TEST(CpuPercentages, BackwardsCountersNeverGoNegativeOrWrap) {
  // iowait goes back by 5 (clamped to 0): deltas user 10, idle 30 -> total 40.
  const auto p = cpu_percentages(ticks({100, 0, 0, 100, 50, 0, 0, 0, 0, 0}),
                                 ticks({110, 0, 0, 130, 45, 0, 0, 0, 0, 0}));
  EXPECT_DOUBLE_EQ(p.busy, 25.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_iowait], 0.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_idle], 75.0);
}

TEST(CpuPercentages, EverythingBackwardsGivesZeros) {
  const auto p = cpu_percentages(ticks({UINT64_MAX, 9, 9, 9, 9, 9, 9, 9, 9, 9}), ticks({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(p.busy, 0.0);
  for (double v : p.fields) EXPECT_EQ(v, 0.0);
}

TEST(CpuPercentages, NoChangeGivesZeros) {
  const auto same = ticks({5, 5, 5, 5, 5, 5, 5, 5, 5, 5});
  const auto p = cpu_percentages(same, same);
  EXPECT_EQ(p.busy, 0.0);
  for (double v : p.fields) EXPECT_EQ(v, 0.0);
}

TEST(CpuPercentages, GuestAboveTotalIsClampedAndTotalBelowZeroGivesZeros) {
  // user back by 10 (clamped), guest +30: total = 5 (idle) ; guest share 600% -> 100.
  auto p = cpu_percentages(ticks({100, 0, 0, 100, 0, 0, 0, 0, 0, 0}), ticks({90, 0, 0, 105, 0, 0, 0, 0, 30, 0}));
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_guest], 100.0);
  EXPECT_DOUBLE_EQ(p.fields[k_cpu_idle], 100.0);
  EXPECT_DOUBLE_EQ(p.busy, 0.0);
  // guest +30 with nothing else: total = -30 -> all zero.
  p = cpu_percentages(ticks({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), ticks({0, 0, 0, 0, 0, 0, 0, 0, 30, 0}));
  EXPECT_EQ(p.busy, 0.0);
  for (double v : p.fields) EXPECT_EQ(v, 0.0);
}

TEST(CpuPercentages, HugeCountersStayInRange) {
  const auto p = cpu_percentages(ticks({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                                 ticks({UINT64_MAX, UINT64_MAX, 0, UINT64_MAX, 0, 0, 0, 0, UINT64_MAX, UINT64_MAX}));
  EXPECT_GE(p.busy, 0.0);
  EXPECT_LE(p.busy, 100.0);
  for (double v : p.fields) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 100.0);
  }
}

// ------------------------------------------------------------- /proc/cpuinfo

TEST(CpuInfoParser, TakesTheLastModelName) {
  const auto model = parse_cpu_model(
      "processor\t: 0\nmodel name\t: Cortex-A53 (little)\n\n"
      "processor\t: 1\nmodel name\t: Cortex-A72 (big) \n\n");
  ASSERT_TRUE(model);
  EXPECT_EQ(*model, "Cortex-A72 (big)");
}

TEST(CpuInfoParser, KeepsColonsInsideTheValue) {
  const auto model = parse_cpu_model("model name : Foo: Bar\r\n");
  ASSERT_TRUE(model);
  EXPECT_EQ(*model, "Foo: Bar");
}

TEST(CpuInfoParser, NoModelNameLine) {
  EXPECT_FALSE(parse_cpu_model("processor\t: 0\nBogoMIPS\t: 48.00\nCPU implementer\t: 0x41\n"));
  EXPECT_FALSE(parse_cpu_model(""));
  // Only a line starting with the exact key counts.
  EXPECT_FALSE(parse_cpu_model(" model name : indented\nmodel names : plural\nmodel name without colon\n"));
}

TEST(CpuInfoParser, EmptyValueAndTruncatedLine) {
  auto model = parse_cpu_model("model name\t:\n");
  ASSERT_TRUE(model);
  EXPECT_EQ(*model, "");
  model = parse_cpu_model("model name\t: Intel(R) Xe");  // file cut mid-line
  ASSERT_TRUE(model);
  EXPECT_EQ(*model, "Intel(R) Xe");
}

TEST(CpuInfoParser, PassesNonUtf8BytesThrough) {
  // The JSON writer turns invalid UTF-8 into U+FFFD; the parser keeps bytes.
  const auto model = parse_cpu_model("model name\t: Caf\xe9 \xff CPU\n");
  ASSERT_TRUE(model);
  EXPECT_EQ(*model, "Caf\xe9 \xff CPU");
}

// ---------------------------------------------------------- online cpu list

TEST(CpuListParser, CountsNumbersAndRanges) {
  EXPECT_EQ(*parse_cpu_list_count("0"), 1u);
  EXPECT_EQ(*parse_cpu_list_count("0\n"), 1u);
  EXPECT_EQ(*parse_cpu_list_count("0-63\n"), 64u);
  EXPECT_EQ(*parse_cpu_list_count("0-3,8-11\n"), 8u);
  EXPECT_EQ(*parse_cpu_list_count("0-3,5,7-8\n"), 7u);
  EXPECT_EQ(*parse_cpu_list_count("5"), 1u);
  EXPECT_EQ(*parse_cpu_list_count("2-2"), 1u);
}

TEST(CpuListParser, RejectsEmptyAndGarbage) {
  for (const char* text : {"", "\n", "garbage", "0-", "-3", "1-2-3", "0,,1", "0,", ",0", "3-1", "0 - 3", " 0", "0-3,2",
                           "1,1", "0x1", "\xff\xfe", "0-3\n\n5", "0-18446744073709551615", "99999999999999999999"}) {
    const auto count = parse_cpu_list_count(text);
    EXPECT_FALSE(count) << "accepted '" << text << "' as " << (count ? *count : 0);
    if (!count) {
      EXPECT_EQ(count.error().kind, ErrorKind::parse);
    }
  }
}

// ------------------------------------------------------------------ fixtures
//
// A case folder is run as: prime() with the proc root at <case>/prime/proc
// when that folder exists (else <case>/proc), then collect() with <case>/proc;
// with a file <case>/no_prime, prime() is not called at all. The sys root is
// <case>/sys for both. USER_HZ is fixed at 100.

class CpuFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(CpuFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "cpu" / GetParam();
  auto collector = make_cpu_collector_with_user_hz(100);
  const RemoteConfig config = RemoteConfig::core_collectors();
  std::atomic<bool> stopping{false};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);

  HostPaths prime_paths;
  prime_paths.proc = std::filesystem::is_directory(case_dir / "prime" / "proc") ? (case_dir / "prime" / "proc").string()
                                                                                  : (case_dir / "proc").string();
  prime_paths.sys = (case_dir / "sys").string();
  if (!std::filesystem::exists(case_dir / "no_prime")) {
    collector->prime(CollectContext{prime_paths, config, deadline, stopping});
  }

  HostPaths paths;
  paths.proc = (case_dir / "proc").string();
  paths.sys = (case_dir / "sys").string();
  PayloadSink sink;
  sink.start_lap();
  collector->collect(CollectContext{paths, config, deadline, stopping}, sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuFixture, ::testing::ValuesIn(testing::fixture_cases("cpu")), testing::CaseName());

// A second tick measures from the first collect, not from prime.
TEST(CpuCollector, LaterTicksMeasureFromThePreviousCollect) {
  const auto case_dir = testing::fixtures_root() / "cpu" / "typical_2cpu";
  auto collector = make_cpu_collector_with_user_hz(100);
  const RemoteConfig config;
  std::atomic<bool> stopping{false};
  HostPaths paths;
  paths.proc = (case_dir / "proc").string();
  paths.sys = (case_dir / "sys").string();
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(5), stopping};
  PayloadSink first;
  collector->collect(ctx, first);  // no prime: since boot
  PayloadSink second;
  collector->collect(ctx, second);  // same file again: nothing changed
  const auto cpus = nlohmann::json::parse(second.find("cpu")->json);
  ASSERT_EQ(cpus.size(), 2u);
  for (const auto& cpu : cpus) {
    for (const auto& [name, value] : cpu.items()) EXPECT_EQ(value.get<double>(), 0.0) << name;
  }
  const auto since_boot = nlohmann::json::parse(first.find("cpu")->json);
  EXPECT_GT(since_boot[0]["percentage"].get<double>(), 0.0);
}

// ----------------------------------------------------------------- live host

TEST(CpuCollector, LiveHostMatchesSysconfAndStaysInRange) {
  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(2), stopping};
  auto collector = make_cpu_collector();
  collector->prime(ctx);
  // Some load so the interval is not all idle.
  volatile double sink_value = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < until) sink_value = sink_value + std::sqrt(2.0);
  PayloadSink sink;
  collector->collect(ctx, sink);

  ASSERT_EQ(sink.entries().size(), 4u);
  EXPECT_EQ(sink.entries()[0].key, "cpu");
  EXPECT_EQ(sink.entries()[1].key, "cpu_usage");
  EXPECT_EQ(sink.entries()[2].key, "cpu_model");
  EXPECT_EQ(sink.entries()[3].key, "cpu_count");
  for (const auto& entry : sink.entries()) {
    EXPECT_FALSE(entry.is_null) << entry.key;
    EXPECT_TRUE(entry.errors.empty()) << entry.key;
  }

  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  const auto count = nlohmann::json::parse(sink.find("cpu_count")->json);
  ASSERT_TRUE(count.is_number_integer());
  EXPECT_EQ(count.get<long>(), online);

  const auto cpus = nlohmann::ordered_json::parse(sink.find("cpu")->json);
  const auto usage = nlohmann::json::parse(sink.find("cpu_usage")->json);
  ASSERT_EQ(static_cast<long>(cpus.size()), online);
  ASSERT_EQ(static_cast<long>(usage.size()), online);
  for (const auto& cpu : cpus) {
    ASSERT_EQ(cpu.size(), 11u);
    EXPECT_EQ(cpu.begin().key(), "percentage");
    for (const auto& [name, value] : cpu.items()) {
      ASSERT_TRUE(value.is_number_float()) << name;
      EXPECT_GE(value.get<double>(), 0.0) << name;
      EXPECT_LE(value.get<double>(), 100.0) << name;
    }
  }
  double busiest = 0;
  for (const auto& cpu : cpus) busiest = std::max(busiest, cpu["percentage"].get<double>());
  EXPECT_GT(busiest, 0.0);
  for (const auto& times : usage) {
    ASSERT_EQ(times.size(), 10u);
    for (const auto& value : times) {
      ASSERT_TRUE(value.is_number_float());
      EXPECT_GE(value.get<double>(), 0.0);
    }
    EXPECT_GT(times[3].get<double>(), 0.0);  // idle since boot
  }
  EXPECT_TRUE(nlohmann::json::parse(sink.find("cpu_model")->json).is_string());
}

}  // namespace
}  // namespace fivenines
