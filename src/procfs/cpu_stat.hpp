// Parser of the per-CPU lines of /proc/stat, and the interval arithmetic on
// two samples of one CPU. Pure: no I/O.
//
//   cpu  5827 0 2601 109060 209 0 46 591 0 0      aggregate: ignored
//   cpu0 2902 0 1272 54639 32 0 9 305 0 0         one line per online CPU
//
// Columns after the name, in USER_HZ ticks: user nice system idle iowait irq
// softirq steal guest guest_nice. Older kernels print fewer (iowait, irq and
// softirq since 2.6.0, steal 2.6.11, guest 2.6.24, guest_nice 2.6.33);
// missing columns read as 0. Columns beyond the tenth (a future kernel) are
// ignored.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace fivenines {

inline constexpr std::size_t k_cpu_time_fields = 10;
// Fewer columns than this (user nice system idle) make a cpu line malformed.
inline constexpr std::size_t k_cpu_min_fields = 4;

// Index of each column in CpuTicks::ticks (wire contract §10 order).
enum CpuField : std::size_t {
  k_cpu_user = 0,
  k_cpu_nice,
  k_cpu_system,
  k_cpu_idle,
  k_cpu_iowait,
  k_cpu_irq,
  k_cpu_softirq,
  k_cpu_steal,
  k_cpu_guest,
  k_cpu_guest_nice,
};

// One cpuN line.
struct CpuTicks {
  std::uint64_t cpu = 0;                                 // N of "cpuN"
  std::array<std::uint64_t, k_cpu_time_fields> ticks{};  // missing columns are 0
};

struct CpuStat {
  // The valid cpuN lines in file order; the cpu numbers strictly increase.
  std::vector<CpuTicks> cpus;
  // cpuN lines that were skipped: fewer than 4 values, a value that is not a
  // plain unsigned decimal, a bad or repeated cpu number.
  std::size_t malformed_lines = 0;
  std::string first_problem;  // "line 3: ..." for the first skipped line
};

// Parses the text of /proc/stat into `out`, reusing the capacity of
// out.cpus (the collector calls this every tick). Malformed cpu lines are
// skipped and counted; the parse fails (ErrorKind::parse) only when no valid
// cpuN line remains. Lines that do not start with "cpu" are ignored.
[[nodiscard]] Status parse_cpu_stat(std::string_view text, CpuStat& out);

// Shares of the interval between two samples of one CPU, in percent, with
// psutil's rules: each field's delta is clamped at 0 (counters can go
// backwards: iowait does, and hotplug resets them); total = sum of the
// deltas minus guest and guest_nice (already counted in user and nice);
// busy = total - idle - iowait. Every value is clamped to [0, 100]; a total
// of 0 or less gives all zeros. Values are not rounded.
struct CpuPercentages {
  double busy = 0;
  std::array<double, k_cpu_time_fields> fields{};
};
[[nodiscard]] CpuPercentages cpu_percentages(const CpuTicks& previous, const CpuTicks& current);

}  // namespace fivenines
