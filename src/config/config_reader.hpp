// Strict reading of a `config` object (the one an API answer carries, or a
// --config file for a dry run) into a typed RemoteConfig: known keys of the
// right type only. Anything else is dropped with one warning line naming
// the key and the reason (never the value: it may be a secret).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/remote_config.hpp"
#include "util/result.hpp"

namespace fivenines {

inline constexpr std::size_t k_config_max_bytes = 1024 * 1024;
inline constexpr int k_config_max_depth = 32;

struct ConfigReadResult {
  RemoteConfig config;
  std::vector<std::string> warnings;
};

// `json_text` is either the config object itself or a whole API answer
// holding it under "config". Fails (ErrorKind::parse) when the text is not
// JSON, is nested deeper than 32, or is not an object.
[[nodiscard]] Result<ConfigReadResult> read_config_strict(std::string_view json_text);

}  // namespace fivenines
