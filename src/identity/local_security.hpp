// Start-up checks against other local users (issue 5, threat 3): who can
// read or replace the token, and who can read this process's memory.
//
// Each check returns an Error (the agent refuses to run: exit 2, the
// message as the one log line) or Ok, possibly with a warning line when it
// repaired something it owns. Messages name the path and its mode in octal:
//   "/etc/fivenines_agent/TOKEN: mode 0644 is readable by group or others
//    (owner uid 65534 is not this process's uid 998, so it is not changed)"
//   "/etc/fivenines_agent/TOKEN: mode 0644 was readable by group or others;
//    set to 0600"
//
// Order at start: make_process_non_dumpable first (before the token is in
// memory at all), then check_config_dir, then check_token_file (a directory
// others may write to makes any check of TOKEN moot), then read TOKEN.
#pragma once

#include <optional>
#include <string>

#include "util/result.hpp"

namespace fivenines {

struct LocalCheck {
  std::optional<std::string> warning;  // a repair was made: log at warn
};

// CONFIG_DIR/TOKEN, not followed if a symlink (lstat):
// - a symlink, or anything but a regular file: refused;
// - mode without any 077 bit: fine;
// - otherwise, when this process's euid owns it: opened with O_NOFOLLOW,
//   checked to be the same file, fchmod 0600 through that descriptor, and a
//   warning; when someone else owns it: refused (not changed).
// A missing TOKEN is ErrorKind::absent (the caller's "TOKEN missing" path).
[[nodiscard]] Result<LocalCheck> check_token_file(const std::string& path);

// CONFIG_DIR: must be a directory that group and others cannot write to
// (mode & 022). Written to by group or others: repaired (g-w,o-w, other
// bits kept) with a warning when this process's euid owns it, refused
// otherwise. Missing: ErrorKind::absent.
//
// A symlinked CONFIG_DIR (packaging that keeps config under /srv, say) is
// accepted when the directory it leads to passes the same test AND is
// owned by root or by this process's euid: whoever owns the directory the
// agent actually uses could replace TOKEN, and the symlink makes it easy to
// point the agent at somebody else's directory without anyone noticing.
// A plain directory owned by another user is not refused (an agent run as
// root on a directory the installer gave to `fivenines` is a real setup).
// The directory holding the link is not checked.
[[nodiscard]] Result<LocalCheck> check_config_dir(const std::string& path);

// prctl(PR_SET_DUMPABLE, 0), verified with PR_GET_DUMPABLE: another process
// of the same user can no longer ptrace this one nor open its
// /proc/<pid>/{mem,environ,...} (they become root-owned), and no core dump
// is written. Inherited by fork, reset by execve and by changes of uid/gid,
// so call it after any privilege change. Side effect for a non-root agent:
// its own /proc/<pid> files of mode 0400 (io, environ) become unreadable to
// itself through /proc/<pid> (/proc/self/stat and status stay readable).
[[nodiscard]] Status make_process_non_dumpable();

// "0644": the permission bits of `mode` in octal, four digits.
[[nodiscard]] std::string octal_mode(unsigned mode);

}  // namespace fivenines
