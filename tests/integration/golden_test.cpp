// End-to-end golden test: the built binary's --dry-run over a whole fake
// host (tests/golden/host/{proc,sys}) must print exactly
// tests/golden/dry_run_host.json once the fields that depend on the real
// machine or the clock are masked. The golden file changes only through
// `UPDATE_GOLDEN=1 build/dev/tests/golden_test` (make golden-update) and a
// reviewed diff.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/fixture_cases.hpp"
#include "support/json_match.hpp"
#include "support/run_binary.hpp"

namespace fivenines {
namespace {

using Json = nlohmann::ordered_json;

const std::filesystem::path k_golden_dir = std::filesystem::path(FIVENINES_SOURCE_DIR) / "tests" / "golden";
constexpr const char* k_masked = "<masked>";

// Capabilities read from the proc/sys roots: deterministic on a fake host.
bool is_core_capability(const std::string& name) {
  static const char* const core[] = {"cpu", "memory", "load_average", "io", "network",
                                     "partitions", "file_handles", "ports", "processes"};
  for (const char* c : core) {
    if (name == c) return true;
  }
  return false;
}

// Replaces what depends on the machine running the test or on the clock.
Json mask_volatile(Json payload) {
  for (const char* key : {"uname", "user_context", "ts", "running_time"}) {
    if (payload.contains(key)) payload[key] = k_masked;
  }
  for (const char* key : {"capabilities", "capability_reasons"}) {
    for (auto& [name, value] : payload[key].items()) {
      if (!is_core_capability(name)) value = k_masked;
    }
  }
  for (auto& [name, entry] : payload["_telemetry"].items()) {
    if (entry.contains("duration_ms")) entry["duration_ms"] = k_masked;
  }
  // statvfs reads the real file systems at the fake mount points.
  if (payload["partitions_usage"].is_object()) {
    for (auto& [mount, usage] : payload["partitions_usage"].items()) {
      for (auto& [field, value] : usage.items()) value = k_masked;
    }
  }
  return payload;
}

TEST(GoldenDryRun, FakeHostMatchesGolden) {
  char config_dir[] = "/tmp/fivenines-golden-XXXXXX";
  ASSERT_NE(::mkdtemp(config_dir), nullptr);
  const auto host = k_golden_dir / "host";
  const auto run = testing::run_binary(
      {FIVENINES_AGENT_BINARY, "--dry-run", "--proc-root", (host / "proc").string(), "--sys-root", (host / "sys").string()},
      {{"CONFIG_DIR", config_dir}, {"PATH", "/usr/bin:/bin"}, {"HOME", "/nonexistent"}, {"LOG_LEVEL", "warn"}});
  std::filesystem::remove_all(config_dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json actual = mask_volatile(Json::parse(run.out));

  const auto golden_path = k_golden_dir / "dry_run_host.json";
  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path) << actual.dump(2) << "\n";
    GTEST_SKIP() << "golden file rewritten: review `git diff " << golden_path.string() << "`";
  }
  const Json expected = Json::parse(testing::read_text(golden_path));
  EXPECT_EQ(testing::strict_json_diff(expected, actual), "");
  // Key order is part of the contract's diffability: compare it too.
  EXPECT_EQ(expected.dump(2), actual.dump(2));
}

TEST(GoldenDryRun, MaskingLeavesCollectorValuesAlone) {
  // Guard against a mask that hides everything: the golden must still hold
  // real collector values from the fake host.
  const Json golden = Json::parse(testing::read_text(k_golden_dir / "dry_run_host.json"));
  EXPECT_EQ(golden["cpu_model"], "AMD EPYC 7B13");
  EXPECT_EQ(golden["memory"]["total"], 16710123520);
  EXPECT_EQ(golden["file_handles_used"], 1632);
  EXPECT_TRUE(golden["processes"].is_array());
  EXPECT_FALSE(golden["processes"].empty());
  EXPECT_TRUE(golden["ports"].is_array());
  EXPECT_FALSE(golden["ports"].empty());
  EXPECT_EQ(golden["partitions_metadata"][1]["mountpoint"], "/mnt/my disk");
}

}  // namespace
}  // namespace fivenines
