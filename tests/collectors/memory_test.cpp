#include "collectors/memory.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "procfs/memory.hpp"
#include "support/collector_fixture_test.hpp"

namespace fivenines {
namespace {

constexpr std::uint64_t k_kib = 1024;

// ---- parse_meminfo ---------------------------------------------------------

TEST(MeminfoParser, ReadsKnownFieldsAsBytes) {
  const auto info = parse_meminfo(
      "MemTotal:       16318480 kB\n"
      "MemFree:         1254332 kB\n"
      "MemAvailable:    9876540 kB\n"
      "Buffers:          412876 kB\n"
      "Cached:          7654320 kB\n"
      "SwapCached:        12344 kB\n"
      "Active:          6543210 kB\n"
      "Inactive:        5432108 kB\n"
      "Active(file):    4197532 kB\n"
      "Inactive(file):  4975319 kB\n"
      "SwapTotal:       4194300 kB\n"
      "SwapFree:        3981212 kB\n"
      "Shmem:            287640 kB\n"
      "Slab:            1123456 kB\n"
      "SReclaimable:     812344 kB\n"
      "HugePages_Total:       0\n");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->mem_total_bytes, 16318480 * k_kib);
  EXPECT_EQ(info->mem_free_bytes, 1254332 * k_kib);
  EXPECT_EQ(info->mem_available_bytes, 9876540 * k_kib);
  EXPECT_EQ(info->buffers_bytes, 412876 * k_kib);
  EXPECT_EQ(info->cached_bytes, 7654320 * k_kib);
  EXPECT_EQ(info->active_bytes, 6543210 * k_kib);
  EXPECT_EQ(info->inactive_bytes, 5432108 * k_kib);
  EXPECT_EQ(info->active_file_bytes, 4197532 * k_kib);
  EXPECT_EQ(info->inactive_file_bytes, 4975319 * k_kib);
  EXPECT_EQ(info->swap_total_bytes, 4194300 * k_kib);
  EXPECT_EQ(info->swap_free_bytes, 3981212 * k_kib);
  EXPECT_EQ(info->shmem_bytes, 287640 * k_kib);
  EXPECT_EQ(info->slab_bytes, 1123456 * k_kib);
  EXPECT_EQ(info->s_reclaimable_bytes, 812344 * k_kib);
  EXPECT_FALSE(info->mem_shared_bytes);
  EXPECT_FALSE(info->inact_dirty_bytes);
  EXPECT_EQ(info->malformed_lines, 0u);
}

TEST(MeminfoParser, FailsWithoutMemTotal) {
  const auto info = parse_meminfo("MemFree: 100 kB\nCached: 5 kB\n");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::parse);
  EXPECT_EQ(info.error().message, "no MemTotal line");
  EXPECT_FALSE(parse_meminfo(""));
  EXPECT_FALSE(parse_meminfo("\n\n\n"));
}

TEST(MeminfoParser, LinesWithoutUnitAreStillTimes1024) {
  // psutil ignores the unit column: every number is multiplied by 1024.
  const auto info = parse_meminfo("MemTotal: 1000\nMemFree:\t10\tMB\nBuffers: 7 pages extra fields\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->mem_total_bytes, 1000 * k_kib);
  EXPECT_EQ(info->mem_free_bytes, 10 * k_kib);
  EXPECT_EQ(info->buffers_bytes, 7 * k_kib);
}

TEST(MeminfoParser, TruncatedLinesAreSkipped) {
  // A value cut off mid-line, a key with no value, no final newline.
  auto info = parse_meminfo("MemTotal: 2048 kB\nMemFree:\nCached:   \nBuffers: 12");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->mem_total_bytes, 2048 * k_kib);
  EXPECT_FALSE(info->mem_free_bytes);
  EXPECT_FALSE(info->cached_bytes);
  EXPECT_EQ(info->buffers_bytes, 12 * k_kib);
  EXPECT_EQ(info->malformed_lines, 2u);

  info = parse_meminfo("MemTotal:");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().message, "MemTotal is not a number of kB");
  EXPECT_FALSE(parse_meminfo("MemTot"));
}

TEST(MeminfoParser, HugeNumbersDoNotOverflow) {
  // 2^50 kB (1 EiB) is the largest value taken; beyond it, and past 2^64,
  // the line counts as malformed instead of wrapping when multiplied.
  auto info = parse_meminfo("MemTotal: 1125899906842624 kB\nMemFree: 1125899906842625 kB\n"
                            "Cached: 18446744073709551615 kB\nBuffers: 18446744073709551616 kB\n"
                            "Slab: 99999999999999999999999999999 kB\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->mem_total_bytes, k_meminfo_max_bytes);
  EXPECT_FALSE(info->mem_free_bytes);
  EXPECT_FALSE(info->cached_bytes);
  EXPECT_FALSE(info->buffers_bytes);
  EXPECT_FALSE(info->slab_bytes);
  EXPECT_EQ(info->malformed_lines, 4u);

  info = parse_meminfo("MemTotal: 18446744073709551615 kB\n");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().message, "MemTotal is not a number of kB");
}

TEST(MeminfoParser, GarbageValuesAreRejected) {
  for (const char* text : {"MemTotal: abc kB\n", "MemTotal: -5 kB\n", "MemTotal: +5 kB\n", "MemTotal: 1.5 kB\n",
                           "MemTotal: 0x10 kB\n", "MemTotal: 12abc kB\n"}) {
    const auto info = parse_meminfo(text);
    EXPECT_FALSE(info) << text;
  }
  // Keys are matched whole, colon included, case-sensitive.
  EXPECT_FALSE(parse_meminfo("MemTotal 100 kB\n"));
  EXPECT_FALSE(parse_meminfo("memtotal: 100 kB\n"));
  EXPECT_FALSE(parse_meminfo("MemTotal:100 kB\n"));
  EXPECT_FALSE(parse_meminfo(" : \n:::\n\t\t\n"));
  const auto info = parse_meminfo("garbage line here\nMemTotal: 10 kB\n!!@@##\n\x01\x02\x03\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->mem_total_bytes, 10 * k_kib);
  EXPECT_EQ(info->malformed_lines, 0u);
}

TEST(MeminfoParser, NonUtf8BytesAreHarmless) {
  const std::string text = std::string("\xff\xfeMemTotal: 99 kB\n") + "MemTotal: 64 kB\n" +
                           "\xc3\x28: 5 kB\n" + "MemFree: \xe2\x82 kB\n" + std::string("Cached: 3\0 kB\n", 14);
  const auto info = parse_meminfo(text);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->mem_total_bytes, 64 * k_kib);
  EXPECT_FALSE(info->mem_free_bytes);
  EXPECT_FALSE(info->cached_bytes);  // "3\0" is not a number
}

TEST(MeminfoParser, RepeatedFieldKeepsTheLastValue) {
  const auto info = parse_meminfo("MemTotal: 10 kB\nMemTotal: 20 kB\nMemTotal: bad kB\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->mem_total_bytes, 20 * k_kib);
}

// ---- parse_zoneinfo_watermarks ---------------------------------------------

TEST(ZoneinfoParser, SumsLowWatermarksOfEveryZone) {
  const auto watermarks = parse_zoneinfo_watermarks(
      "Node 0, zone      DMA\n"
      "  pages free     3976\n"
      "        min      64\n"
      "        low      80\n"
      "        high     96\n"
      "  pagesets\n"
      "    cpu: 0\n"
      "              count: 0\n"
      "              high:  0\n"
      "Node 0, zone    DMA32\n"
      "        low      10155\n"
      "Node 0, zone   Device\n"
      "        low      0");
  EXPECT_EQ(watermarks.low_pages, 10235u);
  EXPECT_EQ(watermarks.low_lines, 3u);
}

TEST(ZoneinfoParser, SkipsMalformedAndSaturates) {
  auto watermarks = parse_zoneinfo_watermarks("low\nlow abc\nlow -1\n  low 5 extra\nx low 7\n\xff low 9\n");
  EXPECT_EQ(watermarks.low_pages, 5u);
  EXPECT_EQ(watermarks.low_lines, 1u);
  watermarks = parse_zoneinfo_watermarks("low 18446744073709551615\nlow 18446744073709551615\n");
  EXPECT_EQ(watermarks.low_pages, UINT64_MAX);
  EXPECT_EQ(zone_low_watermark_bytes(watermarks, 4096), k_meminfo_max_bytes);
  EXPECT_EQ(parse_zoneinfo_watermarks("").low_pages, 0u);
}

TEST(ZoneinfoParser, WatermarkBytesScaleWithPageSize) {
  EXPECT_EQ(zone_low_watermark_bytes({10235, 2}, 4096), 41922560u);
  EXPECT_EQ(zone_low_watermark_bytes({10235, 2}, 65536), 10235u * 65536u);
  EXPECT_EQ(zone_low_watermark_bytes({10235, 2}, 0), 0u);
}

// ---- parse_vmstat_swap ------------------------------------------------------

TEST(VmstatParser, ReadsSwapPageCounters) {
  const auto activity = parse_vmstat_swap("pgpgin 875309\npgpgout 270516\npswpin 12345\npswpout 67890\npgalloc 1\n");
  EXPECT_EQ(activity.pages_in, 12345u);
  EXPECT_EQ(activity.pages_out, 67890u);
}

TEST(VmstatParser, MissingOrBadCountersAreAbsent) {
  auto activity = parse_vmstat_swap("pgpgin 1\npswpin\npswpout x\npswpin_extra 5\n");
  EXPECT_FALSE(activity.pages_in);
  EXPECT_FALSE(activity.pages_out);
  // 2^52 pages x 4096 would wrap; accepted up to UINT64_MAX / 4096.
  activity = parse_vmstat_swap("pswpin 4503599627370496\npswpout 4503599627370495");
  EXPECT_FALSE(activity.pages_in);
  EXPECT_EQ(activity.pages_out, 4503599627370495u);
  activity = parse_vmstat_swap("\xff\xfe\npswpin 3\n\x80pswpout 4\n");
  EXPECT_EQ(activity.pages_in, 3u);
  EXPECT_FALSE(activity.pages_out);
}

// ---- derive_virtual_memory / derive_swap_memory ------------------------------

MemInfo meminfo_kib(std::uint64_t total, std::uint64_t free) {
  MemInfo info;
  info.mem_total_bytes = total * k_kib;
  info.mem_free_bytes = free * k_kib;
  return info;
}

TEST(VirtualMemory, UsedFallsBackToTotalMinusFreeWhenNegative) {
  MemInfo info = meminfo_kib(1000, 500);
  info.cached_bytes = 600 * k_kib;
  info.mem_available_bytes = 700 * k_kib;
  const auto memory = derive_virtual_memory(info, std::nullopt);
  EXPECT_EQ(memory.used_bytes, 500 * k_kib);
  EXPECT_EQ(memory.cached_bytes, 600 * k_kib);
  EXPECT_DOUBLE_EQ(memory.percent, 30.0);
}

TEST(VirtualMemory, FreeAboveTotalNeverGivesNegativesOrPercentOutOfRange) {
  MemInfo info = meminfo_kib(1000, 5000);
  info.mem_available_bytes = 9000 * k_kib;
  const auto memory = derive_virtual_memory(info, std::nullopt);
  EXPECT_EQ(memory.used_bytes, 0u);
  EXPECT_EQ(memory.available_bytes, 1000 * k_kib);
  EXPECT_DOUBLE_EQ(memory.percent, 0.0);
}

TEST(VirtualMemory, ZeroTotalGivesZeroPercentNotNaN) {
  MemInfo info = meminfo_kib(0, 0);
  info.mem_available_bytes = 10 * k_kib;
  const auto memory = derive_virtual_memory(info, std::nullopt);
  EXPECT_EQ(memory.total_bytes, 0u);
  EXPECT_EQ(memory.available_bytes, 0u);
  EXPECT_EQ(memory.percent, 0.0);
  EXPECT_FALSE(std::isnan(memory.percent));
}

TEST(VirtualMemory, MissingFieldsCountAsZero) {
  const auto info = parse_meminfo("MemTotal: 1000 kB\n");
  ASSERT_TRUE(info);
  const auto memory = derive_virtual_memory(*info, std::nullopt);
  EXPECT_EQ(memory.total_bytes, 1000 * k_kib);
  EXPECT_EQ(memory.free_bytes, 0u);
  EXPECT_EQ(memory.available_bytes, 0u);  // fallback MemFree + Cached = 0
  EXPECT_DOUBLE_EQ(memory.percent, 100.0);
  EXPECT_EQ(memory.used_bytes, 1000 * k_kib);
  EXPECT_EQ(memory.active_bytes + memory.inactive_bytes + memory.buffers_bytes + memory.cached_bytes +
                memory.shared_bytes + memory.slab_bytes,
            0u);
}

TEST(VirtualMemory, SReclaimableIsAddedOnlyToAnExistingCached) {
  MemInfo info = meminfo_kib(1000, 100);
  info.s_reclaimable_bytes = 50 * k_kib;
  EXPECT_EQ(derive_virtual_memory(info, std::nullopt).cached_bytes, 0u);
  info.cached_bytes = 200 * k_kib;
  EXPECT_EQ(derive_virtual_memory(info, std::nullopt).cached_bytes, 250 * k_kib);
}

TEST(VirtualMemory, OldKernelFallbacksForSharedAndInactive) {
  const auto info = parse_meminfo(
      "MemTotal: 1000 kB\nMemFree: 100 kB\nMemShared: 7 kB\n"
      "Inact_dirty: 10 kB\nInact_clean: 20 kB\nInact_laundry: 30 kB\n");
  ASSERT_TRUE(info);
  const auto memory = derive_virtual_memory(*info, std::nullopt);
  EXPECT_EQ(memory.shared_bytes, 7 * k_kib);
  EXPECT_EQ(memory.inactive_bytes, 60 * k_kib);

  const auto partial = parse_meminfo("MemTotal: 1000 kB\nInact_dirty: 10 kB\nInact_clean: 20 kB\nShmem: 3 kB\n");
  ASSERT_TRUE(partial);
  EXPECT_EQ(derive_virtual_memory(*partial, std::nullopt).inactive_bytes, 0u);
  EXPECT_EQ(derive_virtual_memory(*partial, std::nullopt).shared_bytes, 3 * k_kib);
}

TEST(VirtualMemory, EstimateNeedsAllThreeInputsAndZoneinfo) {
  MemInfo info = meminfo_kib(10000, 1000);
  info.cached_bytes = 3000 * k_kib;
  info.active_file_bytes = 2000 * k_kib;
  info.inactive_file_bytes = 2000 * k_kib;
  EXPECT_FALSE(needs_zoneinfo_estimate(info));  // no SReclaimable
  EXPECT_EQ(derive_virtual_memory(info, 0).available_bytes, 4000 * k_kib);
  info.s_reclaimable_bytes = 400 * k_kib;
  EXPECT_TRUE(needs_zoneinfo_estimate(info));
  // zoneinfo unreadable: MemFree + Cached.
  EXPECT_EQ(derive_virtual_memory(info, std::nullopt).available_bytes, 4000 * k_kib);
  // watermark 100 kB: 1000 - 100 + (4000 - 100) + (400 - 100) = 5100 kB.
  EXPECT_EQ(derive_virtual_memory(info, 100 * k_kib).available_bytes, 5100 * k_kib);
  // watermark 3000 kB: halves win: 1000 - 3000 + 2000 + 200 = 200 kB.
  EXPECT_EQ(derive_virtual_memory(info, 3000 * k_kib).available_bytes, 200 * k_kib);
  // A present, non-zero MemAvailable is taken as is.
  info.mem_available_bytes = 1234 * k_kib;
  EXPECT_FALSE(needs_zoneinfo_estimate(info));
  EXPECT_EQ(derive_virtual_memory(info, 100 * k_kib).available_bytes, 1234 * k_kib);
  info.mem_available_bytes = 0;
  EXPECT_TRUE(needs_zoneinfo_estimate(info));
  EXPECT_EQ(derive_virtual_memory(info, 100 * k_kib).available_bytes, 5100 * k_kib);
}

TEST(VirtualMemory, NegativeEstimateIsClampedToZero) {
  MemInfo info = meminfo_kib(10000, 10);
  info.active_file_bytes = 0;
  info.inactive_file_bytes = 0;
  info.s_reclaimable_bytes = 0;
  const auto memory = derive_virtual_memory(info, UINT64_MAX);
  EXPECT_EQ(memory.available_bytes, 0u);
  EXPECT_DOUBLE_EQ(memory.percent, 100.0);
}

TEST(VirtualMemory, ExtremeValuesStayInRange) {
  MemInfo info;
  info.mem_total_bytes = k_meminfo_max_bytes;
  info.mem_free_bytes = k_meminfo_max_bytes;
  info.cached_bytes = k_meminfo_max_bytes;
  info.s_reclaimable_bytes = UINT64_MAX;  // larger than a parse can give: capped
  info.buffers_bytes = k_meminfo_max_bytes;
  info.active_file_bytes = k_meminfo_max_bytes;
  info.inactive_file_bytes = k_meminfo_max_bytes;
  const auto memory = derive_virtual_memory(info, k_meminfo_max_bytes);
  EXPECT_LE(memory.available_bytes, memory.total_bytes);
  EXPECT_GE(memory.percent, 0.0);
  EXPECT_LE(memory.percent, 100.0);
}

TEST(SwapMemory, ComputesUsedPercentAndActivity) {
  MemInfo info = meminfo_kib(1, 1);
  info.swap_total_bytes = 4194300 * k_kib;
  info.swap_free_bytes = 3981212 * k_kib;
  const auto swap = derive_swap_memory(info, SwapActivity{12345, 67890});
  EXPECT_EQ(swap.used_bytes, 213088 * k_kib);
  EXPECT_EQ(swap.percent, 5.1);
  EXPECT_EQ(swap.swapped_in_bytes, 12345u * 4096u);
  EXPECT_EQ(swap.swapped_out_bytes, 67890u * 4096u);
}

TEST(SwapMemory, NoSwapIsAllZeros) {
  const auto swap = derive_swap_memory(meminfo_kib(1, 1), std::nullopt);
  EXPECT_EQ(swap.total_bytes, 0u);
  EXPECT_EQ(swap.used_bytes, 0u);
  EXPECT_EQ(swap.free_bytes, 0u);
  EXPECT_EQ(swap.percent, 0.0);
  EXPECT_EQ(swap.swapped_in_bytes, 0u);
  EXPECT_EQ(swap.swapped_out_bytes, 0u);
}

TEST(SwapMemory, FreeAboveTotalGivesZeroUsed) {
  MemInfo info = meminfo_kib(1, 1);
  info.swap_total_bytes = 100 * k_kib;
  info.swap_free_bytes = 200 * k_kib;
  const auto swap = derive_swap_memory(info, std::nullopt);
  EXPECT_EQ(swap.used_bytes, 0u);
  EXPECT_EQ(swap.percent, 0.0);
}

TEST(SwapMemory, OneCounterMissingZeroesBoth) {
  // psutil's for/else: unless both lines are found, sin = sout = 0.
  const auto swap = derive_swap_memory(meminfo_kib(1, 1), SwapActivity{5, std::nullopt});
  EXPECT_EQ(swap.swapped_in_bytes, 0u);
  EXPECT_EQ(swap.swapped_out_bytes, 0u);
}

// ---- JSON ---------------------------------------------------------------------

TEST(MemoryJson, KeyOrderAndTypesMatchPsutil) {
  VirtualMemory memory{25276071936, 24819171328, 1.8, 191340544, 24375365632, 220942336,
                       485044224,   12791808,    696573952, 9797632, 108011520};
  EXPECT_EQ(memory_json(memory),
            "{\"total\": 25276071936, \"available\": 24819171328, \"percent\": 1.8, \"used\": 191340544, "
            "\"free\": 24375365632, \"active\": 220942336, \"inactive\": 485044224, \"buffers\": 12791808, "
            "\"cached\": 696573952, \"shared\": 9797632, \"slab\": 108011520}");
  EXPECT_EQ(swap_json(SwapMemory{}),
            "{\"total\": 0, \"used\": 0, \"free\": 0, \"percent\": 0.0, \"sin\": 0, \"sout\": 0}");
  memory.percent = 100.0;
  EXPECT_NE(memory_json(memory).find("\"percent\": 100.0,"), std::string::npos);
}

// ---- fixtures -------------------------------------------------------------------

class MemoryFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(MemoryFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "memory" / GetParam();
  // Fixtures come from 4 KiB-page x86_64 hosts.
  auto collector = make_memory_collector_with_page_size(4096);
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, MemoryFixture, ::testing::ValuesIn(testing::fixture_cases("memory")),
                         testing::CaseName());

TEST(MemoryCollector, FollowsAChangeOfProcRoot) {
  // The collector caches its paths; a new root must be picked up.
  auto collector = make_memory_collector_with_page_size(4096);
  const RemoteConfig config = RemoteConfig::core_collectors();
  for (const char* name : {"typical", "no_swap", "missing_meminfo", "typical"}) {
    const auto case_dir = testing::fixtures_root() / "memory" / name;
    PayloadSink sink;
    testing::run_collector_on_case(*collector, case_dir, config, sink);
    testing::expect_case_matches(case_dir, sink);
  }
}

// ---- live host ------------------------------------------------------------------

// Reads "<key> <number> kB" from /proc/meminfo without the parser under test.
std::optional<std::uint64_t> live_meminfo_kib(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::uint64_t value = 0;
  std::string rest;
  while (in >> name >> value) {
    std::getline(in, rest);
    if (name == key) return value;
  }
  return std::nullopt;
}

TEST(MemoryCollector, LiveHostMatchesProcMeminfo) {
  const auto mem_total_kib = live_meminfo_kib("MemTotal:");
  const auto swap_total_kib = live_meminfo_kib("SwapTotal:");
  if (!mem_total_kib || !swap_total_kib) GTEST_SKIP() << "/proc/meminfo not readable here";

  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(1), stopping};
  PayloadSink sink;
  make_memory_collector()->collect(ctx, sink);
  ASSERT_EQ(sink.entries().size(), 2u);
  EXPECT_EQ(sink.entries()[0].key, "memory");
  EXPECT_EQ(sink.entries()[1].key, "swap");
  ASSERT_FALSE(sink.entries()[0].is_null) << sink.entries()[0].errors.front();
  ASSERT_FALSE(sink.entries()[1].is_null);
  EXPECT_TRUE(sink.entries()[0].errors.empty());
  EXPECT_TRUE(sink.entries()[1].errors.empty());

  const auto memory = nlohmann::ordered_json::parse(sink.find("memory")->json);
  const auto swap = nlohmann::ordered_json::parse(sink.find("swap")->json);
  EXPECT_EQ(memory.at("total").get<std::uint64_t>(), *mem_total_kib * 1024);
  EXPECT_EQ(swap.at("total").get<std::uint64_t>(), *swap_total_kib * 1024);
  for (const auto* object : {&memory, &swap}) {
    const auto& percent = object->at("percent");
    EXPECT_TRUE(percent.is_number_float());
    EXPECT_GE(percent.get<double>(), 0.0);
    EXPECT_LE(percent.get<double>(), 100.0);
  }
  EXPECT_LE(memory.at("available").get<std::uint64_t>(), memory.at("total").get<std::uint64_t>());
  EXPECT_LE(memory.at("used").get<std::uint64_t>(), memory.at("total").get<std::uint64_t>());
  EXPECT_LE(swap.at("used").get<std::uint64_t>(), swap.at("total").get<std::uint64_t>());

  std::vector<std::string> memory_keys;
  for (auto it = memory.begin(); it != memory.end(); ++it) memory_keys.push_back(it.key());
  EXPECT_EQ(memory_keys, (std::vector<std::string>{"total", "available", "percent", "used", "free", "active",
                                                    "inactive", "buffers", "cached", "shared", "slab"}));
  std::vector<std::string> swap_keys;
  for (auto it = swap.begin(); it != swap.end(); ++it) swap_keys.push_back(it.key());
  EXPECT_EQ(swap_keys, (std::vector<std::string>{"total", "used", "free", "percent", "sin", "sout"}));
}

}  // namespace
}  // namespace fivenines
