// libFuzzer target for the partitions parsers: /proc/filesystems and
// /proc/mounts text, field decoding, the partition filter, the usage
// arithmetic, and the JSON serialisation of what they produce.
//
// Input layout: byte 0 chooses the split (255: no filesystems table, as when
// PROC/filesystems is unreadable; otherwise the next byte0*4 bytes are the
// filesystems text), the rest is the mounts text. When at least 32 bytes
// remain, the last 32 are also read as four statvfs counts.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "procfs/partitions.hpp"
#include "util/json_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fivenines;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool have_table = data[0] != 255;
  const std::size_t table_size = have_table ? std::min<std::size_t>(std::size_t{data[0]} * 4, input.size()) : 0;
  const std::string_view filesystems_text = input.substr(0, table_size);
  const std::string_view mounts_text = input.substr(table_size);

  const FilesystemTable table = parse_filesystems(filesystems_text);
  for (const auto name : table.physical) {
    // Views must stay inside the parsed text.
    const char* end = filesystems_text.data() + filesystems_text.size();
    if (name.data() < filesystems_text.data() || name.data() + name.size() > end) __builtin_trap();
  }

  // Decoding never grows a field and never creates a NUL.
  const std::string decoded = decode_mount_field(mounts_text);
  if (decoded.size() > mounts_text.size()) __builtin_trap();
  std::size_t input_nuls = 0;
  for (char c : mounts_text) input_nuls += c == '\0' ? 1 : 0;
  std::size_t output_nuls = 0;
  for (char c : decoded) output_nuls += c == '\0' ? 1 : 0;
  if (output_nuls != input_nuls) __builtin_trap();

  const auto partitions = select_partitions(mounts_text, have_table ? &table : nullptr);
  JsonWriter out;
  out.begin_array();
  for (const auto& partition : partitions) {
    if (!is_physical_partition(partition, have_table ? &table : nullptr)) __builtin_trap();
    out.begin_object();
    out.key("device");
    out.string(partition.device);
    out.key("mountpoint");
    out.string(partition.mount_point);
    out.key("fstype");
    out.string(partition.fstype);
    out.key("opts");
    out.string(partition.options);
    out.end_object();
  }
  out.end_array();

  if (input.size() >= 32) {
    std::uint64_t counts[4];
    std::memcpy(counts, input.data() + input.size() - 32, sizeof counts);
    const DiskUsage usage = compute_disk_usage(counts[0], counts[1], counts[2], counts[3]);
    JsonWriter numbers;
    numbers.begin_object();
    numbers.key("total");
    numbers.unsigned_integer(usage.total_bytes);
    numbers.key("used");
    numbers.integer(usage.used_bytes);
    numbers.key("free");
    numbers.unsigned_integer(usage.free_bytes);
    numbers.key("percent");
    numbers.number(usage.percent);
    numbers.end_object();
  }
  return 0;
}
