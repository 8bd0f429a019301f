// Process-wide logger: one line per message,
// "[LEVEL][thread#<tid>] message" (wire contract §2.7). On stderr by
// default, so that a dry run's stdout holds only the payload; continuous
// mode logs on stdout, as the reference agent does (someone who runs it by
// hand with `> agent.log` gets the same log).
//
// Thread-safe. Callers that build a debug message with formatting check
// log_enabled(LogLevel::debug) first, so nothing is formatted when debug
// logging is off. Never pass a secret (a token, a password) to these.
#pragma once

#include <string_view>

namespace fivenines {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, critical = 4 };

void set_log_level(LogLevel level);

// Where log lines (and the capability banner) go: STDERR_FILENO (default)
// or STDOUT_FILENO. Set once at start, before any thread logs.
void set_log_output_fd(int fd);
[[nodiscard]] int log_output_fd();
[[nodiscard]] LogLevel log_level();
[[nodiscard]] bool log_enabled(LogLevel level);

// Parses "debug", "info", "warn"/"warning", "error", "critical" (any case).
[[nodiscard]] bool parse_log_level(std::string_view text, LogLevel& level);

void log_message(LogLevel level, std::string_view message);
inline void log_debug(std::string_view message) {
  if (log_enabled(LogLevel::debug)) log_message(LogLevel::debug, message);
}
inline void log_info(std::string_view message) { log_message(LogLevel::info, message); }
inline void log_warn(std::string_view message) { log_message(LogLevel::warn, message); }
inline void log_error(std::string_view message) { log_message(LogLevel::error, message); }

}  // namespace fivenines
