#include "procfs/io_diskstats.hpp"

#include <array>
#include <charconv>
#include <limits>

#include "util/text.hpp"

namespace fivenines {

namespace {

// Lines longer than this many fields keep only the first ones; no layout
// reads past field 13.
constexpr std::size_t k_kept_fields = 20;

using Fields = std::array<std::string_view, k_kept_fields>;

// The 11-stat layout starting at `first` (3 for 2.6+, 4 for 2.4): reads,
// reads merged, sectors read, read ms, writes, writes merged, sectors
// written, write ms, in flight, busy ms, weighted ms. All 11 must be numbers
// (psutil converts them all), though in flight and weighted ms are not sent.
bool read_full_layout(const Fields& fields, std::size_t name_at, std::size_t first, DiskStat& out) {
  std::uint64_t stats[11] = {};
  for (std::size_t i = 0; i < 11; ++i) {
    const auto value = parse_u64(fields[first + i]);
    if (!value) return false;
    stats[i] = *value;
  }
  out.name = fields[name_at];
  out.read_count = stats[0];
  out.read_merged_count = stats[1];
  out.read_sectors = stats[2];
  out.read_time_ms = stats[3];
  out.write_count = stats[4];
  out.write_merged_count = stats[5];
  out.write_sectors = stats[6];
  out.write_time_ms = stats[7];
  out.busy_time_ms = stats[9];
  return true;
}

// Old 2.6 partition line: major minor name reads read_sectors writes
// write_sectors.
bool read_partition_layout(const Fields& fields, DiskStat& out) {
  std::uint64_t stats[4] = {};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto value = parse_u64(fields[3 + i]);
    if (!value) return false;
    stats[i] = *value;
  }
  out.name = fields[2];
  out.read_count = stats[0];
  out.read_sectors = stats[1];
  out.write_count = stats[2];
  out.write_sectors = stats[3];
  return true;
}

}  // namespace

void parse_diskstats_into(std::string_view text, DiskStats& out) {
  out.disks.clear();
  out.skipped_lines = 0;
  out.first_skipped_line = 0;
  out.first_skipped_field_count = 0;

  Fields fields;
  LineSplitter lines(text);
  std::string_view line;
  std::size_t line_number = 0;
  while (lines.next(line)) {
    ++line_number;
    FieldSplitter splitter(line);
    std::size_t count = 0;
    std::string_view field;
    while (splitter.next(field)) {
      if (count < fields.size()) fields[count] = field;
      ++count;
    }
    if (count == 0) continue;

    DiskStat stat;
    bool understood = false;
    if (count == 14 || count >= 18) {
      understood = read_full_layout(fields, 2, 3, stat);
    } else if (count == 15) {
      understood = read_full_layout(fields, 3, 4, stat);
    } else if (count == 7) {
      understood = read_partition_layout(fields, stat);
    }
    if (!understood) {
      if (out.skipped_lines == 0) {
        out.first_skipped_line = line_number;
        out.first_skipped_field_count = count;
      }
      ++out.skipped_lines;
      continue;
    }
    out.disks.push_back(stat);
  }
}

DiskStats parse_diskstats(std::string_view text) {
  DiskStats out;
  parse_diskstats_into(text, out);
  return out;
}

std::size_t format_sector_bytes(std::uint64_t sectors, char* out) {
  constexpr std::uint64_t k_sector_bytes = 512;
  char* const end = out + k_sector_bytes_text_max;
  if (sectors <= std::numeric_limits<std::uint64_t>::max() / k_sector_bytes) {
    return static_cast<std::size_t>(std::to_chars(out, end, sectors * k_sector_bytes).ptr - out);
  }
  // The product needs up to 73 bits. Split sectors = high * 10^9 + low:
  // sectors x 512 = (high x 512 + carry) x 10^9 + (low x 512 mod 10^9), where
  // every step fits in 64 bits (high x 512 < 9.5e12, low x 512 < 5.2e11).
  constexpr std::uint64_t k_billion = 1'000'000'000;
  const std::uint64_t low_product = (sectors % k_billion) * k_sector_bytes;
  const std::uint64_t leading = (sectors / k_billion) * k_sector_bytes + low_product / k_billion;
  const std::uint64_t trailing = low_product % k_billion;
  char* cursor = std::to_chars(out, end, leading).ptr;
  // Nine digits, zero-padded: the trailing part of a number whose leading
  // part is non-zero (it is, since sectors > 2^55).
  for (int digit = 8; digit >= 0; --digit) {
    std::uint64_t divisor = 1;
    for (int i = 0; i < digit; ++i) divisor *= 10;
    *cursor++ = static_cast<char>('0' + (trailing / divisor) % 10);
  }
  return static_cast<std::size_t>(cursor - out);
}

}  // namespace fivenines
