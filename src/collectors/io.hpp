#pragma once

#include <memory>

#include "collectors/collector.hpp"

namespace fivenines {

// io: [{"<disk>": {read_count, write_count, read_bytes, write_bytes,
// read_time, write_time, read_merged_count, write_merged_count,
// busy_time}}, ...], one entry per /proc/diskstats line in file order
// (whole disks, partitions, loop, zram, dm: psutil's perdisk=True).
// Cumulative ints; bytes = sectors x 512, times in milliseconds.
[[nodiscard]] std::unique_ptr<Collector> make_io_collector();

}  // namespace fivenines
