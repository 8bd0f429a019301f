#include "identity/system_info.hpp"

#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace fivenines {
namespace {

namespace fs = std::filesystem;

TEST(BootTimeParser, ReadsBtimeAsAFloat) {
  const auto boot = parse_boot_time(
      "cpu  10 20 30 40 0 0 0 0 0 0\ncpu0 10 20 30 40 0 0 0 0 0 0\nintr 1 2 3\nctxt 99\n"
      "btime 1700000000\nprocesses 5\nprocs_running 1\n");
  ASSERT_TRUE(boot);
  EXPECT_EQ(*boot, 1700000000.0);
  JsonWriter out;
  out.number(*boot);
  EXPECT_EQ(out.text(), "1700000000.0");
}

TEST(BootTimeParser, LastLineWithoutNewline) {
  EXPECT_EQ(parse_boot_time("ctxt 1\nbtime 1796323104"), 1796323104.0);
}

TEST(BootTimeParser, NullWhenMissingOrMalformed) {
  EXPECT_FALSE(parse_boot_time(""));
  EXPECT_FALSE(parse_boot_time("cpu 1 2 3\nctxt 4\n"));
  EXPECT_FALSE(parse_boot_time("btime\n"));                 // truncated
  EXPECT_FALSE(parse_boot_time("btime -5\n"));              // negative
  EXPECT_FALSE(parse_boot_time("btime 17e8\n"));            // not an integer
  EXPECT_FALSE(parse_boot_time("btime 1700000000 12\n"));   // extra field
  EXPECT_FALSE(parse_boot_time("btime 99999999999999999999999\n"));  // overflow
  EXPECT_FALSE(parse_boot_time("btime \xff\xfe\n"));        // not UTF-8
  EXPECT_FALSE(parse_boot_time("xbtime 1700000000\n"));     // another key
  EXPECT_FALSE(parse_boot_time("btimes 1700000000\n"));
}

TEST(BootTime, ReadsAFixtureRoot) {
  std::string pattern = (fs::temp_directory_path() / "fivenines-boot-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path root(pattern);
  HostPaths paths;
  paths.proc = root.string();
  EXPECT_FALSE(read_boot_time(paths));  // no stat file
  std::ofstream(root / "stat") << "cpu 1 2 3 4\nbtime 1234567890\n";
  EXPECT_EQ(read_boot_time(paths), 1234567890.0);
  fs::remove_all(root);
}

TEST(BootTime, LiveHostIsInThePast) {
  const auto boot = read_boot_time(HostPaths{});
  ASSERT_TRUE(boot);
  EXPECT_GT(*boot, 946684800.0);  // after 2000-01-01
  EXPECT_LT(*boot, static_cast<double>(std::time(nullptr)) + 1);
}

TEST(Uname, MatchesUnameSyscallAndWritesSixStrings) {
  const auto info = read_uname();
  ASSERT_TRUE(info) << info.error().message;
  struct utsname names{};
  ASSERT_EQ(::uname(&names), 0);
  EXPECT_EQ(info->system, "Linux");
  EXPECT_EQ(info->node, names.nodename);
  EXPECT_EQ(info->release, names.release);
  EXPECT_EQ(info->version, names.version);
  EXPECT_EQ(info->machine, names.machine);
  EXPECT_EQ(info->processor, "");
  JsonWriter out;
  write_uname(out, *info);
  const auto parsed = nlohmann::ordered_json::parse(out.text());
  std::vector<std::string> keys;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    keys.push_back(it.key());
    EXPECT_TRUE(it.value().is_string());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"system", "node", "release", "version", "machine", "processor"}));
}

TEST(Uname, WritesTheReferenceShape) {
  UnameInfo info{"Linux", "HOSTNAME-PLACEHOLDER", "6.18.44-fc-v1147", "#1 SMP PREEMPT_DYNAMIC @0", "x86_64", ""};
  JsonWriter out;
  write_uname(out, info);
  EXPECT_EQ(out.text(),
            R"({"system": "Linux", "node": "HOSTNAME-PLACEHOLDER", "release": "6.18.44-fc-v1147", )"
            R"("version": "#1 SMP PREEMPT_DYNAMIC @0", "machine": "x86_64", "processor": ""})");
}

}  // namespace
}  // namespace fivenines
