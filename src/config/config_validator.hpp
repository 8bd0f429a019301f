// The config validator (issue 4, rules 2-14; wire contract §4 and §8): the
// one door from a gated `config` object (config/json_gate.hpp) to the typed
// RemoteConfig the agent and its collectors use.
//
// Known keys only, compared as exact bytes; every value checked for type,
// range and shape. A section that cannot be made safe is disabled (nullopt)
// for this config only; the next answer is validated afresh. Each altered
// or dropped item yields one warning line,
//   config.<key path>: <reason> (<what was done>)
// naming the key (printable ASCII, at most 64 bytes per key) and never the
// value of a secret. After k_config_max_warnings lines the rest are counted
// in one final line, so a hostile config cannot flood the log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/json_gate.hpp"
#include "config/remote_config.hpp"

namespace fivenines {

inline constexpr std::size_t k_config_max_warnings = 200;

struct ConfigReadResult {
  RemoteConfig config;
  std::vector<std::string> warnings;
  // The known top-level keys of the input, in input order: the layout
  // `config check` prints the validated config in.
  std::vector<std::string> input_keys;
};

// Validates `config_object` (a JSON object that passed the gate). Needs
// the config in use before this one for `interval`: an invalid interval
// keeps the previous value (60 s when `previous` is null).
[[nodiscard]] ConfigReadResult validate_config(const ConfigJson& config_object, const RemoteConfig* previous);

// The rules the validator applies to single values, exposed for the
// collectors that use the same notions and for tests.

// Python truthiness: null, false, 0, 0.0, "", [] and {} are false.
[[nodiscard]] bool json_truthy(const ConfigJson& value);

// `^(0|[1-9][0-9]{0,9})$`: no sign, space, leading zero, exponent,
// underscore or non-ASCII digit.
[[nodiscard]] bool is_canonical_decimal(std::string_view text);

// A systemd unit name: 1..256 of A-Z a-z 0-9 : _ . \ @ -, not starting
// with '-' or '.'.
[[nodiscard]] bool is_systemd_unit_name(std::string_view text);

// A host name (letters, digits, hyphens, dots; labels 1..63 without a
// leading or trailing hyphen; at most 253 bytes; no trailing dot) whose last
// label is not numeric, so "127.1", "2130706433" and "0x7f000001" (which
// resolvers read as IPv4 addresses) are not host names.
[[nodiscard]] bool is_host_name(std::string_view text);

}  // namespace fivenines
