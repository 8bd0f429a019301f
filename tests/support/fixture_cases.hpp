// Discovery of fixture cases: tests/fixtures/<collector>/<case>/ holds a
// fake proc/ and sys/ tree and expected.json. A new case is a new folder.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/collector.hpp"

namespace fivenines::testing {

inline std::filesystem::path fixtures_root() { return FIVENINES_FIXTURES_DIR; }

// Case folder names under tests/fixtures/<collector>, sorted.
inline std::vector<std::string> fixture_cases(const std::string& collector) {
  std::vector<std::string> cases;
  const auto dir = fixtures_root() / collector;
  if (!std::filesystem::is_directory(dir)) return cases;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory()) cases.push_back(entry.path().filename().string());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The sink's entries as one object {key: value or null}, in entry order.
inline nlohmann::ordered_json entries_as_json(const PayloadSink& sink) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& entry : sink.entries()) {
    out[entry.key] = entry.is_null ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json::parse(entry.json);
  }
  return out;
}

// Telemetry errors of the sink as {key: [errors]} for keys that have any.
inline nlohmann::ordered_json entry_errors_as_json(const PayloadSink& sink) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& entry : sink.entries()) {
    if (!entry.errors.empty()) out[entry.key] = entry.errors;
  }
  return out;
}

// Makes gtest parameter names from case folder names (letters, digits, _).
inline std::string case_test_name(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// Name generator for INSTANTIATE_TEST_SUITE_P over fixture_cases().
struct CaseName {
  template <typename ParamInfo>
  std::string operator()(const ParamInfo& param_info) const {
    return case_test_name(param_info.param);
  }
};

}  // namespace fivenines::testing
