// Bounded file reads. Every read of a /proc, /sys or config file goes
// through here so that no outside file can make the agent allocate or block
// without limit (a /proc file can be endless; a FIFO planted in a config dir
// would block a plain read forever).
#pragma once

#include <cstddef>
#include <string>

#include "util/result.hpp"

namespace fivenines {

// Default cap for one /proc or /sys text file.
inline constexpr std::size_t k_default_read_cap_bytes = 4 * 1024 * 1024;

// Reads the whole of `path` into `out` (replacing its content, reusing its
// capacity). Fails with ErrorKind::parse when the file holds more than
// `max_bytes`, ErrorKind::absent when missing, ErrorKind::permission when
// refused, ErrorKind::io otherwise; refuses anything but a regular file or a
// /proc-/sys-style pseudo file (no FIFOs, devices or sockets).
[[nodiscard]] Status read_file_into(const char* path, std::string& out,
                                    std::size_t max_bytes = k_default_read_cap_bytes);

// Convenience form returning a new string.
[[nodiscard]] Result<std::string> read_file(const std::string& path,
                                            std::size_t max_bytes = k_default_read_cap_bytes);

// Reads a tiny file (a /proc/sys or /sys attribute) into a caller buffer of
// `capacity` bytes without any heap allocation; returns the bytes read.
// A file that does not fit is an error (ErrorKind::parse).
[[nodiscard]] Result<std::size_t> read_small_file(const char* path, char* buffer, std::size_t capacity);

// Maps an errno value to an Error naming `what` ("read /proc/stat").
[[nodiscard]] Error error_from_errno(int error_number, std::string_view what);

}  // namespace fivenines
