// Parser of /proc/diskstats for the io collector, with psutil's reading of
// each line's field count (disk_io_counters, Linux):
//   14 or >= 18 fields  major minor name + 11 stats (Linux 2.6.25+; 4.18 adds
//                       4 discard fields, 5.5 adds 2 flush fields: 18 and 20)
//   15 fields           Linux 2.4 /proc/partitions style: major minor blocks
//                       name + 11 stats
//   7 fields            old 2.6 partition lines: major minor name reads
//                       read_sectors writes write_sectors (the rest is 0)
// Any other count, or a stat that is not an unsigned decimal, skips the line
// (psutil raises on it, which would null the whole key; one odd line should
// not hide every disk).
//
// Pure: no I/O, no allocation beyond the output vector. Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace fivenines {

// One /proc/diskstats line. Sectors are the kernel's fixed 512-byte units,
// whatever the device's real sector size; times are milliseconds.
struct DiskStat {
  std::string_view name;  // points into the parsed text
  std::uint64_t read_count = 0;
  std::uint64_t write_count = 0;
  std::uint64_t read_sectors = 0;
  std::uint64_t write_sectors = 0;
  std::uint64_t read_time_ms = 0;
  std::uint64_t write_time_ms = 0;
  std::uint64_t read_merged_count = 0;
  std::uint64_t write_merged_count = 0;
  std::uint64_t busy_time_ms = 0;
};

struct DiskStats {
  std::vector<DiskStat> disks;     // file order, one per accepted line
  std::size_t skipped_lines = 0;   // non-blank lines that were not understood
  std::size_t first_skipped_line = 0;        // 1-based line number, 0 if none
  std::size_t first_skipped_field_count = 0;  // its number of fields
};

// Fills `out`, replacing its content and keeping the vector's capacity, so a
// collector can reuse one DiskStats every tick. Blank lines are ignored.
// Never fails as a whole: an empty text is a host with no block devices.
void parse_diskstats_into(std::string_view text, DiskStats& out);

[[nodiscard]] DiskStats parse_diskstats(std::string_view text);

// Longest text format_sector_bytes() writes: 2^64 * 512 has 22 digits.
inline constexpr std::size_t k_sector_bytes_text_max = 24;

// Writes sectors x 512 in decimal into `out` (at least
// k_sector_bytes_text_max bytes) and returns the length. Exact even above
// 2^64 - 1, as Python's unbounded ints are: the reference sends the true
// product, so this never saturates or wraps.
[[nodiscard]] std::size_t format_sector_bytes(std::uint64_t sectors, char* out);

}  // namespace fivenines
