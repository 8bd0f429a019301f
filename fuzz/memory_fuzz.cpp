// libFuzzer target for the memory collector's parsers: /proc/meminfo,
// /proc/zoneinfo watermarks and /proc/vmstat swap counters, then the psutil
// derivation and the JSON the collector sends. Checks the invariants the
// payload relies on: available within [0, total], used within total, finite
// percents within [0, 100], and no null/NaN in the serialised objects.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/memory.hpp"
#include "procfs/memory.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool percent_ok(double percent) { return std::isfinite(percent) && percent >= 0.0 && percent <= 100.0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const ZoneWatermarks watermarks = parse_zoneinfo_watermarks(text);
  const SwapActivity activity = parse_vmstat_swap(text);
  if (activity.pages_in) check(*activity.pages_in <= UINT64_MAX / k_vmstat_swap_page_bytes);
  if (activity.pages_out) check(*activity.pages_out <= UINT64_MAX / k_vmstat_swap_page_bytes);

  const auto info = parse_meminfo(text);
  if (!info) {
    check(!info.error().message.empty());
    return 0;
  }
  check(info->mem_total_bytes.has_value());
  check(*info->mem_total_bytes <= k_meminfo_max_bytes);

  for (const std::uint64_t page_size : {std::uint64_t{4096}, std::uint64_t{65536}}) {
    const std::uint64_t watermark = zone_low_watermark_bytes(watermarks, page_size);
    check(watermark <= k_meminfo_max_bytes);
    for (const auto& watermark_low : {std::optional<std::uint64_t>{watermark}, std::optional<std::uint64_t>{}}) {
      const VirtualMemory memory = derive_virtual_memory(*info, watermark_low);
      check(memory.total_bytes == *info->mem_total_bytes);
      check(memory.available_bytes <= memory.total_bytes);
      check(memory.used_bytes <= memory.total_bytes);
      check(percent_ok(memory.percent));
      const std::string json = memory_json(memory);
      check(json.front() == '{' && json.back() == '}');
      check(json.find("null") == std::string::npos && json.find("NaN") == std::string::npos);
    }
  }

  for (const auto& maybe_activity : {std::optional<SwapActivity>{activity}, std::optional<SwapActivity>{}}) {
    const SwapMemory swap = derive_swap_memory(*info, maybe_activity);
    check(swap.used_bytes <= swap.total_bytes);
    check(percent_ok(swap.percent));
    const std::string json = swap_json(swap);
    check(json.find("null") == std::string::npos && json.find("NaN") == std::string::npos);
  }
  return 0;
}
