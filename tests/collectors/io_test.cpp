#include "collectors/io.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "platform/file_read.hpp"
#include "procfs/io_diskstats.hpp"
#include "support/collector_fixture_test.hpp"
#include "util/text.hpp"

namespace fivenines {
namespace {

std::string sector_bytes(std::uint64_t sectors) {
  char text[k_sector_bytes_text_max];
  return std::string(text, format_sector_bytes(sectors, text));
}

TEST(DiskstatsParser, ReadsTheModernTwentyFieldLayout) {
  const auto stats = parse_diskstats(
      " 254       0 vda 18450 6439 2171522 29104 2322 4635 651576 2346 0 3852 31923 4101 42 335528 464 126 7\n");
  ASSERT_EQ(stats.disks.size(), 1u);
  const DiskStat& vda = stats.disks[0];
  EXPECT_EQ(vda.name, "vda");
  EXPECT_EQ(vda.read_count, 18450u);
  EXPECT_EQ(vda.read_merged_count, 6439u);
  EXPECT_EQ(vda.read_sectors, 2171522u);
  EXPECT_EQ(vda.read_time_ms, 29104u);
  EXPECT_EQ(vda.write_count, 2322u);
  EXPECT_EQ(vda.write_merged_count, 4635u);
  EXPECT_EQ(vda.write_sectors, 651576u);
  EXPECT_EQ(vda.write_time_ms, 2346u);
  EXPECT_EQ(vda.busy_time_ms, 3852u);
  EXPECT_EQ(stats.skipped_lines, 0u);
}

TEST(DiskstatsParser, AcceptsFourteenAndEighteenOrMoreFields) {
  const auto stats = parse_diskstats(
      "8 0 a 1 2 3 4 5 6 7 8 9 10 11\n"
      "8 1 b 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
      "8 2 c 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26\n");
  ASSERT_EQ(stats.disks.size(), 3u);
  for (const auto& disk : stats.disks) {
    EXPECT_EQ(disk.read_count, 1u);
    EXPECT_EQ(disk.busy_time_ms, 10u);
    EXPECT_EQ(disk.write_sectors, 7u);
  }
  EXPECT_EQ(stats.disks[2].name, "c");
}

TEST(DiskstatsParser, RejectsSixteenAndSeventeenFields) {
  const auto stats = parse_diskstats(
      "8 0 a 1 2 3 4 5 6 7 8 9 10 11 12 13\n"
      "8 1 b 1 2 3 4 5 6 7 8 9 10 11 12 13 14\n");
  EXPECT_TRUE(stats.disks.empty());
  EXPECT_EQ(stats.skipped_lines, 2u);
  EXPECT_EQ(stats.first_skipped_line, 1u);
  EXPECT_EQ(stats.first_skipped_field_count, 16u);
}

TEST(DiskstatsParser, ReadsTheLinux24LayoutShiftedByOne) {
  const auto stats = parse_diskstats("3 0 39082680 hda 1 2 3 4 5 6 7 8 9 10 11\n");
  ASSERT_EQ(stats.disks.size(), 1u);
  EXPECT_EQ(stats.disks[0].name, "hda");
  EXPECT_EQ(stats.disks[0].read_count, 1u);
  EXPECT_EQ(stats.disks[0].read_merged_count, 2u);
  EXPECT_EQ(stats.disks[0].busy_time_ms, 10u);
}

TEST(DiskstatsParser, ReadsTheOldPartitionLayoutWithZeroTimes) {
  const auto stats = parse_diskstats("3 1 hda1 42 336 17 136");  // no final newline
  ASSERT_EQ(stats.disks.size(), 1u);
  const DiskStat& part = stats.disks[0];
  EXPECT_EQ(part.name, "hda1");
  EXPECT_EQ(part.read_count, 42u);
  EXPECT_EQ(part.read_sectors, 336u);
  EXPECT_EQ(part.write_count, 17u);
  EXPECT_EQ(part.write_sectors, 136u);
  EXPECT_EQ(part.read_time_ms + part.write_time_ms + part.read_merged_count + part.write_merged_count +
                part.busy_time_ms,
            0u);
}

TEST(DiskstatsParser, SkipsTruncatedGarbageAndOverflowingLines) {
  const auto stats = parse_diskstats(
      "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
      "8 1 sda1 1 2 3 4 5\n"                          // truncated mid-line
      "8 2 sda2 1 2 3 4 5 6 7 8 9 10 1x\n"            // garbage number
      "8 3 sda3 1 2 3 4 5 6 7 8 9 10 +1\n"            // sign
      "8 4 sda4 99999999999999999999 2 3 4 5 6 7 8 9 10 11\n"  // > 2^64
      "8 5 sda5 3 1 hda1 42 336 17\n"                 // 9 fields
      "\n   \t\n"                                      // blank lines ignored
      "8 16 sdb 1 2 3 4 5 6 7 8 9 10 11\n");
  ASSERT_EQ(stats.disks.size(), 2u);
  EXPECT_EQ(stats.disks[1].name, "sdb");
  EXPECT_EQ(stats.skipped_lines, 5u);
  EXPECT_EQ(stats.first_skipped_line, 2u);
  EXPECT_EQ(stats.first_skipped_field_count, 8u);
}

TEST(DiskstatsParser, EmptyTextIsNoDisks) {
  EXPECT_TRUE(parse_diskstats("").disks.empty());
  EXPECT_EQ(parse_diskstats("").skipped_lines, 0u);
  EXPECT_EQ(parse_diskstats("\n\n").skipped_lines, 0u);
}

TEST(DiskstatsParser, KeepsNonUtf8NamesAsBytes) {
  const auto stats = parse_diskstats("8 0 sd\xff\xfe 1 2 3 4 5 6 7 8 9 10 11\n");
  ASSERT_EQ(stats.disks.size(), 1u);
  EXPECT_EQ(stats.disks[0].name, "sd\xff\xfe");
}

TEST(DiskstatsParser, ReusesTheOutputAndClearsOldState) {
  DiskStats stats;
  parse_diskstats_into("8 0 a 1 2 3\n8 0 b 1 2 3 4 5 6 7 8 9 10 11\n", stats);
  EXPECT_EQ(stats.skipped_lines, 1u);
  parse_diskstats_into("8 0 c 1 2 3 4 5 6 7 8 9 10 11\n", stats);
  ASSERT_EQ(stats.disks.size(), 1u);
  EXPECT_EQ(stats.disks[0].name, "c");
  EXPECT_EQ(stats.skipped_lines, 0u);
  EXPECT_EQ(stats.first_skipped_line, 0u);
}

TEST(SectorBytes, MultipliesBy512Exactly) {
  EXPECT_EQ(sector_bytes(0), "0");
  EXPECT_EQ(sector_bytes(1), "512");
  EXPECT_EQ(sector_bytes(2171522), "1111819264");
  // 2^55 - 1 is the largest count whose product fits 64 bits.
  EXPECT_EQ(sector_bytes(36028797018963967ull), "18446744073709551104");
  EXPECT_EQ(sector_bytes(36028797018963968ull), "18446744073709551616");  // 2^64
  EXPECT_EQ(sector_bytes(36028797018963969ull), "18446744073709552128");
  // The trailing nine digits are zero-padded.
  EXPECT_EQ(sector_bytes(1953125000000000000ull), "1000000000000000000000");
  EXPECT_EQ(sector_bytes(18446744073709551615ull), "9444732965739290426880");  // 2^73 - 512
}

class IoFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(IoFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "io" / GetParam();
  auto collector = make_io_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, IoFixture, ::testing::ValuesIn(testing::fixture_cases("io")), testing::CaseName());

// The JSON library reads integers above 2^64 - 1 back as doubles, so the
// fixture comparison cannot see their last digits: check the text itself.
TEST(IoCollector, WritesBytesAbove64BitsExactly) {
  const auto case_dir = testing::fixtures_root() / "io" / "huge_counters";
  auto collector = make_io_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  const PayloadEntry* entry = sink.find("io");
  ASSERT_NE(entry, nullptr);
  EXPECT_NE(entry->json.find("\"write_bytes\": 18446744073709551616,"), std::string::npos) << entry->json;
  EXPECT_NE(entry->json.find("\"read_bytes\": 9444732965739290426880, \"write_bytes\": 9444732965739290426880,"),
            std::string::npos)
      << entry->json;
}

// The fixture comparison ignores key order inside objects; the reference's
// order (psutil's sdiskio fields) is checked here.
TEST(IoCollector, KeepsTheReferenceKeyOrder) {
  const auto case_dir = testing::fixtures_root() / "io" / "mixed_layouts";
  auto collector = make_io_collector();
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  const auto expected = nlohmann::ordered_json::parse(testing::read_text(case_dir / "expected.json"));
  ASSERT_NE(sink.find("io"), nullptr);
  EXPECT_EQ(nlohmann::ordered_json::parse(sink.find("io")->json).dump(), expected["io"].dump());
}

TEST(IoCollector, KeepsWorkingAcrossTicks) {
  const auto case_dir = testing::fixtures_root() / "io" / "mixed_layouts";
  auto collector = make_io_collector();
  PayloadSink first;
  PayloadSink second;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), first);
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), second);
  ASSERT_EQ(first.entries().size(), 1u);
  ASSERT_EQ(second.entries().size(), 1u);
  EXPECT_EQ(first.entries()[0].json, second.entries()[0].json);
}

TEST(IoCollector, LiveHostHasOneEntryPerDiskstatsLine) {
  const auto text = read_file("/proc/diskstats");
  if (!text) GTEST_SKIP() << text.error().message;
  std::size_t lines_with_fields = 0;
  LineSplitter lines(*text);
  std::string_view line;
  while (lines.next(line)) {
    if (!trim(line).empty()) ++lines_with_fields;
  }

  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(1), stopping};
  PayloadSink sink;
  make_io_collector()->collect(ctx, sink);
  const PayloadEntry* entry = sink.find("io");
  ASSERT_NE(entry, nullptr);
  ASSERT_FALSE(entry->is_null) << entry->errors[0];
  EXPECT_TRUE(entry->errors.empty());
  const auto value = nlohmann::ordered_json::parse(entry->json);
  ASSERT_TRUE(value.is_array());
  // Devices can come and go between the two reads; on a quiet host they match.
  EXPECT_EQ(value.size(), lines_with_fields);
  for (const auto& item : value) {
    ASSERT_EQ(item.size(), 1u);
    const auto& fields = item.begin().value();
    ASSERT_EQ(fields.size(), 9u);
    for (const char* name : {"read_count", "write_count", "read_bytes", "write_bytes", "read_time", "write_time",
                             "read_merged_count", "write_merged_count", "busy_time"}) {
      ASSERT_TRUE(fields.contains(name)) << name;
      EXPECT_TRUE(fields[name].is_number_unsigned()) << name;
    }
    EXPECT_EQ(fields["read_bytes"].get<std::uint64_t>() % 512, 0u);
  }
}

}  // namespace
}  // namespace fivenines
