#include "config/config_check.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/config_validator.hpp"
#include "config/config_writer.hpp"
#include "config/json_gate.hpp"
#include "platform/file_read.hpp"

namespace fivenines {

namespace {

constexpr std::chrono::seconds k_stdin_wait{60};

int fail(const std::string& message) {
  std::fprintf(stderr, "fivenines-agent: %s\n", message.c_str());
  return 2;
}

// Reads stdin up to one byte past the gate's cap (so an oversized input is
// refused by the gate with its usual message), within k_stdin_wait.
Result<std::string> read_stdin() {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + k_stdin_wait;
  char buffer[65536];
  while (text.size() <= k_config_max_bytes) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return make_error(ErrorKind::timeout, "config check: stdin: no end of input within 60 s");
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return error_from_errno(errno, "config check: read stdin");
    if (ready == 0) continue;
    const std::size_t want = std::min(sizeof buffer, k_config_max_bytes + 1 - text.size());
    const ssize_t n = ::read(STDIN_FILENO, buffer, want);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return error_from_errno(errno, "config check: read stdin");
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

int run_config_command(std::span<const char* const> args) {
  constexpr const char* usage = "usage: fivenines-agent config check [FILE|-]";
  if (args.empty() || args[0] == nullptr || std::string_view(args[0]) != "check" || args.size() > 2) {
    return fail(usage);
  }
  const std::string source = args.size() == 2 && args[1] != nullptr ? args[1] : "-";
  Result<std::string> text = source == "-" ? read_stdin() : read_file(source, k_config_max_bytes);
  if (!text) {
    if (text.error().kind == ErrorKind::parse) {
      return fail("config: larger than " + std::to_string(k_config_max_bytes) + " bytes");
    }
    return fail("config check: " + text.error().message);
  }

  auto root = gate_json(*text);
  if (!root) return fail(root.error().message);
  auto config = select_config_object(*root, ConfigEnvelope::config_or_answer);
  if (!config) return fail(config.error().message);

  const ConfigReadResult result = validate_config(**config, nullptr);
  std::string out = write_config_json(result.config, result.input_keys, SecretMode::redact);
  out += '\n';
  std::string err;
  for (const auto& warning : result.warnings) err += warning + '\n';
  std::fwrite(err.data(), 1, err.size(), stderr);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return fail("config check: write to stdout failed");
  }
  return 0;
}

}  // namespace fivenines
