// --dry-run: one collection of this host, the payload as one JSON document
// on stdout, logs on stderr. No network, no TOKEN, nothing written.
#pragma once

#include <chrono>

#include "config/settings.hpp"

namespace fivenines {

// How long the first tick samples CPU counters so that percentages are real
// on the very first payload.
inline constexpr std::chrono::milliseconds k_first_sample_window{200};

// Returns the process exit code: 0, or 2 when --config is unusable.
[[nodiscard]] int run_dry_run(const Settings& settings);

}  // namespace fivenines
