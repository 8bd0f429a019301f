// Parser of /proc/cpuinfo for the CPU model. Pure: no I/O.
//
//   processor	: 0
//   model name	: AMD EPYC 7B13 64-Core Processor
//
// x86 and many other architectures print one "model name" line per logical
// CPU; arm64 prints none (its blocks have "CPU implementer", "CPU part").
#pragma once

#include <optional>
#include <string_view>

namespace fivenines {

// The value of the LAST "model name" line (text after the first ':',
// trimmed; may be empty), as a view into `text`; nullopt when no line
// names a model. The key must start the line; spaces or tabs may sit
// between it and the ':'.
[[nodiscard]] std::optional<std::string_view> parse_cpu_model(std::string_view text);

}  // namespace fivenines
