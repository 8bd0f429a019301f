// The response gate (issue 4, rule 1): the only way bytes from the API (or
// a --config / `config check` file) become a JSON value. Nothing of an
// answer is used before the whole of it has passed.
//
//   - at most 1 MiB;
//   - strict JSON: no NaN/Infinity, comments, trailing commas or trailing
//     garbage, no byte order mark, no NUL byte, valid UTF-8 only, \u escapes must pair
//     surrogates correctly, no number that overflows a double;
//   - nesting at most 32 deep, checked while parsing (the parser is
//     iterative and stops at the 33rd open bracket, so 100,000-deep input
//     costs nothing);
//   - no duplicate key in any object, compared after unescaping ("a" and
//     "\u0061" are the same key).
//
// Errors are ErrorKind::parse with a one-line message starting "config: ";
// errors found at a position name it as "at byte N" (0-based offset of the
// byte where the problem was seen; N = input size means end of input).
// The message never quotes input bytes: they may belong to a secret.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

using ConfigJson = nlohmann::ordered_json;

inline constexpr std::size_t k_config_max_bytes = 1024 * 1024;
inline constexpr int k_config_max_depth = 32;

// Parses `text` through every check above. The value keeps the input's key
// order.
[[nodiscard]] Result<ConfigJson> gate_json(std::string_view text);

// What the top level of a gated document must be.
enum class ConfigEnvelope {
  // An API answer: an object whose "config" is an object.
  api_answer,
  // `config check` and --config: the config object itself, or a whole API
  // answer (an object with a "config" key, which must then be an object).
  config_or_answer,
};

// Returns the config object inside `root` (a gated document), or an
// ErrorKind::parse error: "config: not a JSON object", "config: \"config\"
// is not an object", "config: answer has no \"config\" object".
[[nodiscard]] Result<const ConfigJson*> select_config_object(const ConfigJson& root, ConfigEnvelope envelope);

}  // namespace fivenines
