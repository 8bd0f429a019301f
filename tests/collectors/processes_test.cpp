#include "collectors/processes.hpp"

#include <gtest/gtest.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "procfs/processes.hpp"
#include "support/collector_fixture_test.hpp"
#include "support/unprivileged.hpp"

namespace fivenines {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A Linux 6.x stat line (52 fields) with every field distinct where it matters.
constexpr std::string_view k_linux6_stat =
    "4242 (worker) R 812 4242 4242 0 -1 4194560 1200 0 3 0 123456 7890 -5 6 20 0 8 0 90000 812345344 51200 "
    "18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 321 0 0 0 0 0 0 0 0 0 0\n";

TEST(ProcessStatParser, ReadsTheFieldsOfALinux6Line) {
  const auto stat = parse_process_stat(k_linux6_stat);
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->comm, "worker");
  EXPECT_EQ(stat->state, "R");
  EXPECT_EQ(stat->ppid, 812);
  EXPECT_EQ(stat->utime_ticks, 123456u);
  EXPECT_EQ(stat->stime_ticks, 7890u);
  EXPECT_EQ(stat->children_utime_ticks, -5);
  EXPECT_EQ(stat->children_stime_ticks, 6);
  EXPECT_EQ(stat->num_threads, 8);
  EXPECT_EQ(stat->start_time_ticks, 90000u);
  EXPECT_EQ(stat->rss_pages, 51200u);
  EXPECT_EQ(stat->blkio_ticks, 321u);
}

TEST(ProcessStatParser, NameRunsFromFirstOpenToLastCloseParenthesis) {
  const auto stat = parse_process_stat("7 (a) b (c\n) ) S 3 7 7 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 55 0 9\n");
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->comm, "a) b (c\n) ");
  EXPECT_EQ(stat->state, "S");
  EXPECT_EQ(stat->ppid, 3);
  EXPECT_EQ(stat->rss_pages, 9u);
  const auto pam = parse_process_stat("8 ((sd-pam)) S 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0");
  ASSERT_TRUE(pam);
  EXPECT_EQ(pam->comm, "(sd-pam)");
}

TEST(ProcessStatParser, KeepsNonUtf8AndEmptyNamesAsBytes) {
  const auto stat = parse_process_stat("9 (caf\xe9\xff) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0\n");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->comm, "caf\xe9\xff");
  const auto empty = parse_process_stat("9 () S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0\n");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->comm, "");
}

TEST(ProcessStatParser, OldKernelWithoutBlkioFieldGivesZero) {
  // 24 fields: through rss, as far as the collector needs.
  const auto stat = parse_process_stat("10 (old) S 1 10 10 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 23 0 20\n");
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->rss_pages, 20u);
  EXPECT_EQ(stat->blkio_ticks, 0u);
}

TEST(ProcessStatParser, RejectsFewerThan24Fields) {
  const auto stat = parse_process_stat("10 (old) S 1 10 10 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 23 0\n");
  ASSERT_FALSE(stat);
  EXPECT_EQ(stat.error().kind, ErrorKind::parse);
  EXPECT_EQ(stat.error().message, "fewer than 24 fields");
  EXPECT_FALSE(parse_process_stat("21 (short) S 1 21 21 0\n"));
  EXPECT_FALSE(parse_process_stat("21 (short)"));
}

TEST(ProcessStatParser, RejectsMissingOrReversedParentheses) {
  EXPECT_FALSE(parse_process_stat(""));
  EXPECT_FALSE(parse_process_stat("27 no-name S 1 27 27 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 27 0 0"));
  EXPECT_FALSE(parse_process_stat("27 )x( S 1 27 27 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 27 0 0"));
  EXPECT_FALSE(parse_process_stat("27 (x S 1 27 27 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 27 0 0"));
}

TEST(ProcessStatParser, RejectsGarbageInUsedFields) {
  EXPECT_FALSE(parse_process_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 2 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(parse_process_stat("1 (x) S -1x 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(parse_process_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 -1 2 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(parse_process_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 99999999999999999999999 2 0 0 20 0 1 0 5 0 0"));
  // Field 42 present but malformed is an error, not a silent 0.
  std::string line(k_linux6_stat);
  line.replace(line.find(" 321 "), 5, " 3x1 ");
  EXPECT_FALSE(parse_process_stat(line));
  // Unused fields are not checked.
  EXPECT_TRUE(parse_process_stat("1 (x) S 1 zz 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0"));
}

TEST(ProcessStatParser, ToleratesExtraFieldsAndBlanks) {
  std::string line(k_linux6_stat);
  line.pop_back();
  line += " 7 8 9 10 11\n\n";
  EXPECT_TRUE(parse_process_stat(line));
  EXPECT_TRUE(parse_process_stat("1 (x)\tS\t1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0"));
}

TEST(StatusUidParser, ReadsTheRealUid) {
  const auto uid = parse_status_real_uid("Name:\tsshd\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
  ASSERT_TRUE(uid);
  EXPECT_EQ(*uid, 1000u);
  const auto last_line = parse_status_real_uid("Uid:\t4000123\t4000123\t4000123\t4000123");
  ASSERT_TRUE(last_line);
  EXPECT_EQ(*last_line, 4000123u);
}

TEST(StatusUidParser, RejectsMissingOrMalformedUid) {
  EXPECT_FALSE(parse_status_real_uid(""));
  EXPECT_FALSE(parse_status_real_uid("Name:\tx\nState:\tS\n"));
  EXPECT_FALSE(parse_status_real_uid("Uid:\n"));
  EXPECT_FALSE(parse_status_real_uid("Uid:\t-1\t0\t0\t0\n"));
  EXPECT_FALSE(parse_status_real_uid("Uid:\t4294967296\t0\t0\t0\n"));
  EXPECT_FALSE(parse_status_real_uid("Uid:\tabc\n"));
  // A name that merely contains "Uid:" is not the Uid line.
  EXPECT_FALSE(parse_status_real_uid("Name:\tUid:\t5\n"));
}

TEST(CmdlineBasename, SplitsLikePsutil) {
  EXPECT_EQ(cmdline_program_basename(std::string_view("/usr/bin/python3\0-m\0http.server\0", 32)), "python3");
  EXPECT_EQ(cmdline_program_basename(std::string_view("nginx: worker process\0", 22)), "nginx:");
  EXPECT_EQ(cmdline_program_basename("application-server: worker 3"), "application-server:");
  EXPECT_EQ(cmdline_program_basename("/opt/x/run "), "run");
  EXPECT_EQ(cmdline_program_basename(std::string_view("/a b/c\0d\0", 9)), "c");
  EXPECT_EQ(cmdline_program_basename(std::string_view("\0", 1)), "");
  EXPECT_EQ(cmdline_program_basename(""), "");
  EXPECT_EQ(cmdline_program_basename(std::string_view("/usr/bin/\0", 10)), "");
}

TEST(ProcessName, ExtendsOnlyTruncatedNamesThatPrefixArgv0) {
  EXPECT_EQ(process_name("bash", std::string_view("/bin/bash-extended\0", 19)), "bash");
  EXPECT_EQ(process_name("systemd-journal", std::string_view("/usr/lib/systemd/systemd-journald\0", 34)),
            "systemd-journald");
  EXPECT_EQ(process_name("long_worker_nam", std::string_view("python3\0long_worker_name.py\0", 28)), "long_worker_nam");
  EXPECT_EQ(process_name("kworker/R-kvfree_rcu_reclaim", ""), "kworker/R-kvfree_rcu_reclaim");
  EXPECT_EQ(process_name("systemd-journal", std::string_view("systemd-journal\0", 16)), "systemd-journal");
}

TEST(ProcessStatusName, MapsPsutilStatuses) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"R", "running"}, {"S", "sleeping"}, {"D", "disk-sleep"}, {"T", "stopped"},   {"t", "tracing-stop"},
      {"Z", "zombie"},  {"X", "dead"},     {"x", "dead"},       {"K", "wake-kill"}, {"W", "waking"},
      {"I", "idle"},    {"P", "parked"},   {"Q", "Q"},          {"", ""},           {"RR", "RR"}};
  for (const auto& [state, expected] : cases) EXPECT_EQ(process_status_name(state), expected) << state;
}

TEST(MeminfoTotalParser, ReadsMemTotalInBytes) {
  const auto total = parse_meminfo_total_bytes("MemTotal:        8039932 kB\nMemFree:  1 kB\n");
  ASSERT_TRUE(total);
  EXPECT_EQ(*total, 8039932ull * 1024);
  EXPECT_TRUE(parse_meminfo_total_bytes("MemFree: 1 kB\nMemTotal: 10 kB"));
}

TEST(MeminfoTotalParser, RejectsMissingZeroOrMalformed) {
  EXPECT_FALSE(parse_meminfo_total_bytes(""));
  EXPECT_FALSE(parse_meminfo_total_bytes("MemFree: 1 kB\n"));
  EXPECT_FALSE(parse_meminfo_total_bytes("MemTotal: 0 kB\n"));
  EXPECT_FALSE(parse_meminfo_total_bytes("MemTotal: x kB\n"));
  EXPECT_FALSE(parse_meminfo_total_bytes("MemTotal: 5 MB\n"));
  EXPECT_FALSE(parse_meminfo_total_bytes("MemTotal:\n"));
  EXPECT_FALSE(parse_meminfo_total_bytes("MemTotal: 99999999999999999999 kB\n"));
}

// Fixtures are computed for a 4 KiB page and USER_HZ 100 (origin.txt).
ProcessesOptions fixture_options() {
  ProcessesOptions options;
  options.page_size_bytes = 4096;
  options.ticks_per_second = 100;
  return options;
}

class ProcessesFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ProcessesFixture, MatchesExpected) {
  const auto case_dir = testing::fixtures_root() / "processes" / GetParam();
  auto collector = make_processes_collector(fixture_options());
  PayloadSink sink;
  testing::run_collector_on_case(*collector, case_dir, RemoteConfig::core_collectors(), sink);
  testing::expect_case_matches(case_dir, sink);
}

INSTANTIATE_TEST_SUITE_P(Cases, ProcessesFixture, ::testing::ValuesIn(testing::fixture_cases("processes")),
                         testing::CaseName());

// A writable proc tree in a temporary folder, for the cpu_percent tests.
class TempProc {
 public:
  TempProc() {
    m_root = std::filesystem::temp_directory_path() / ("processes_test_" + std::to_string(::getpid()) + "_" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(m_root);
    std::filesystem::create_directories(m_root);
    write("meminfo", "MemTotal:        8039932 kB\n");
  }
  ~TempProc() { std::filesystem::remove_all(m_root); }
  TempProc(const TempProc&) = delete;
  TempProc& operator=(const TempProc&) = delete;

  void write(const std::string& relative, const std::string& text) const {
    const auto path = m_root / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  void set_process(int pid, std::uint64_t utime, std::uint64_t stime, std::uint64_t start_time) const {
    const std::string id = std::to_string(pid);
    write(id + "/stat", id + " (p" + id + ") S 1 1 1 0 -1 0 0 0 0 0 " + std::to_string(utime) + " " +
                            std::to_string(stime) + " 0 0 20 0 1 0 " + std::to_string(start_time) + " 0 0\n");
    write(id + "/status", "Name:\tp" + id + "\nUid:\t0\t0\t0\t0\n");
  }
  void remove_process(int pid) const { std::filesystem::remove_all(m_root / std::to_string(pid)); }
  [[nodiscard]] std::string root() const { return m_root.string(); }

 private:
  std::filesystem::path m_root;
};

// Runs prime or collect on `tree`; returns {pid: cpu_percent} of the result.
class CpuPercentHarness {
 public:
  explicit CpuPercentHarness(const TempProc& tree) {
    m_paths.proc = tree.root();
    ProcessesOptions options = fixture_options();
    options.now = [this] { return m_now; };
    m_collector = make_processes_collector(std::move(options));
  }
  void advance(Clock::duration by) { m_now += by; }
  void prime() { m_collector->prime(context()); }
  std::map<int, nlohmann::ordered_json> collect() {
    PayloadSink sink;
    m_collector->collect(context(), sink);
    std::map<int, nlohmann::ordered_json> out;
    const PayloadEntry* entry = sink.find("processes");
    EXPECT_NE(entry, nullptr);
    if (entry == nullptr || entry->is_null) return out;
    for (const auto& process : nlohmann::ordered_json::parse(entry->json)) {
      out[process["pid"].get<int>()] = process["cpu_percent"];
    }
    return out;
  }

 private:
  CollectContext context() { return CollectContext{m_paths, m_config, Clock::now() + 10s, m_stopping}; }

  HostPaths m_paths;
  RemoteConfig m_config;
  std::atomic<bool> m_stopping{false};
  Clock::time_point m_now{std::chrono::hours(1000)};
  std::unique_ptr<Collector> m_collector;
};

// Exact float and type: a float 37.5 is not an integer 37.
void expect_percent(const nlohmann::ordered_json& value, double expected) {
  ASSERT_TRUE(value.is_number_float()) << value.dump();
  EXPECT_EQ(value.get<double>(), expected);
}

TEST(ProcessesCpuPercent, IsTheShareOfOneCpuSinceTheLastSample) {
  TempProc tree;
  tree.set_process(10, 1000, 500, 77);  // moves 75 ticks in 2 s: 0.75 s / 2 s = 37.5 %
  tree.set_process(11, 0, 0, 78);       // 8 busy threads: 800 ticks in 2 s = 400 %
  tree.set_process(12, 50, 50, 79);     // pid reused: new start time -> a new process
  tree.set_process(14, 7, 0, 80);       // one tick in 3 s after the second collect
  tree.set_process(15, 300, 300, 81);   // counters going backwards never give < 0
  CpuPercentHarness harness(tree);
  harness.prime();

  tree.set_process(10, 1050, 525, 77);
  tree.set_process(11, 600, 200, 78);
  tree.set_process(12, 90, 50, 4242);
  tree.set_process(13, 500, 500, 82);  // first seen by collect
  tree.set_process(15, 200, 300, 81);
  harness.advance(2s);
  auto first = harness.collect();
  ASSERT_EQ(first.size(), 6u);
  expect_percent(first[10], 37.5);
  expect_percent(first[11], 400.0);
  expect_percent(first[12], 0.0);
  expect_percent(first[13], 0.0);
  expect_percent(first[14], 0.0);
  expect_percent(first[15], 0.0);

  // Rounded as Python's round(x, 1): 1 tick in 3 s = 0.333.. % -> 0.3.
  tree.set_process(14, 8, 0, 80);
  tree.set_process(13, 506, 507, 82);
  harness.advance(3s);
  auto second = harness.collect();
  expect_percent(second[14], 0.3);
  expect_percent(second[13], 4.3);  // 13 ticks / 3 s = 4.333.. %
  expect_percent(second[10], 0.0);  // no change
}

TEST(ProcessesCpuPercent, ForgetsProcessesThatAreGone) {
  TempProc tree;
  tree.set_process(20, 100, 0, 5);
  CpuPercentHarness harness(tree);
  harness.prime();
  tree.remove_process(20);
  harness.advance(1s);
  EXPECT_TRUE(harness.collect().empty());
  // Back with the same start time: its old sample was dropped, so this is a
  // first sighting, not a 100-tick jump measured over two seconds.
  tree.set_process(20, 200, 0, 5);
  harness.advance(1s);
  auto back = harness.collect();
  expect_percent(back[20], 0.0);
  tree.set_process(20, 250, 0, 5);
  harness.advance(1s);
  expect_percent(harness.collect()[20], 50.0);
}

TEST(ProcessesCpuPercent, ZeroWhenTheClockDidNotMove) {
  TempProc tree;
  tree.set_process(30, 100, 0, 5);
  CpuPercentHarness harness(tree);
  harness.prime();
  tree.set_process(30, 200, 0, 5);
  expect_percent(harness.collect()[30], 0.0);
}

TEST(ProcessesCollector, UnreadableStatusGivesANullUsername) {
  TempProc tree;
  tree.set_process(40, 100, 0, 5);
  // Root reads files whatever their mode: the collection runs as an
  // ordinary user (support/unprivileged.hpp), its entry sent back as JSON.
  testing::give_to_unprivileged_user(tree.root());
  std::filesystem::permissions(tree.root() + "/40/status", std::filesystem::perms::none);
  const auto result = testing::run_unprivileged([&] {
    HostPaths paths;
    paths.proc = tree.root();
    RemoteConfig config;
    std::atomic<bool> stopping{false};
    PayloadSink sink;
    make_processes_collector()->collect(CollectContext{paths, config, Clock::now() + 10s, stopping}, sink);
    const PayloadEntry* entry = sink.find("processes");
    if (entry == nullptr) return std::string("{}");
    return nlohmann::json{{"json", entry->json}, {"errors", entry->errors}}.dump();
  });
  ASSERT_TRUE(result);
  const auto entry = nlohmann::json::parse(*result);
  ASSERT_TRUE(entry.contains("json")) << "no processes entry";
  const auto processes = nlohmann::ordered_json::parse(entry["json"].get<std::string>());
  ASSERT_EQ(processes.size(), 1u);
  EXPECT_TRUE(processes[0]["username"].is_null());
  EXPECT_EQ(processes[0]["name"], "p40");
  EXPECT_TRUE(entry["errors"].empty());
}

TEST(ProcessesCollector, StopsAtTheDeadline) {
  TempProc tree;
  for (int pid = 1; pid <= 65; ++pid) tree.set_process(pid, 0, 0, 1);
  HostPaths paths;
  paths.proc = tree.root();
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, Clock::now() - 1s, stopping};
  PayloadSink sink;
  make_processes_collector()->collect(ctx, sink);
  const PayloadEntry* entry = sink.find("processes");
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->is_null);
  ASSERT_EQ(entry->errors.size(), 1u);
  EXPECT_NE(entry->errors[0].find("deadline passed"), std::string::npos) << entry->errors[0];
}

// The name the kernel and the reference give this test program.
std::string own_expected_name() {
  std::error_code error;
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe", error).filename().string();
  // comm is the first 15 bytes; a 15-byte comm is extended again from argv[0],
  // which for a test run is the path of the executable.
  return exe;
}

std::string own_user_name() {
  const passwd* entry = ::getpwuid(::getuid());
  return entry != nullptr ? entry->pw_name : std::to_string(::getuid());
}

double process_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

TEST(ProcessesCollector, LiveHostListsThisProcessWithRealValues) {
  HostPaths paths;
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, Clock::now() + 30s, stopping};
  auto collector = make_processes_collector();
  collector->prime(ctx);

  // Burn ~300 ms of CPU so this process has a clearly non-zero cpu_percent.
  const auto wall_start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  volatile std::uint64_t sink_value = 0;
  while (process_cpu_seconds() - cpu_start < 0.3) {
    for (int i = 0; i < 100000; ++i) sink_value = sink_value + static_cast<std::uint64_t>(i) * 2654435761u;
  }
  const double burned_share =
      (process_cpu_seconds() - cpu_start) / std::chrono::duration<double>(Clock::now() - wall_start).count();

  PayloadSink sink;
  collector->collect(ctx, sink);
  const PayloadEntry* entry = sink.find("processes");
  ASSERT_NE(entry, nullptr);
  ASSERT_FALSE(entry->is_null) << (entry->errors.empty() ? "" : entry->errors[0]);
  const auto processes = nlohmann::ordered_json::parse(entry->json);
  ASSERT_TRUE(processes.is_array());
  ASSERT_FALSE(processes.empty());

  const std::vector<std::string> key_order = {"ppid",        "pid",      "status", "num_threads", "memory_percent",
                                              "cpu_percent", "username", "name",   "cpu_times"};
  int previous_pid = 0;
  const nlohmann::ordered_json* self = nullptr;
  for (const auto& process : processes) {
    std::vector<std::string> keys;
    for (auto it = process.begin(); it != process.end(); ++it) keys.push_back(it.key());
    ASSERT_EQ(keys, key_order);
    const int pid = process["pid"].get<int>();
    EXPECT_GT(pid, previous_pid);  // ascending, no PID 0, no duplicates
    previous_pid = pid;
    EXPECT_TRUE(process["memory_percent"].is_number_float());
    EXPECT_GE(process["memory_percent"].get<double>(), 0.0);
    EXPECT_TRUE(process["cpu_percent"].is_number_float());
    EXPECT_GE(process["cpu_percent"].get<double>(), 0.0);
    ASSERT_EQ(process["cpu_times"].size(), 5u);
    for (const auto& seconds : process["cpu_times"]) EXPECT_TRUE(seconds.is_number_float());
    if (pid == ::getpid()) self = &process;
  }
  ASSERT_NE(self, nullptr) << "own pid " << ::getpid() << " not listed";
  EXPECT_EQ((*self)["name"], own_expected_name());
  EXPECT_EQ((*self)["ppid"], ::getppid());
  EXPECT_GE((*self)["num_threads"].get<int>(), 1);
  EXPECT_EQ((*self)["username"], own_user_name());
  EXPECT_EQ((*self)["status"], "running");
  EXPECT_GT((*self)["memory_percent"].get<double>(), 0.0);
  EXPECT_GT((*self)["cpu_times"][0].get<double>() + (*self)["cpu_times"][1].get<double>(), 0.25);
  // The collector's figure follows what this process measured of itself
  // (ticks are 10 ms, so allow some slack on a loaded machine).
  const double cpu_percent = (*self)["cpu_percent"].get<double>();
  EXPECT_GT(cpu_percent, 20.0) << "this process ran at " << burned_share * 100 << " % of a cpu";
  EXPECT_NEAR(cpu_percent, burned_share * 100, 25.0);
}

TEST(ProcessesCollector, UnlistableProcIsNullWithTheReason) {
  HostPaths paths;
  paths.proc = "/nonexistent/proc-root";
  RemoteConfig config;
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, Clock::now() + 1s, stopping};
  PayloadSink sink;
  make_processes_collector()->collect(ctx, sink);
  const PayloadEntry* entry = sink.find("processes");
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->is_null);
  ASSERT_EQ(entry->errors.size(), 1u);
  EXPECT_EQ(entry->errors[0], "read /nonexistent/proc-root: no such file or directory");
}

}  // namespace
}  // namespace fivenines
