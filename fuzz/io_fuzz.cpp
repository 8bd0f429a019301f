// libFuzzer target for the io collector's parser: the bytes are fed as
// /proc/diskstats and every parsed disk is serialised the way the collector
// writes it, byte counts included (exact above 2^64 - 1).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/io_diskstats.hpp"
#include "util/json_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const DiskStats stats = parse_diskstats(text);
  JsonWriter out;
  out.begin_array();
  for (const DiskStat& disk : stats.disks) {
    out.begin_object();
    out.key(disk.name);
    out.begin_object();
    for (const std::uint64_t sectors : {disk.read_sectors, disk.write_sectors}) {
      char bytes[k_sector_bytes_text_max];
      const std::size_t length = format_sector_bytes(sectors, bytes);
      if (length == 0 || length > k_sector_bytes_text_max) __builtin_trap();
      out.key("bytes");
      out.raw(std::string_view(bytes, length));
    }
    out.key("busy_time");
    out.unsigned_integer(disk.busy_time_ms);
    out.end_object();
    out.end_object();
  }
  out.end_array();
  if (stats.skipped_lines > 0 && stats.first_skipped_line == 0) __builtin_trap();

  // The byte formatter on its own, over the whole 64-bit range.
  if (size >= sizeof(std::uint64_t)) {
    std::uint64_t sectors = 0;
    for (std::size_t i = 0; i < sizeof sectors; ++i) sectors = (sectors << 8) | data[i];
    char bytes[k_sector_bytes_text_max];
    const std::size_t length = format_sector_bytes(sectors, bytes);
    if (length == 0 || length > 22) __builtin_trap();
    // Differential check against 128-bit arithmetic (a compiler extension,
    // fine in a fuzz target, kept out of the agent).
    __extension__ using u128 = unsigned __int128;
    u128 product = static_cast<u128>(sectors) * 512;
    char expected[40];
    std::size_t at = sizeof expected;
    do {
      expected[--at] = static_cast<char>('0' + static_cast<int>(product % 10));
      product /= 10;
    } while (product != 0);
    if (std::string_view(bytes, length) != std::string_view(expected + at, sizeof expected - at)) __builtin_trap();
  }
  return 0;
}
