// Parsers for the partitions collector: /proc/mounts, /proc/filesystems,
// the physical-partition filter of the reference agent (psutil
// disk_partitions(all=False) plus its own skip list) and the disk usage
// arithmetic of psutil.disk_usage(). All pure: text in, values out, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fivenines {

// One /proc/mounts line, fields still escaped: views into the parsed text.
struct RawMountEntry {
  std::string_view device;
  std::string_view mount_point;
  std::string_view fstype;
  std::string_view options;
};

// Iterates over the lines of /proc/mounts ("device mountpoint fstype opts
// freq passno"). Lines with fewer than four fields are skipped and counted;
// freq and passno are optional and ignored, as are fields past the sixth.
class MountsReader {
 public:
  explicit MountsReader(std::string_view text) : m_rest(text) {}
  bool next(RawMountEntry& entry);
  [[nodiscard]] std::size_t skipped_lines() const { return m_skipped_lines; }

 private:
  std::string_view m_rest;
  std::size_t m_skipped_lines = 0;
};

// Appends the decoded form of one mounts field to `out`. The kernel writes
// space, tab, newline and backslash inside a field as \040 \011 \012 \134;
// every backslash followed by three octal digits worth 1..255 becomes that
// byte. Anything else (\000, \400, a short or non-octal sequence) is kept
// literally, so a decoded path never holds a NUL.
void decode_mount_field(std::string_view escaped, std::string& out);
[[nodiscard]] std::string decode_mount_field(std::string_view escaped);

// The device-backed filesystem types of /proc/filesystems: every line not
// marked "nodev", plus zfs (psutil counts "nodev zfs" as physical).
// The names are views into the parsed text.
struct FilesystemTable {
  std::vector<std::string_view> physical;
  [[nodiscard]] bool contains(std::string_view fstype) const;
};
[[nodiscard]] FilesystemTable parse_filesystems(std::string_view text);

// A mount, decoded.
struct Partition {
  std::string device;
  std::string mount_point;
  std::string fstype;
  std::string options;
};

// The reference's filter on a decoded mount:
// - with `filesystems` (the table of PROC/filesystems): device non-empty and
//   not "none", fstype in the table;
// - without it (PROC/filesystems unreadable): device starting with '/';
// then, either way, fstype not one of squashfs, cagefs-skeleton, overlay,
// devtmpfs, tmpfs, loop, nullfs, cdfs, udf, iso9660 (ASCII case-insensitive)
// and the option string not containing "cdrom" (case-sensitive, a substring
// test, as the reference's `'cdrom' in opts`).
[[nodiscard]] bool is_physical_partition(const Partition& mount, const FilesystemTable* filesystems);

// The physical partitions of a /proc/mounts text in file order, decoded.
// Pass nullptr for `filesystems` when PROC/filesystems could not be read.
// Never fails: malformed lines are skipped.
[[nodiscard]] std::vector<Partition> select_partitions(std::string_view mounts_text,
                                                       const FilesystemTable* filesystems);

// psutil.disk_usage() from statvfs counts:
//   total = f_blocks * f_frsize, free = f_bavail * f_frsize (space for
//   unprivileged users), used = (f_blocks - f_bfree) * f_frsize,
//   percent = round(used / (used + free) * 100, 1), 0.0 when used + free is 0.
// used is signed: a filesystem reporting f_bfree > f_blocks gives a negative
// value, as Python's integers would. Results past the 64-bit ranges (16 EiB)
// saturate.
struct DiskUsage {
  std::uint64_t total_bytes = 0;
  std::int64_t used_bytes = 0;
  std::uint64_t free_bytes = 0;
  double percent = 0;
};
[[nodiscard]] DiskUsage compute_disk_usage(std::uint64_t blocks, std::uint64_t free_blocks,
                                           std::uint64_t available_blocks, std::uint64_t fragment_size_bytes);

}  // namespace fivenines
