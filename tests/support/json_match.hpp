// Strict JSON comparison for tests: unlike nlohmann's operator==, an integer
// never equals a float (the wire contract makes 1 and 1.0 different).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fivenines::testing {

// Returns "" when equal, else the JSON path and the difference.
inline std::string strict_json_diff(const nlohmann::ordered_json& expected, const nlohmann::ordered_json& actual,
                                    const std::string& path = "$") {
  using value_t = nlohmann::ordered_json::value_t;
  const auto kind = [](const nlohmann::ordered_json& j) {
    switch (j.type()) {
      case value_t::number_integer:
      case value_t::number_unsigned: return std::string("integer");
      case value_t::number_float: return std::string("float");
      default: return std::string(j.type_name());
    }
  };
  if (kind(expected) != kind(actual)) {
    return path + ": expected " + kind(expected) + " " + expected.dump() + ", got " + kind(actual) + " " + actual.dump();
  }
  if (expected.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (!actual.contains(it.key())) return path + "." + it.key() + ": missing";
      auto diff = strict_json_diff(it.value(), actual.at(it.key()), path + "." + it.key());
      if (!diff.empty()) return diff;
    }
    for (auto it = actual.begin(); it != actual.end(); ++it) {
      if (!expected.contains(it.key())) return path + "." + it.key() + ": unexpected key";
    }
    return "";
  }
  if (expected.is_array()) {
    if (expected.size() != actual.size()) {
      return path + ": expected " + std::to_string(expected.size()) + " elements, got " + std::to_string(actual.size()) +
             ": " + actual.dump();
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      auto diff = strict_json_diff(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
      if (!diff.empty()) return diff;
    }
    return "";
  }
  if (expected != actual) return path + ": expected " + expected.dump() + ", got " + actual.dump();
  return "";
}

}  // namespace fivenines::testing
