// Parsers of the files the processes collector reads: /proc/<pid>/stat, the
// Uid line of /proc/<pid>/status, argv[0] of /proc/<pid>/cmdline and the
// MemTotal line of /proc/meminfo. Pure: text in, values out, no I/O, no heap
// allocation on success (views point into the caller's text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

// The fields of /proc/<pid>/stat the collector uses. Field numbers are those
// of proc(5): "pid (comm) state ppid ... utime(14) stime(15) cutime(16)
// cstime(17) ... num_threads(20) ... starttime(22) vsize(23) rss(24) ...
// delayacct_blkio_ticks(42)". Times are in clock ticks (USER_HZ).
struct ProcessStat {
  std::string_view comm;   // raw bytes between the first '(' and the last ')'
  std::string_view state;  // the state field; one letter on every kernel
  std::int64_t ppid = 0;
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  // Signed in the kernel's output format (%ld).
  std::int64_t children_utime_ticks = 0;
  std::int64_t children_stime_ticks = 0;
  std::int64_t num_threads = 0;
  std::uint64_t start_time_ticks = 0;  // since boot: with the pid, names a process
  std::uint64_t rss_pages = 0;
  std::uint64_t blkio_ticks = 0;  // 0 when the kernel predates field 42 (2.6.18)
};

// Parses one /proc/<pid>/stat. The name may hold spaces, '(' , ')' and even
// newlines, so it runs from the first '(' to the LAST ')' of the text.
// Errors (ErrorKind::parse): no "(...)", fewer than 24 fields, a
// non-numeric field among those used.
[[nodiscard]] Result<ProcessStat> parse_process_stat(std::string_view text);

// The real uid: the first number of the "Uid:" line of /proc/<pid>/status.
[[nodiscard]] Result<std::uint32_t> parse_status_real_uid(std::string_view text);

// The kernel keeps 15 bytes of a task name (TASK_COMM_LEN - 1); a name that
// long may have been cut, so the reference looks at the command line.
inline constexpr std::size_t k_truncated_comm_bytes = 15;
[[nodiscard]] inline bool comm_may_be_truncated(std::string_view comm) { return comm.size() >= k_truncated_comm_bytes; }

// basename(argv[0]) of a /proc/<pid>/cmdline text, split the way psutil
// splits it: NUL-separated when the text ends in NUL, else (a process that
// rewrote its title, "nginx: worker process") space-separated; a text ending
// in NUL with no other NUL but with spaces is also split on spaces. Empty for
// an empty cmdline (kernel threads, zombies).
[[nodiscard]] std::string_view cmdline_program_basename(std::string_view cmdline);

// The reference's process name: `comm`, or basename(argv[0]) when comm may
// be truncated and that basename starts with comm. The result points into
// `comm` or `cmdline`.
[[nodiscard]] std::string_view process_name(std::string_view comm, std::string_view cmdline);

// psutil's status word for a state letter ("S" -> "sleeping"). An unknown
// state is returned as it is.
[[nodiscard]] std::string_view process_status_name(std::string_view state);

// MemTotal of /proc/meminfo in bytes. Errors: no MemTotal line, a malformed
// or zero value.
[[nodiscard]] Result<std::uint64_t> parse_meminfo_total_bytes(std::string_view text);

}  // namespace fivenines
