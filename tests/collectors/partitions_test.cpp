#include "collectors/partitions.hpp"

#include <gtest/gtest.h>
#include <mntent.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <cerrno>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "procfs/partitions.hpp"
#include "support/collector_fixture_test.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- parsers

TEST(MountFieldDecoder, DecodesTheFourKernelEscapes) {
  EXPECT_EQ(decode_mount_field("/mnt/a\\040b"), "/mnt/a b");
  EXPECT_EQ(decode_mount_field("/mnt/a\\011b"), "/mnt/a\tb");
  EXPECT_EQ(decode_mount_field("/mnt/a\\012b"), "/mnt/a\nb");
  EXPECT_EQ(decode_mount_field("/mnt/a\\134b"), "/mnt/a\\b");
  EXPECT_EQ(decode_mount_field("\\040\\040"), "  ");
  EXPECT_EQ(decode_mount_field("plain"), "plain");
  EXPECT_EQ(decode_mount_field(""), "");
}

TEST(MountFieldDecoder, DecodesAnyThreeDigitOctalByte) {
  EXPECT_EQ(decode_mount_field("\\101\\142"), "Ab");
  EXPECT_EQ(decode_mount_field("\\377"), "\xff");
  EXPECT_EQ(decode_mount_field("\\001"), "\x01");
}

TEST(MountFieldDecoder, DecodesOnceOnly) {
  // A directory literally named "x\040y" is written "x\134040y".
  EXPECT_EQ(decode_mount_field("x\\134040y"), "x\\040y");
}

TEST(MountFieldDecoder, KeepsMalformedSequencesLiterally) {
  EXPECT_EQ(decode_mount_field("a\\04"), "a\\04");     // truncated at the end
  EXPECT_EQ(decode_mount_field("a\\"), "a\\");         // lone trailing backslash
  EXPECT_EQ(decode_mount_field("a\\08x"), "a\\08x");   // 8 is not octal
  EXPECT_EQ(decode_mount_field("a\\400"), "a\\400");   // more than a byte
  EXPECT_EQ(decode_mount_field("a\\000b"), "a\\000b"); // never a NUL in a path
  EXPECT_EQ(decode_mount_field("\\\\040"), "\\ ");     // first backslash literal, then \040
}

TEST(MountFieldDecoder, AppendsToTheGivenString) {
  std::string out = "x:";
  decode_mount_field("a\\040b", out);
  EXPECT_EQ(out, "x:a b");
}

TEST(MountsReader, ReadsFourFieldsAndIgnoresTheRest) {
  MountsReader reader("/dev/sda1 / ext4 rw,relatime 0 0 extra fields\n/dev/sdb1 /b xfs rw");
  RawMountEntry entry;
  ASSERT_TRUE(reader.next(entry));
  EXPECT_EQ(entry.device, "/dev/sda1");
  EXPECT_EQ(entry.mount_point, "/");
  EXPECT_EQ(entry.fstype, "ext4");
  EXPECT_EQ(entry.options, "rw,relatime");
  ASSERT_TRUE(reader.next(entry));  // no freq/passno, no trailing newline
  EXPECT_EQ(entry.mount_point, "/b");
  EXPECT_EQ(entry.options, "rw");
  EXPECT_FALSE(reader.next(entry));
  EXPECT_EQ(reader.skipped_lines(), 0u);
}

TEST(MountsReader, SkipsAndCountsTruncatedLines) {
  MountsReader reader("/dev/sda1 / ext4\n\n   \n/dev/sdb1\n/dev/sdc1 /c xfs ro 0 0\n/dev/sdd1 /d");
  RawMountEntry entry;
  ASSERT_TRUE(reader.next(entry));
  EXPECT_EQ(entry.device, "/dev/sdc1");
  EXPECT_FALSE(reader.next(entry));
  EXPECT_EQ(reader.skipped_lines(), 3u);  // blank lines are not counted
}

TEST(MountsReader, PassesNonUtf8BytesThrough) {
  MountsReader reader("/dev/sda1 /mnt/\xff\xfe ext4 rw 0 0\n");
  RawMountEntry entry;
  ASSERT_TRUE(reader.next(entry));
  EXPECT_EQ(entry.mount_point, "/mnt/\xff\xfe");
}

TEST(MountsReader, HandlesEmptyAndGarbageInput) {
  RawMountEntry entry;
  MountsReader empty("");
  EXPECT_FALSE(empty.next(entry));
  MountsReader garbage(std::string_view("\0\0\0\n\x01\x02", 6));
  EXPECT_FALSE(garbage.next(entry));
  EXPECT_EQ(garbage.skipped_lines(), 2u);
}

TEST(FilesystemsParser, KeepsDeviceBackedTypesAndZfs) {
  const auto table = parse_filesystems("nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tsquashfs\nnodev\tzfs\n\txfs\n");
  EXPECT_EQ(table.physical, (std::vector<std::string_view>{"ext4", "squashfs", "zfs", "xfs"}));
  EXPECT_TRUE(table.contains("ext4"));
  EXPECT_TRUE(table.contains("zfs"));
  EXPECT_FALSE(table.contains("sysfs"));
  EXPECT_FALSE(table.contains("tmpfs"));
  EXPECT_FALSE(table.contains("EXT4"));  // the type match is exact, as psutil's
}

TEST(FilesystemsParser, ToleratesBlankTruncatedAndGarbageLines) {
  const auto table = parse_filesystems("\n\t\nnodev\nnodev\t\n  btrfs  \r\n\xff\xfe\n");
  EXPECT_EQ(table.physical, (std::vector<std::string_view>{"btrfs", "\xff\xfe"}));
  EXPECT_TRUE(parse_filesystems("").physical.empty());
}

Partition mount(std::string device, std::string fstype, std::string options = "rw") {
  return Partition{std::move(device), "/m", std::move(fstype), std::move(options)};
}

TEST(PhysicalPartitionFilter, NeedsADeviceAndAListedType) {
  const auto text = std::string("\text4\n\tvfat\n\tsquashfs\n\tISO9660\nnodev\tproc\n");
  const auto table = parse_filesystems(text);
  EXPECT_TRUE(is_physical_partition(mount("/dev/sda1", "ext4"), &table));
  EXPECT_TRUE(is_physical_partition(mount("tank/data", "ext4"), &table));  // any non-empty device
  EXPECT_FALSE(is_physical_partition(mount("", "ext4"), &table));
  EXPECT_FALSE(is_physical_partition(mount("none", "ext4"), &table));
  EXPECT_FALSE(is_physical_partition(mount("proc", "proc"), &table));
  EXPECT_FALSE(is_physical_partition(mount("/dev/sda1", "btrfs"), &table));  // not in the table
}

TEST(PhysicalPartitionFilter, AppliesTheSkipListCaseInsensitively) {
  const auto table = parse_filesystems("\tsquashfs\n\tISO9660\n\tvfat\n");
  EXPECT_FALSE(is_physical_partition(mount("/dev/loop0", "squashfs"), &table));
  EXPECT_FALSE(is_physical_partition(mount("/dev/sr0", "ISO9660"), &table));
  EXPECT_FALSE(is_physical_partition(mount("/dev/sdb1", "vfat", "ro,cdrom"), &table));
  EXPECT_TRUE(is_physical_partition(mount("/dev/sdb1", "vfat", "ro,CDROM"), &table));  // 'cdrom' in opts
}

TEST(PhysicalPartitionFilter, FallsBackToDevicePathsWithoutTheTable) {
  EXPECT_TRUE(is_physical_partition(mount("/dev/sda1", "ext4"), nullptr));
  EXPECT_TRUE(is_physical_partition(mount("/dev/sda1", "btrfs"), nullptr));
  EXPECT_FALSE(is_physical_partition(mount("proc", "proc"), nullptr));
  EXPECT_FALSE(is_physical_partition(mount("", "ext4"), nullptr));
  for (const char* skipped : {"squashfs", "cagefs-skeleton", "overlay", "devtmpfs", "tmpfs", "loop", "nullfs", "cdfs",
                              "udf", "iso9660", "TMPFS", "Overlay"}) {
    EXPECT_FALSE(is_physical_partition(mount("/dev/x", skipped), nullptr)) << skipped;
  }
  EXPECT_FALSE(is_physical_partition(mount("/dev/sr0", "ext4", "ro,cdrom"), nullptr));
}

TEST(PartitionSelection, DecodesTheKeptMountsInOrder) {
  const auto table = parse_filesystems("\text4\nnodev\ttmpfs\n");
  const auto partitions = select_partitions(
      "tmpfs /run tmpfs rw 0 0\n/dev/sda1 / ext4 rw 0 0\nshort line\n/dev/disk/by-label/A\\040B /mnt/a\\040b ext4 "
      "rw,x\\134y 0 0\n",
      &table);
  ASSERT_EQ(partitions.size(), 2u);
  EXPECT_EQ(partitions[0].device, "/dev/sda1");
  EXPECT_EQ(partitions[0].mount_point, "/");
  EXPECT_EQ(partitions[1].device, "/dev/disk/by-label/A B");
  EXPECT_EQ(partitions[1].mount_point, "/mnt/a b");
  EXPECT_EQ(partitions[1].fstype, "ext4");
  EXPECT_EQ(partitions[1].options, "rw,x\\y");
}

TEST(PartitionSelection, EmptyInputGivesNothing) {
  const auto table = parse_filesystems("\text4\n");
  EXPECT_TRUE(select_partitions("", &table).empty());
  EXPECT_TRUE(select_partitions("", nullptr).empty());
}

TEST(DiskUsageArithmetic, ReproducesTheReferencePayload) {
  // reference-payload-v1.13.1.json "/": total 270553174016, used 18391113728,
  // free 84354166784, percent 17.9; with 4096-byte fragments.
  const auto usage = compute_disk_usage(66053021, 61563003, 20594279, 4096);
  EXPECT_EQ(usage.total_bytes, 270553174016u);
  EXPECT_EQ(usage.used_bytes, 18391113728);
  EXPECT_EQ(usage.free_bytes, 84354166784u);
  EXPECT_EQ(usage.percent, 17.9);
}

TEST(DiskUsageArithmetic, RoundsToOneDecimalLikePython) {
  EXPECT_EQ(compute_disk_usage(1000, 500, 400, 4096).percent, 55.6);  // 55.555...
  EXPECT_EQ(compute_disk_usage(3, 2, 2, 1024).percent, 33.3);
  EXPECT_EQ(compute_disk_usage(8, 0, 0, 1).percent, 100.0);
}

TEST(DiskUsageArithmetic, EmptyFilesystemIsZeroPercent) {
  const auto usage = compute_disk_usage(0, 0, 0, 4096);
  EXPECT_EQ(usage.total_bytes, 0u);
  EXPECT_EQ(usage.used_bytes, 0);
  EXPECT_EQ(usage.free_bytes, 0u);
  EXPECT_EQ(usage.percent, 0.0);
  EXPECT_EQ(compute_disk_usage(100, 100, 0, 4096).percent, 0.0);  // full reserve, nothing used
}

TEST(DiskUsageArithmetic, MoreFreeThanTotalGivesNegativeUsed) {
  const auto usage = compute_disk_usage(10, 12, 12, 1);
  EXPECT_EQ(usage.used_bytes, -2);
  EXPECT_EQ(usage.free_bytes, 12u);
  EXPECT_EQ(usage.percent, -20.0);  // Python: -2 / 10 * 100
}

TEST(DiskUsageArithmetic, SaturatesInsteadOfOverflowing) {
  const std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();
  const auto usage = compute_disk_usage(huge, 0, huge, huge);
  EXPECT_EQ(usage.total_bytes, huge);
  EXPECT_EQ(usage.free_bytes, huge);
  EXPECT_EQ(usage.used_bytes, std::numeric_limits<std::int64_t>::max());
  const auto negative = compute_disk_usage(0, huge, 0, huge);
  EXPECT_EQ(negative.used_bytes, std::numeric_limits<std::int64_t>::min());
}

// --------------------------------------------------------------- fixtures

// statvfs(3) answered from a case's statvfs.json:
// {"<decoded path>": {"f_blocks": .., "f_bfree": .., "f_bavail": .., "f_frsize": ..} or {"errno": N}};
// a path not listed answers ENOENT.
StatvfsFunction statvfs_from_json(const std::filesystem::path& file) {
  auto table = std::make_shared<const nlohmann::json>(
      std::filesystem::exists(file) ? nlohmann::json::parse(testing::read_text(file)) : nlohmann::json::object());
  return [table](const std::string& path, struct statvfs* out) -> int {
    const auto it = table->find(path);
    if (it == table->end()) return ENOENT;
    if (it->contains("errno")) return it->at("errno").get<int>();
    *out = {};
    out->f_blocks = it->at("f_blocks").get<std::uint64_t>();
    out->f_bfree = it->at("f_bfree").get<std::uint64_t>();
    out->f_bavail = it->at("f_bavail").get<std::uint64_t>();
    out->f_frsize = it->at("f_frsize").get<std::uint64_t>();
    out->f_bsize = out->f_frsize;
    return 0;
  };
}

class PartitionsFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(PartitionsFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "partitions" / GetParam();
  auto collector = make_partitions_collector(statvfs_from_json(case_dir / "statvfs.json"));
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, PartitionsFixture, ::testing::ValuesIn(testing::fixture_cases("partitions")),
                         testing::CaseName());

// ------------------------------------------------------------ hung mounts

// A fake host whose statvfs blocks on chosen paths until released. Shared
// with the collector's worker threads, which may outlive the test body.
struct FakeDisks {
  std::mutex mutex;
  std::condition_variable changed;
  std::set<std::string> hung_paths;
  bool released = false;
  std::map<std::string, int> calls;
  int hung_returns = 0;
  std::set<std::thread::id> threads;
  bool sigterm_always_blocked = true;
};

StatvfsFunction fake_statvfs(const std::shared_ptr<FakeDisks>& disks) {
  return [disks](const std::string& path, struct statvfs* out) -> int {
    std::unique_lock lock(disks->mutex);
    ++disks->calls[path];
    disks->threads.insert(std::this_thread::get_id());
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    if (sigismember(&mask, SIGTERM) != 1) disks->sigterm_always_blocked = false;
    if (disks->hung_paths.count(path) != 0) {
      disks->changed.wait(lock, [&] { return disks->released; });
      ++disks->hung_returns;
      disks->changed.notify_all();
    }
    *out = {};
    out->f_blocks = 100;
    out->f_bfree = 50;
    out->f_bavail = 50;
    out->f_frsize = 4096;
    return 0;
  };
}

// Releases the hung calls when the test ends, whatever its outcome.
struct ReleaseOnExit {
  std::shared_ptr<FakeDisks> disks;
  void release() const {
    const std::lock_guard lock(disks->mutex);
    disks->released = true;
    disks->changed.notify_all();
  }
  ~ReleaseOnExit() { release(); }
};

// A proc root in a fresh temporary folder holding `mounts`.
class TempProc {
 public:
  explicit TempProc(const std::string& mounts) {
    char pattern[] = "/tmp/partitions_test_XXXXXX";
    const char* dir = ::mkdtemp(pattern);
    if (dir == nullptr) throw std::runtime_error("mkdtemp failed");
    m_root = dir;
    std::filesystem::create_directories(m_root / "proc");
    std::ofstream(m_root / "proc" / "mounts") << mounts;
    std::ofstream(m_root / "proc" / "filesystems") << "nodev\tproc\n\text4\n";
    m_paths.proc = (m_root / "proc").string();
    m_paths.sys = (m_root / "sys").string();
  }
  ~TempProc() {
    std::error_code ignored;
    std::filesystem::remove_all(m_root, ignored);
  }
  TempProc(const TempProc&) = delete;
  TempProc& operator=(const TempProc&) = delete;

  [[nodiscard]] const HostPaths& paths() const { return m_paths; }

 private:
  std::filesystem::path m_root;
  HostPaths m_paths;
};

struct TimedCollect {
  nlohmann::json usage;  // null when the key is null
  std::vector<std::string> errors;
  Clock::duration elapsed{};
};

TimedCollect timed_collect(Collector& collector, const HostPaths& paths, Clock::duration deadline_in) {
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const auto start = Clock::now();
  const CollectContext ctx{paths, config, start + deadline_in, stopping};
  PayloadSink sink;
  collector.collect(ctx, sink);
  TimedCollect result;
  result.elapsed = Clock::now() - start;
  const PayloadEntry* entry = sink.find("partitions_usage");
  if (entry == nullptr) throw std::runtime_error("partitions_usage missing");
  result.usage = entry->is_null ? nlohmann::json(nullptr) : nlohmann::json::parse(entry->json);
  result.errors = entry->errors;
  return result;
}

constexpr const char* k_three_mounts =
    "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /mnt/hung ext4 rw 0 0\n/dev/sdc1 /mnt/after ext4 rw 0 0\n";

TEST(PartitionsHungMount, IsSkippedThenNotRetriedWhileStuckThenReadAgain) {
  const TempProc proc(k_three_mounts);
  auto disks = std::make_shared<FakeDisks>();
  disks->hung_paths = {"/mnt/hung"};
  const ReleaseOnExit releaser{disks};
  auto collector = make_partitions_collector(fake_statvfs(disks));

  // First tick: the hung call is given up on, the others are reported.
  const auto deadline = 1500ms;
  const auto first = timed_collect(*collector, proc.paths(), deadline);
  EXPECT_LT(first.elapsed, deadline + 500ms);
  ASSERT_TRUE(first.usage.is_object());
  EXPECT_TRUE(first.usage.contains("/"));
  EXPECT_TRUE(first.usage.contains("/mnt/after"));
  EXPECT_FALSE(first.usage.contains("/mnt/hung"));
  EXPECT_EQ(first.errors, std::vector<std::string>{"statvfs /mnt/hung: timed out"});

  // Second tick: skipped at once, no second stuck call.
  const auto second = timed_collect(*collector, proc.paths(), deadline);
  EXPECT_LT(second.elapsed, 200ms);
  EXPECT_TRUE(second.usage.contains("/"));
  EXPECT_TRUE(second.usage.contains("/mnt/after"));
  EXPECT_FALSE(second.usage.contains("/mnt/hung"));
  EXPECT_EQ(second.errors, std::vector<std::string>{"statvfs /mnt/hung: timed out"});
  {
    const std::lock_guard lock(disks->mutex);
    EXPECT_EQ(disks->calls["/mnt/hung"], 1);
    EXPECT_EQ(disks->calls["/"], 2);
  }

  // The server comes back: once the stuck call has returned, the mount is
  // read again (the collector may notice one tick late: the call returns
  // just before its thread posts the reply).
  releaser.release();
  {
    std::unique_lock lock(disks->mutex);
    ASSERT_TRUE(disks->changed.wait_for(lock, 5s, [&] { return disks->hung_returns == 1; }));
  }
  TimedCollect third;
  for (int attempt = 0; attempt < 100; ++attempt) {
    third = timed_collect(*collector, proc.paths(), deadline);
    if (third.usage.contains("/mnt/hung")) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(third.usage.contains("/mnt/hung"));
  EXPECT_EQ(third.usage["/mnt/hung"]["total"], 409600);
  EXPECT_TRUE(third.errors.empty());
  const std::lock_guard lock(disks->mutex);
  EXPECT_EQ(disks->calls["/mnt/hung"], 2);
}

TEST(PartitionsHungMount, NeverWaitsPastTheContextDeadline) {
  const TempProc proc("/dev/sdb1 /mnt/hung ext4 rw 0 0\n/dev/sdc1 /mnt/after ext4 rw 0 0\n");
  auto disks = std::make_shared<FakeDisks>();
  disks->hung_paths = {"/mnt/hung"};
  const ReleaseOnExit releaser{disks};
  auto collector = make_partitions_collector(fake_statvfs(disks));

  const auto deadline = 200ms;
  const auto result = timed_collect(*collector, proc.paths(), deadline);
  EXPECT_LT(result.elapsed, deadline + 500ms);
  EXPECT_GE(result.elapsed, deadline - 20ms);
  EXPECT_EQ(result.usage, nlohmann::json::object());
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0], "statvfs /mnt/hung: timed out");
  EXPECT_NE(result.errors[1].find("deadline passed, 1 mount point(s) not read, from /mnt/after"), std::string::npos)
      << result.errors[1];
}

TEST(PartitionsHungMount, SpendsAtMostTwoSecondsPerTickWhateverTheDeadline) {
  std::string mounts = "/dev/sda1 / ext4 rw 0 0\n";
  auto disks = std::make_shared<FakeDisks>();
  for (int i = 0; i < 8; ++i) {
    mounts += "/dev/sdx" + std::to_string(i) + " /mnt/hung" + std::to_string(i) + " ext4 rw 0 0\n";
    disks->hung_paths.insert("/mnt/hung" + std::to_string(i));
  }
  const TempProc proc(mounts);
  const ReleaseOnExit releaser{disks};
  auto collector = make_partitions_collector(fake_statvfs(disks));

  const auto first = timed_collect(*collector, proc.paths(), 60s);
  EXPECT_LT(first.elapsed, 2500ms);
  EXPECT_TRUE(first.usage.contains("/"));
  ASSERT_FALSE(first.errors.empty());
  EXPECT_NE(first.errors.back().find("deadline passed"), std::string::npos) << first.errors.back();
  const std::size_t timed_out_first = first.errors.size() - 1;
  EXPECT_GE(timed_out_first, 3u);
  EXPECT_LE(timed_out_first, 4u);

  // The next tick skips those at once and spends its time on the next ones.
  const auto second = timed_collect(*collector, proc.paths(), 60s);
  EXPECT_LT(second.elapsed, 2500ms);
  const std::lock_guard lock(disks->mutex);
  for (const auto& [path, count] : disks->calls) EXPECT_EQ(count, path == "/" ? 2 : 1) << path;
}

TEST(PartitionsHungMount, CollectorCanBeDestroyedWhileACallIsStuck) {
  const TempProc proc(k_three_mounts);
  auto disks = std::make_shared<FakeDisks>();
  disks->hung_paths = {"/mnt/hung"};
  const ReleaseOnExit releaser{disks};
  {
    auto collector = make_partitions_collector(fake_statvfs(disks));
    const auto result = timed_collect(*collector, proc.paths(), 1s);
    EXPECT_EQ(result.errors, std::vector<std::string>{"statvfs /mnt/hung: timed out"});
  }
  // The collector is gone; the stuck thread finishes on its own.
  releaser.release();
  std::unique_lock lock(disks->mutex);
  EXPECT_TRUE(disks->changed.wait_for(lock, 5s, [&] { return disks->hung_returns == 1; }));
}

TEST(PartitionsCollector, WritesKeysInReferenceOrder) {
  // The fixture comparison ignores object key order; the wire text must not.
  const TempProc proc("/dev/sdb1 /mnt/data ext4 rw 0 0\n/dev/sda1 / ext4 ro 0 0\n/dev/sdc1 /mnt/data ext4 rw 0 0\n");
  auto collector = make_partitions_collector(fake_statvfs(std::make_shared<FakeDisks>()));
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{proc.paths(), config, Clock::now() + 1s, stopping};
  PayloadSink sink;
  collector->collect(ctx, sink);
  ASSERT_EQ(sink.entries().size(), 2u);
  EXPECT_EQ(sink.entries()[0].key, "partitions_metadata");
  EXPECT_EQ(sink.entries()[0].json,
            "[{\"device\": \"/dev/sdb1\", \"mountpoint\": \"/mnt/data\", \"fstype\": \"ext4\", \"opts\": \"rw\"}, "
            "{\"device\": \"/dev/sda1\", \"mountpoint\": \"/\", \"fstype\": \"ext4\", \"opts\": \"ro\"}, "
            "{\"device\": \"/dev/sdc1\", \"mountpoint\": \"/mnt/data\", \"fstype\": \"ext4\", \"opts\": \"rw\"}]");
  EXPECT_EQ(sink.entries()[1].key, "partitions_usage");
  EXPECT_EQ(sink.entries()[1].json,
            "{\"/mnt/data\": {\"total\": 409600, \"used\": 204800, \"free\": 204800, \"percent\": 50.0}, "
            "\"/\": {\"total\": 409600, \"used\": 204800, \"free\": 204800, \"percent\": 50.0}}");
}

TEST(PartitionsWorker, ReusesOneThreadAcrossMountsAndTicks) {
  const TempProc proc(k_three_mounts);
  auto disks = std::make_shared<FakeDisks>();
  auto collector = make_partitions_collector(fake_statvfs(disks));
  for (int tick = 0; tick < 3; ++tick) {
    const auto result = timed_collect(*collector, proc.paths(), 1s);
    EXPECT_EQ(result.usage.size(), 3u);
    EXPECT_TRUE(result.errors.empty());
  }
  const std::lock_guard lock(disks->mutex);
  EXPECT_EQ(disks->threads.size(), 1u);
  EXPECT_EQ(disks->threads.count(std::this_thread::get_id()), 0u);
  EXPECT_EQ(disks->calls["/mnt/after"], 3);
}

TEST(PartitionsWorker, BlocksSignalsInTheWorkerOnly) {
  sigset_t before;
  pthread_sigmask(SIG_BLOCK, nullptr, &before);
  const TempProc proc(k_three_mounts);
  auto disks = std::make_shared<FakeDisks>();
  auto collector = make_partitions_collector(fake_statvfs(disks));
  (void)timed_collect(*collector, proc.paths(), 1s);
  sigset_t after;
  pthread_sigmask(SIG_BLOCK, nullptr, &after);
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    EXPECT_EQ(sigismember(&after, signal_number), sigismember(&before, signal_number)) << signal_number;
  }
  const std::lock_guard lock(disks->mutex);
  EXPECT_EQ(disks->calls["/"], 1);
  EXPECT_TRUE(disks->sigterm_always_blocked);
}

TEST(PartitionsWorker, AThrowingFunctionIsAnIoError) {
  const TempProc proc("/dev/sda1 / ext4 rw 0 0\n");
  auto collector = make_partitions_collector([](const std::string&, struct statvfs*) -> int {
    throw std::runtime_error("boom");
  });
  const auto result = timed_collect(*collector, proc.paths(), 1s);
  EXPECT_TRUE(result.usage.is_null());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0], "statvfs /: input/output error");
}

// ------------------------------------------------------------- live host

// The reference filter written again, independently of the parser under
// test: glibc's getmntent(3) for the mounts, a plain read of /proc/filesystems.
std::set<std::string> expected_live_mount_points(std::size_t& partition_count) {
  std::set<std::string> physical_types;
  bool have_table = false;
  {
    std::ifstream in("/proc/filesystems");
    std::string line;
    while (std::getline(in, line)) {
      have_table = true;
      const auto tab = line.find('\t');
      if (tab == std::string::npos) continue;
      const std::string marker = line.substr(0, tab);
      const std::string name = line.substr(tab + 1);
      if (marker.empty() || name == "zfs") physical_types.insert(name);
    }
  }
  const std::set<std::string> skipped = {"squashfs", "cagefs-skeleton", "overlay", "devtmpfs", "tmpfs",
                                         "loop",     "nullfs",          "cdfs",    "udf",      "iso9660"};
  std::set<std::string> mount_points;
  partition_count = 0;
  FILE* file = ::setmntent("/proc/self/mounts", "r");
  if (file == nullptr) return mount_points;
  while (const struct mntent* entry = ::getmntent(file)) {
    const std::string device = entry->mnt_fsname;
    const std::string fstype = entry->mnt_type;
    const std::string options = entry->mnt_opts;
    if (have_table) {
      if (device.empty() || device == "none" || physical_types.count(fstype) == 0) continue;
    } else if (device.empty() || device[0] != '/') {
      continue;
    }
    std::string lower = fstype;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (skipped.count(lower) != 0 || options.find("cdrom") != std::string::npos) continue;
    ++partition_count;
    struct statvfs st {};
    if (::statvfs(entry->mnt_dir, &st) != 0 && (errno == EACCES || errno == EPERM || errno == ENOENT)) continue;
    mount_points.insert(entry->mnt_dir);
  }
  ::endmntent(file);
  return mount_points;
}

TEST(PartitionsCollector, LiveHostMatchesAnIndependentReading) {
  std::size_t partition_count = 0;
  const auto expected = expected_live_mount_points(partition_count);

  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  auto collector = make_partitions_collector();

  struct statvfs before {};
  struct statvfs after {};
  nlohmann::json usage;
  nlohmann::json metadata;
  for (int attempt = 0; attempt < 10; ++attempt) {
    ASSERT_EQ(::statvfs("/", &before), 0);
    const CollectContext ctx{paths, config, Clock::now() + 2s, stopping};
    PayloadSink sink;
    collector->collect(ctx, sink);
    ASSERT_EQ(::statvfs("/", &after), 0);
    const auto* usage_entry = sink.find("partitions_usage");
    const auto* metadata_entry = sink.find("partitions_metadata");
    ASSERT_NE(usage_entry, nullptr);
    ASSERT_NE(metadata_entry, nullptr);
    ASSERT_FALSE(usage_entry->is_null) << usage_entry->errors.front();
    ASSERT_FALSE(metadata_entry->is_null) << metadata_entry->errors.front();
    EXPECT_TRUE(usage_entry->errors.empty());
    usage = nlohmann::json::parse(usage_entry->json);
    metadata = nlohmann::json::parse(metadata_entry->json);
    if (before.f_bavail == after.f_bavail) break;  // "/" did not change under us
  }

  std::set<std::string> keys;
  for (auto it = usage.begin(); it != usage.end(); ++it) keys.insert(it.key());
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(metadata.size(), partition_count);
  for (const auto& entry : metadata) {
    EXPECT_EQ(entry.size(), 4u);
    EXPECT_TRUE(entry["device"].is_string());
    EXPECT_TRUE(entry["opts"].is_string());
  }

  if (!usage.contains("/")) GTEST_SKIP() << "/ is not a physical partition here (container root?)";
  const auto& root = usage["/"];
  EXPECT_EQ(root["total"].get<std::uint64_t>(), std::uint64_t{before.f_blocks} * before.f_frsize);
  EXPECT_EQ(root["free"].get<std::uint64_t>(), std::uint64_t{after.f_bavail} * after.f_frsize);
  EXPECT_TRUE(root["total"].is_number_integer());
  EXPECT_TRUE(root["used"].is_number_integer());
  EXPECT_TRUE(root["percent"].is_number_float());
  EXPECT_GE(root["percent"].get<double>(), 0.0);
  EXPECT_LE(root["percent"].get<double>(), 100.0);
}

}  // namespace
}  // namespace fivenines
