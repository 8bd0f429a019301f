// Parsers of /proc/meminfo, /proc/zoneinfo and /proc/vmstat for the memory
// collector, and the derivation of the `memory` and `swap` payload values
// exactly as psutil's virtual_memory() and swap_memory() compute them on
// Linux (the reference agent sends those two named tuples as objects).
//
// Pure functions: text in, values out, no I/O, no allocation. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

// Largest meminfo value accepted, in kB: 2^50 kB = 1 EiB. Real hosts are
// below 2^47 kB (128 PiB, the 5-level paging limit); the bound keeps every
// sum and difference of the derivation inside int64 without checks.
inline constexpr std::uint64_t k_meminfo_max_kib = std::uint64_t{1} << 50;
inline constexpr std::uint64_t k_meminfo_max_bytes = k_meminfo_max_kib * 1024;

// psutil multiplies pswpin/pswpout by 4 KiB whatever the page size.
inline constexpr std::uint64_t k_vmstat_swap_page_bytes = 4096;

// The /proc/meminfo fields the collector uses, in bytes (the number × 1024,
// as psutil does, whatever the unit column says). nullopt: the line is
// absent, or its value is not a decimal number within k_meminfo_max_kib.
struct MemInfo {
  std::optional<std::uint64_t> mem_total_bytes;
  std::optional<std::uint64_t> mem_free_bytes;
  std::optional<std::uint64_t> mem_available_bytes;  // since Linux 3.14
  std::optional<std::uint64_t> buffers_bytes;
  std::optional<std::uint64_t> cached_bytes;
  std::optional<std::uint64_t> s_reclaimable_bytes;  // since 2.6.19
  std::optional<std::uint64_t> shmem_bytes;          // since 2.6.32
  std::optional<std::uint64_t> mem_shared_bytes;     // 2.4 kernels
  std::optional<std::uint64_t> active_bytes;
  std::optional<std::uint64_t> inactive_bytes;
  std::optional<std::uint64_t> active_file_bytes;    // since 2.6.28
  std::optional<std::uint64_t> inactive_file_bytes;  // since 2.6.28
  std::optional<std::uint64_t> inact_dirty_bytes;    // 2.4 kernels (Red Hat)
  std::optional<std::uint64_t> inact_clean_bytes;
  std::optional<std::uint64_t> inact_laundry_bytes;
  std::optional<std::uint64_t> slab_bytes;
  std::optional<std::uint64_t> swap_total_bytes;
  std::optional<std::uint64_t> swap_free_bytes;
  // Lines naming one of the fields above whose value was unusable.
  std::size_t malformed_lines = 0;
};

// One pass over the text; unknown lines are ignored, a repeated field keeps
// its last valid value. Fails (ErrorKind::parse) only when MemTotal is
// absent or unusable: without it no value can be derived.
[[nodiscard]] Result<MemInfo> parse_meminfo(std::string_view text);

// Sum of the `low` watermarks (in pages) of every zone in /proc/zoneinfo:
// each line that, stripped, starts with "low" and has a decimal second
// field. Saturates instead of overflowing. Never fails: an empty text sums
// to 0, as in psutil.
struct ZoneWatermarks {
  std::uint64_t low_pages = 0;
  std::size_t low_lines = 0;
};
[[nodiscard]] ZoneWatermarks parse_zoneinfo_watermarks(std::string_view text);

// low_pages × page size in bytes, capped at k_meminfo_max_bytes.
[[nodiscard]] std::uint64_t zone_low_watermark_bytes(const ZoneWatermarks& watermarks, std::uint64_t page_size_bytes);

// pswpin / pswpout of /proc/vmstat (pages); nullopt when absent or not a
// number that fits in bytes once multiplied by k_vmstat_swap_page_bytes.
struct SwapActivity {
  std::optional<std::uint64_t> pages_in;
  std::optional<std::uint64_t> pages_out;
};
[[nodiscard]] SwapActivity parse_vmstat_swap(std::string_view text);

// psutil.virtual_memory(), all bytes except percent (0-100, 1 decimal).
struct VirtualMemory {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;  // always within [0, total]
  double percent = 0.0;               // always finite, within [0, 100]
  std::uint64_t used_bytes = 0;
  std::uint64_t free_bytes = 0;
  std::uint64_t active_bytes = 0;
  std::uint64_t inactive_bytes = 0;
  std::uint64_t buffers_bytes = 0;
  std::uint64_t cached_bytes = 0;
  std::uint64_t shared_bytes = 0;
  std::uint64_t slab_bytes = 0;
};

// psutil.swap_memory().
struct SwapMemory {
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t free_bytes = 0;
  double percent = 0.0;  // 0.0 when there is no swap
  std::uint64_t swapped_in_bytes = 0;
  std::uint64_t swapped_out_bytes = 0;
};

// True when `available` must be estimated from /proc/zoneinfo: MemAvailable
// is absent (kernel < 3.14) or 0 (a kernel bug psutil works around) and the
// three inputs of the estimate are present. Only then is zoneinfo read.
[[nodiscard]] bool needs_zoneinfo_estimate(const MemInfo& info);

// The memory values. `watermark_low_bytes` is the zoneinfo sum in bytes, or
// nullopt when zoneinfo is unreadable (the estimate then falls back to
// MemFree + Cached); ignored when needs_zoneinfo_estimate() is false.
[[nodiscard]] VirtualMemory derive_virtual_memory(const MemInfo& info,
                                                  std::optional<std::uint64_t> watermark_low_bytes);

// The swap values; `activity` nullopt when /proc/vmstat is unreadable.
[[nodiscard]] SwapMemory derive_swap_memory(const MemInfo& info, const std::optional<SwapActivity>& activity);

}  // namespace fivenines
