// Parser of a kernel CPU list such as /sys/devices/system/cpu/online:
// "0-3,5,7-8\n" (cpulist format: comma-separated numbers and ranges,
// ascending, one trailing newline). Pure: no I/O.
#pragma once

#include <cstdint>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

// The number of CPUs the list names. Fails (ErrorKind::parse) on an empty
// list, anything but digits, '-' and ',', a range whose end is below its
// start, or items that do not ascend (the kernel always prints them
// ascending, so anything else is not a kernel list).
[[nodiscard]] Result<std::uint64_t> parse_cpu_list_count(std::string_view text);

}  // namespace fivenines
