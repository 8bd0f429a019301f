// The parameterised fixture test every collector uses: for each case folder
// tests/fixtures/<collector>/<case>/ it runs the collector with proc/sys
// roots pointing into the case and compares with the case's files:
//   expected.json  the keys the collector adds, {key: value-or-null}
//   errors.json    optional {key: ["substring", ...]}: each telemetry error
//                  of that key must contain the substring at that position;
//                  keys not listed must have no errors.
//   origin.txt     where the fixture's content came from.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>

#include "support/fixture_cases.hpp"
#include "support/json_match.hpp"

namespace fivenines::testing {

struct FixtureRun {
  PayloadSink sink;
};

// Runs `collector` once over the case at `case_dir` (prime, then collect).
inline void run_collector_on_case(Collector& collector, const std::filesystem::path& case_dir, const RemoteConfig& config,
                                  PayloadSink& sink) {
  HostPaths paths;
  paths.proc = (case_dir / "proc").string();
  paths.sys = (case_dir / "sys").string();
  std::atomic<bool> stopping{false};
  const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + std::chrono::seconds(5), stopping};
  collector.prime(ctx);
  sink.start_lap();
  collector.collect(ctx, sink);
}

inline void expect_case_matches(const std::filesystem::path& case_dir, const PayloadSink& sink) {
  const auto expected = nlohmann::ordered_json::parse(read_text(case_dir / "expected.json"));
  const auto actual = entries_as_json(sink);
  const auto diff = strict_json_diff(expected, actual);
  EXPECT_EQ(diff, "") << "case " << case_dir << "\nactual: " << actual.dump();

  nlohmann::ordered_json expected_errors = nlohmann::ordered_json::object();
  if (std::filesystem::exists(case_dir / "errors.json")) {
    expected_errors = nlohmann::ordered_json::parse(read_text(case_dir / "errors.json"));
  }
  const auto actual_errors = entry_errors_as_json(sink);
  for (auto it = actual_errors.begin(); it != actual_errors.end(); ++it) {
    ASSERT_TRUE(expected_errors.contains(it.key())) << "unexpected errors for " << it.key() << ": " << it.value().dump();
  }
  for (auto it = expected_errors.begin(); it != expected_errors.end(); ++it) {
    ASSERT_TRUE(actual_errors.contains(it.key())) << "no errors reported for " << it.key();
    const auto& got = actual_errors.at(it.key());
    ASSERT_EQ(got.size(), it.value().size()) << it.key() << ": " << got.dump();
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_NE(got[i].get<std::string>().find(it.value()[i].get<std::string>()), std::string::npos)
          << it.key() << "[" << i << "] = " << got[i] << " lacks " << it.value()[i];
    }
  }
}

}  // namespace fivenines::testing
