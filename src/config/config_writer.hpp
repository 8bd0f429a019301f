// Writes a validated config back as JSON (Python's json.dumps format), for
// `config check` and for the validator's idempotence checks.
#pragma once

#include <span>
#include <string>

#include "config/remote_config.hpp"

namespace fivenines {

enum class SecretMode {
  redact,  // passwords, token secrets and SNMP communities as "<redacted>"
  reveal,  // the values themselves (fuzzing, tests; never printed)
};

inline constexpr const char* k_redacted = "<redacted>";

// One object with the keys of `keys` (the known top-level keys of the
// input, in input order); each key holds its validated value: a flag as
// true/false, a disabled section as null, an enabled section as an object
// (or list) with every option filled in.
[[nodiscard]] std::string write_config_json(const RemoteConfig& config, std::span<const std::string> keys,
                                            SecretMode secrets);

}  // namespace fivenines
