// The one way the agent starts another program.
//
// No shell: argv[0] is looked up on PATH by find_in_path() and executed
// directly. The child gets stdin from /dev/null, its own process group, a
// default signal disposition and mask, no file descriptor of ours but its
// three standard ones, and a copy of our environment without the loader
// variables (LD_LIBRARY_PATH, LD_PRELOAD, LIBPATH, DYLD_LIBRARY_PATH,
// DYLD_FALLBACK_LIBRARY_PATH; wire contract §2.3) and without the names the
// caller denies (the API host, the token). Output is read until the deadline
// and capped; a child still running at the deadline is killed with its whole
// process group and reaped.
//
// Thread-safety: run_subprocess() may be called from several threads at once.
// It reads `environ`, so nobody may setenv() while a child is being started.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace fivenines {

// What happens to one output stream of the child.
enum class OutputMode {
  capture,  // read into the result, up to max_output_bytes
  discard,  // connected to /dev/null
};

struct SubprocessOptions {
  // Wall-clock limit from the start of the call; the child is killed after it.
  std::chrono::milliseconds timeout{5000};
  // Cap per captured stream; bytes past it are read and thrown away so the
  // child never blocks on a full pipe, and the stream is flagged truncated.
  std::size_t max_output_bytes = 64 * 1024;
  OutputMode stdout_mode = OutputMode::capture;
  OutputMode stderr_mode = OutputMode::capture;
  // Extra environment variable names the child must not see.
  std::vector<std::string> env_deny;
  // When set, the PATH used to find argv[0] and the PATH the child sees,
  // instead of our own PATH (tests, and callers that need a fixed PATH).
  std::optional<std::string> search_path;
};

struct SubprocessResult {
  int exit_code = -1;    // the child's exit status; -1 when killed by a signal
  int term_signal = 0;   // the signal that ended the child; 0 when it exited
  bool timed_out = false;  // the deadline passed and the group was killed
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;

  // Exited by itself, with status 0, before the deadline.
  [[nodiscard]] bool succeeded() const { return !timed_out && term_signal == 0 && exit_code == 0; }
};

// Runs argv (argv[0] a program name or a path containing '/').
// Errors: ErrorKind::absent when argv[0] is not found on PATH or is not an
// executable file; ErrorKind::invalid_config for an empty argv or a NUL in
// an argument; ErrorKind::io when pipes or the spawn fail. A timeout is not
// an error: the result says timed_out, with the output read until then.
[[nodiscard]] Result<SubprocessResult> run_subprocess(const std::vector<std::string>& argv,
                                                      const SubprocessOptions& options = {});

// Looks `name` up the way a shell would, but only in absolute directories of
// `search_path` (colon-separated; empty and relative entries are skipped so a
// root agent never runs a program from its working directory). A name with a
// '/' is returned as is when it is an executable regular file.
// Returns the full path of the first executable regular file, or nullopt.
[[nodiscard]] std::optional<std::string> find_in_path(std::string_view name, std::string_view search_path);
// Same, searching our own PATH (an unset PATH searches nothing).
[[nodiscard]] std::optional<std::string> find_in_path(std::string_view name);

// The first line of `text` without surrounding whitespace; for short
// reasons built from a child's stderr.
[[nodiscard]] std::string_view first_line(std::string_view text);

}  // namespace fivenines
