#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "collectors/collector.hpp"

namespace fivenines {

// processes: an array with one object per process, sorted by pid (wire
// contract §5.6), keys in the reference's order: ppid, pid, status,
// num_threads, memory_percent, cpu_percent, username, name, cpu_times.
// cpu_percent is the share of ONE cpu since the previous prime()/collect()
// saw the same process (pid and start time); 0.0 the first time.
// Not thread-safe: one tick at a time.
[[nodiscard]] std::unique_ptr<Collector> make_processes_collector();

// Test hooks. Zero / empty members take the host's values.
struct ProcessesOptions {
  // Monotonic clock, read once per process sample (cpu_percent's wall delta).
  std::function<std::chrono::steady_clock::time_point()> now;
  long page_size_bytes = 0;   // sysconf(_SC_PAGESIZE)
  long ticks_per_second = 0;  // sysconf(_SC_CLK_TCK), USER_HZ
};
[[nodiscard]] std::unique_ptr<Collector> make_processes_collector(ProcessesOptions options);

}  // namespace fivenines
