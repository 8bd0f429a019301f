#include "util/log.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <string>

namespace fivenines {

namespace {

// The one piece of process-wide state: the level, read on every log call.
std::atomic<int> g_log_level{static_cast<int>(LogLevel::info)};
std::atomic<int> g_log_fd{STDERR_FILENO};

constexpr std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warn: return "WARNING";
    case LogLevel::error: return "ERROR";
    case LogLevel::critical: return "CRITICAL";
  }
  return "INFO";
}

}  // namespace

void set_log_output_fd(int fd) { g_log_fd.store(fd, std::memory_order_relaxed); }

int log_output_fd() { return g_log_fd.load(std::memory_order_relaxed); }

void set_log_level(LogLevel level) { g_log_level.store(static_cast<int>(level), std::memory_order_relaxed); }

LogLevel log_level() { return static_cast<LogLevel>(g_log_level.load(std::memory_order_relaxed)); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) >= g_log_level.load(std::memory_order_relaxed); }

bool parse_log_level(std::string_view text, LogLevel& level) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "debug") level = LogLevel::debug;
  else if (lower == "info") level = LogLevel::info;
  else if (lower == "warn" || lower == "warning") level = LogLevel::warn;
  else if (lower == "error") level = LogLevel::error;
  else if (lower == "critical") level = LogLevel::critical;
  else return false;
  return true;
}

void log_message(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  std::string line;
  line.reserve(message.size() + 40);
  line += '[';
  line += level_name(level);
  line += "][thread#";
  char tid[24];
  const auto result = std::to_chars(tid, tid + sizeof tid, static_cast<long>(::syscall(SYS_gettid)));
  line.append(tid, result.ptr);
  line += "] ";
  // One message, one line: a newline from outside text must not forge a
  // second log line.
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  // A single write() keeps lines from different threads whole.
  const int fd = log_output_fd();
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n <= 0) break;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace fivenines
