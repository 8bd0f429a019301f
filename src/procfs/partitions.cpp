#include "procfs/partitions.hpp"

#include <array>
#include <limits>

#include "util/python_float.hpp"
#include "util/text.hpp"

namespace fivenines {

namespace {

// The reference agent's list of filesystem types that are never partitions
// (pseudo, image, optical and container layers), compared case-insensitively.
constexpr std::array<std::string_view, 10> k_skipped_fstypes = {
    "squashfs", "cagefs-skeleton", "overlay", "devtmpfs", "tmpfs", "loop", "nullfs", "cdfs", "udf", "iso9660",
};


bool is_skipped_fstype(std::string_view fstype) {
  for (const auto skipped : k_skipped_fstypes) {
    if (equals_ignoring_ascii_case(fstype, skipped)) return true;
  }
  return false;
}

bool is_octal_digit(char c) { return c >= '0' && c <= '7'; }

// Saturating conversions of 128-bit intermediates.
__extension__ typedef unsigned __int128 Uint128;
__extension__ typedef __int128 Int128;

std::uint64_t saturate_u64(Uint128 value) {
  constexpr auto k_max = std::numeric_limits<std::uint64_t>::max();
  return value > k_max ? k_max : static_cast<std::uint64_t>(value);
}

}  // namespace

bool MountsReader::next(RawMountEntry& entry) {
  while (!m_rest.empty()) {
    const std::size_t newline = m_rest.find('\n');
    const std::string_view line = newline == std::string_view::npos ? m_rest : m_rest.substr(0, newline);
    m_rest = newline == std::string_view::npos ? std::string_view{} : m_rest.substr(newline + 1);

    // Fields are separated by single spaces; the kernel escapes spaces and
    // tabs inside a field, so splitting on runs of blanks is exact.
    FieldSplitter fields(line);
    std::string_view values[4];
    std::size_t count = 0;
    while (count < 4 && fields.next(values[count])) ++count;
    if (count == 0) continue;  // blank line
    if (count < 4) {
      ++m_skipped_lines;
      continue;
    }
    entry = RawMountEntry{values[0], values[1], values[2], values[3]};
    return true;
  }
  return false;
}

void decode_mount_field(std::string_view escaped, std::string& out) {
  std::size_t i = 0;
  while (i < escaped.size()) {
    const std::size_t backslash = escaped.find('\\', i);
    if (backslash == std::string_view::npos) {
      out.append(escaped.substr(i));
      return;
    }
    out.append(escaped.substr(i, backslash - i));
    i = backslash;
    if (i + 3 < escaped.size() && is_octal_digit(escaped[i + 1]) && is_octal_digit(escaped[i + 2]) &&
        is_octal_digit(escaped[i + 3])) {
      const int value = (escaped[i + 1] - '0') * 64 + (escaped[i + 2] - '0') * 8 + (escaped[i + 3] - '0');
      if (value >= 1 && value <= 255) {
        out += static_cast<char>(static_cast<unsigned char>(value));
        i += 4;
        continue;
      }
    }
    out += '\\';
    ++i;
  }
}

std::string decode_mount_field(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  decode_mount_field(escaped, out);
  return out;
}

bool FilesystemTable::contains(std::string_view fstype) const {
  for (const auto name : physical) {
    if (name == fstype) return true;
  }
  return false;
}

FilesystemTable parse_filesystems(std::string_view text) {
  // Lines are "nodev\t<name>" for virtual filesystems and "\t<name>" for
  // those that need a block device.
  FilesystemTable table;
  LineSplitter lines(text);
  std::string_view line;
  while (lines.next(line)) {
    FieldSplitter fields(line);
    std::string_view first;
    if (!fields.next(first)) continue;
    if (first == "nodev") {
      std::string_view name;
      // ZFS is registered nodev but holds real pools; psutil keeps it.
      if (fields.next(name) && name == "zfs") table.physical.push_back(name);
      continue;
    }
    table.physical.push_back(trim(line));
  }
  return table;
}

bool is_physical_partition(const Partition& mount, const FilesystemTable* filesystems) {
  if (filesystems != nullptr) {
    if (mount.device.empty() || mount.device == "none") return false;
    if (!filesystems->contains(mount.fstype)) return false;
  } else if (mount.device.empty() || mount.device.front() != '/') {
    return false;
  }
  if (is_skipped_fstype(mount.fstype)) return false;
  return mount.options.find("cdrom") == std::string::npos;
}

std::vector<Partition> select_partitions(std::string_view mounts_text, const FilesystemTable* filesystems) {
  std::vector<Partition> out;
  Partition scratch;  // reused across lines: rejected mounts cost no allocation
  MountsReader reader(mounts_text);
  RawMountEntry raw;
  while (reader.next(raw)) {
    scratch.device.clear();
    scratch.mount_point.clear();
    scratch.fstype.clear();
    scratch.options.clear();
    decode_mount_field(raw.device, scratch.device);
    decode_mount_field(raw.fstype, scratch.fstype);
    decode_mount_field(raw.options, scratch.options);
    if (!is_physical_partition(scratch, filesystems)) continue;
    decode_mount_field(raw.mount_point, scratch.mount_point);
    out.push_back(scratch);
  }
  return out;
}

DiskUsage compute_disk_usage(std::uint64_t blocks, std::uint64_t free_blocks, std::uint64_t available_blocks,
                             std::uint64_t fragment_size_bytes) {
  DiskUsage usage;
  usage.total_bytes = saturate_u64(Uint128{blocks} * fragment_size_bytes);
  usage.free_bytes = saturate_u64(Uint128{available_blocks} * fragment_size_bytes);
  constexpr auto k_max_i64 = static_cast<Uint128>(std::numeric_limits<std::int64_t>::max());
  if (blocks >= free_blocks) {
    const Uint128 used = Uint128{blocks - free_blocks} * fragment_size_bytes;
    usage.used_bytes = static_cast<std::int64_t>(used > k_max_i64 ? k_max_i64 : used);
  } else {
    const Uint128 deficit = Uint128{free_blocks - blocks} * fragment_size_bytes;
    usage.used_bytes = deficit > k_max_i64 ? std::numeric_limits<std::int64_t>::min()
                                           : -static_cast<std::int64_t>(deficit);
  }
  // Python: float(used) / (used + avail) * 100 with exact integer sum, the
  // sum converted to the nearest double only for the division.
  const Int128 sum = Int128{usage.used_bytes} + static_cast<Int128>(usage.free_bytes);
  if (sum == 0) return usage;
  usage.percent =
      round_python(static_cast<double>(usage.used_bytes) / static_cast<double>(sum) * 100.0, 1);
  return usage;
}

}  // namespace fivenines
