#pragma once

#include <memory>

#include "collectors/collector.hpp"

namespace fivenines {

// cpu: `cpu` (per-CPU percentages over the interval since the previous
// sample), `cpu_usage` (per-CPU cumulative seconds), `cpu_model`,
// `cpu_count` (wire contract §5.1). Gate: `cpu`. Keeps the previous
// /proc/stat sample as its own state; not thread-safe.
[[nodiscard]] std::unique_ptr<Collector> make_cpu_collector();

// Test hook: a fixed USER_HZ instead of sysconf(_SC_CLK_TCK), so fixture
// expectations do not depend on the machine running the tests.
[[nodiscard]] std::unique_ptr<Collector> make_cpu_collector_with_user_hz(long ticks_per_second);

}  // namespace fivenines
