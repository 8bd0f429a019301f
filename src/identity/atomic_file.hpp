// Crash-safe replacement of one small file in a directory (CONFIG_DIR's
// TOKEN, TOKEN_STATE, MACHINE_ID).
//
// write_file_atomically(dir, name, bytes, mode):
//   1. opens `dir` once (O_DIRECTORY) and works relative to that descriptor,
//      so a directory renamed or re-pointed half-way cannot split the steps;
//   2. creates ".<name>.<12 random hex>.tmp" with O_CREAT|O_EXCL|O_NOFOLLOW
//      (never writes through a file or link planted under that name), then
//      fchmod(mode) so neither the umask nor an old file's mode matters;
//   3. writes every byte, fsyncs, closes (close can report a write error);
//   4. renames it over `name` (a symlink named `name` is replaced, never
//      followed), then fsyncs the directory so the rename itself is durable.
// After a crash at any instant `name` holds the old content or the whole new
// one, never a torn write; at worst a stale temp file is left behind, which
// remove_stale_temp_files() clears at the next start.
//
// Errors name the path and the reason: "write /etc/fivenines_agent/TOKEN:
// permission denied", "fsync /etc/fivenines_agent: input/output error".
// On error the temp file is removed and `name` is untouched (except after a
// failed directory fsync: the rename happened but may not survive a crash).
//
// Not for concurrent writers of the same name: the last rename wins.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

[[nodiscard]] Status write_file_atomically(const std::string& dir, std::string_view name, std::string_view bytes,
                                           mode_t mode);

// Removes leftovers of write_file_atomically(dir, name, ...) that a crash
// left behind: regular files named ".<name>.<12 hex>.tmp" owned by this
// process's euid (a temp TOKEN file holds a token: it must not linger).
// Returns how many were removed; errors are ignored (best effort).
std::size_t remove_stale_temp_files(const std::string& dir, std::string_view name);

// The temp-file name write_file_atomically uses for `name` with `suffix`
// (12 lower-case hex digits); exposed for tests.
[[nodiscard]] std::string atomic_temp_name(std::string_view name, std::string_view suffix);

}  // namespace fivenines
