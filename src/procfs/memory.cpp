#include "procfs/memory.hpp"

#include <algorithm>
#include <array>

#include "util/python_float.hpp"
#include "util/text.hpp"

namespace fivenines {

namespace {

struct MemInfoField {
  std::string_view key;  // first whitespace-separated field, colon included
  std::optional<std::uint64_t> MemInfo::*member;
};

// psutil keys its dict on the first field of each line, colon included, so
// "MemTotal:" matches and "MemTotal :" or "MemTotal:123" would not.
constexpr std::array<MemInfoField, 18> k_meminfo_fields{{
    {"MemTotal:", &MemInfo::mem_total_bytes},
    {"MemFree:", &MemInfo::mem_free_bytes},
    {"MemAvailable:", &MemInfo::mem_available_bytes},
    {"Buffers:", &MemInfo::buffers_bytes},
    {"Cached:", &MemInfo::cached_bytes},
    {"Active:", &MemInfo::active_bytes},
    {"Inactive:", &MemInfo::inactive_bytes},
    {"Active(file):", &MemInfo::active_file_bytes},
    {"Inactive(file):", &MemInfo::inactive_file_bytes},
    {"SwapTotal:", &MemInfo::swap_total_bytes},
    {"SwapFree:", &MemInfo::swap_free_bytes},
    {"Shmem:", &MemInfo::shmem_bytes},
    {"Slab:", &MemInfo::slab_bytes},
    {"SReclaimable:", &MemInfo::s_reclaimable_bytes},
    {"MemShared:", &MemInfo::mem_shared_bytes},
    {"Inact_dirty:", &MemInfo::inact_dirty_bytes},
    {"Inact_clean:", &MemInfo::inact_clean_bytes},
    {"Inact_laundry:", &MemInfo::inact_laundry_bytes},
}};

// Adds without wrapping, stopping at `cap`.
std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b, std::uint64_t cap) {
  if (a >= cap || b >= cap - a) return cap;
  return a + b;
}

std::int64_t as_signed(const std::optional<std::uint64_t>& bytes) {
  // Parsed values are at most k_meminfo_max_bytes (2^60); a hand-built
  // MemInfo with larger ones is capped the same way.
  return static_cast<std::int64_t>(std::min(bytes.value_or(0), k_meminfo_max_bytes));
}

// psutil's calculate_avail_vmem(): the kernel's own MemAvailable formula
// (commit 34e431b0ae39, Linux 3.14) redone in user space. Values are
// multiples of 1024, so the halves Python takes in floating point are exact
// integers here and int() truncates nothing.
std::int64_t estimate_available(const MemInfo& info, std::optional<std::uint64_t> watermark_low_bytes) {
  const std::int64_t free = as_signed(info.mem_free_bytes);
  const std::int64_t fallback = free + as_signed(info.cached_bytes);
  if (!needs_zoneinfo_estimate(info) || !watermark_low_bytes) return fallback;
  const auto watermark_low = static_cast<std::int64_t>(std::min(*watermark_low_bytes, k_meminfo_max_bytes));
  std::int64_t available = free - watermark_low;
  std::int64_t pagecache = as_signed(info.active_file_bytes) + as_signed(info.inactive_file_bytes);
  pagecache -= std::min(pagecache / 2, watermark_low);
  available += pagecache;
  const std::int64_t slab_reclaimable = as_signed(info.s_reclaimable_bytes);
  available += slab_reclaimable - std::min(slab_reclaimable / 2, watermark_low);
  return available;
}

double usage_percent(std::uint64_t used, std::uint64_t total) {
  // psutil's usage_percent(used, total, round_=1): 0.0 instead of a
  // division by zero, so no NaN or infinity can reach the payload.
  if (total == 0) return 0.0;
  return round_python(static_cast<double>(used) / static_cast<double>(total) * 100.0, 1);
}

}  // namespace

Result<MemInfo> parse_meminfo(std::string_view text) {
  MemInfo info;
  bool mem_total_malformed = false;
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) {
    FieldSplitter fields(line);
    std::string_view key;
    if (!fields.next(key)) continue;
    const auto field = std::find_if(k_meminfo_fields.begin(), k_meminfo_fields.end(),
                                    [key](const MemInfoField& f) { return f.key == key; });
    if (field == k_meminfo_fields.end()) continue;
    // The unit column ("kB", or nothing for the HugePages_ counts) is not
    // looked at: psutil multiplies every value by 1024.
    std::string_view number;
    const auto kib = fields.next(number) ? parse_u64(number) : std::nullopt;
    if (!kib || *kib > k_meminfo_max_kib) {
      ++info.malformed_lines;
      if (field->member == &MemInfo::mem_total_bytes) mem_total_malformed = true;
      continue;
    }
    info.*(field->member) = *kib * 1024;
  }
  if (!info.mem_total_bytes) {
    return make_error(ErrorKind::parse, mem_total_malformed ? "MemTotal is not a number of kB" : "no MemTotal line");
  }
  return info;
}

ZoneWatermarks parse_zoneinfo_watermarks(std::string_view text) {
  ZoneWatermarks watermarks;
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) {
    // psutil: line.strip().startswith(b"low") then int(line.split()[1]).
    // Only the "low" watermark line of each zone matches on real kernels.
    FieldSplitter fields(trim(line));
    std::string_view name;
    std::string_view number;
    if (!fields.next(name) || name.substr(0, 3) != "low" || !fields.next(number)) continue;
    const auto pages = parse_u64(number);
    if (!pages) continue;
    watermarks.low_pages = saturating_add(watermarks.low_pages, *pages, UINT64_MAX);
    ++watermarks.low_lines;
  }
  return watermarks;
}

std::uint64_t zone_low_watermark_bytes(const ZoneWatermarks& watermarks, std::uint64_t page_size_bytes) {
  if (page_size_bytes == 0) return 0;
  if (watermarks.low_pages > k_meminfo_max_bytes / page_size_bytes) return k_meminfo_max_bytes;
  return watermarks.low_pages * page_size_bytes;
}

SwapActivity parse_vmstat_swap(std::string_view text) {
  SwapActivity activity;
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line) && !(activity.pages_in && activity.pages_out)) {
    FieldSplitter fields(line);
    std::string_view name;
    std::string_view number;
    if (!fields.next(name)) continue;
    const bool is_in = name == "pswpin";
    if (!is_in && name != "pswpout") continue;
    if (!fields.next(number)) continue;
    const auto pages = parse_u64(number);
    if (!pages || *pages > UINT64_MAX / k_vmstat_swap_page_bytes) continue;
    (is_in ? activity.pages_in : activity.pages_out) = *pages;
  }
  return activity;
}

bool needs_zoneinfo_estimate(const MemInfo& info) {
  const bool no_available = !info.mem_available_bytes || *info.mem_available_bytes == 0;
  return no_available && info.active_file_bytes && info.inactive_file_bytes && info.s_reclaimable_bytes;
}

VirtualMemory derive_virtual_memory(const MemInfo& info, std::optional<std::uint64_t> watermark_low_bytes) {
  const std::int64_t total = as_signed(info.mem_total_bytes);
  const std::int64_t free = as_signed(info.mem_free_bytes);
  const std::int64_t buffers = as_signed(info.buffers_bytes);
  // "free" (procps) counts reclaimable slab as cache; so does psutil.
  const std::int64_t cached =
      info.cached_bytes ? as_signed(info.cached_bytes) + as_signed(info.s_reclaimable_bytes) : 0;

  std::int64_t shared = 0;
  if (info.shmem_bytes) {
    shared = as_signed(info.shmem_bytes);
  } else if (info.mem_shared_bytes) {
    shared = as_signed(info.mem_shared_bytes);
  }
  std::int64_t inactive = 0;
  if (info.inactive_bytes) {
    inactive = as_signed(info.inactive_bytes);
  } else if (info.inact_dirty_bytes && info.inact_clean_bytes && info.inact_laundry_bytes) {
    inactive =
        as_signed(info.inact_dirty_bytes) + as_signed(info.inact_clean_bytes) + as_signed(info.inact_laundry_bytes);
  }

  std::int64_t used = total - free - cached - buffers;
  // Negative inside LXC-style containers whose meminfo mixes host and
  // container numbers; psutil then drops the cache terms.
  if (used < 0) used = total - free;
  // Only reachable with MemFree > MemTotal (psutil would send it negative).
  if (used < 0) used = 0;

  std::int64_t available = 0;
  if (info.mem_available_bytes && *info.mem_available_bytes != 0) {
    available = as_signed(info.mem_available_bytes);
  } else {
    available = estimate_available(info, watermark_low_bytes);
  }
  if (available < 0) {
    available = 0;
  } else if (available > total) {
    // psutil: a container's distorted numbers; report MemFree instead.
    available = free;
  }
  if (available > total) available = total;  // MemFree > MemTotal as well

  VirtualMemory memory;
  memory.total_bytes = static_cast<std::uint64_t>(total);
  memory.available_bytes = static_cast<std::uint64_t>(available);
  memory.percent = usage_percent(static_cast<std::uint64_t>(total - available), memory.total_bytes);
  memory.used_bytes = static_cast<std::uint64_t>(used);
  memory.free_bytes = static_cast<std::uint64_t>(free);
  memory.active_bytes = static_cast<std::uint64_t>(as_signed(info.active_bytes));
  memory.inactive_bytes = static_cast<std::uint64_t>(inactive);
  memory.buffers_bytes = static_cast<std::uint64_t>(buffers);
  memory.cached_bytes = static_cast<std::uint64_t>(cached);
  memory.shared_bytes = static_cast<std::uint64_t>(shared);
  memory.slab_bytes = static_cast<std::uint64_t>(as_signed(info.slab_bytes));
  return memory;
}

SwapMemory derive_swap_memory(const MemInfo& info, const std::optional<SwapActivity>& activity) {
  SwapMemory swap;
  swap.total_bytes = std::min(info.swap_total_bytes.value_or(0), k_meminfo_max_bytes);
  swap.free_bytes = std::min(info.swap_free_bytes.value_or(0), k_meminfo_max_bytes);
  swap.used_bytes = swap.total_bytes > swap.free_bytes ? swap.total_bytes - swap.free_bytes : 0;
  swap.percent = usage_percent(swap.used_bytes, swap.total_bytes);
  // psutil sets both to 0 unless it finds both lines (for ... else).
  if (activity && activity->pages_in && activity->pages_out) {
    swap.swapped_in_bytes = *activity->pages_in * k_vmstat_swap_page_bytes;
    swap.swapped_out_bytes = *activity->pages_out * k_vmstat_swap_page_bytes;
  }
  return swap;
}

}  // namespace fivenines
