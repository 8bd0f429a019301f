#include "agent/host_setup.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

#include "identity/system_info.hpp"
#include "identity/user_context.hpp"
#include "util/log.hpp"

extern char** environ;

namespace fivenines {

namespace {

void write_all_to_log(const std::string& text) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(log_output_fd(), data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

bool looks_secret(std::string_view name) {
  std::string upper;
  upper.reserve(name.size());
  for (const char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  constexpr std::string_view k_markers[] = {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "CREDENTIAL"};
  return std::any_of(std::begin(k_markers), std::end(k_markers),
                     [&](std::string_view marker) { return upper.find(marker) != std::string::npos; });
}

}  // namespace

HostIdentity read_host_identity(const Settings& settings, MachineIdMode machine_id_mode) {
  HostIdentity host;
  if (auto uname = read_uname()) host.uname = std::move(*uname);
  host.boot_time = read_boot_time(settings.paths);
  host.user = collect_user_context(settings.config_dir, std::getenv("HOME"));
  auto machine_id = resolve_machine_id(settings.config_dir, machine_id_mode);
  if (machine_id.source == MachineIdSource::none && machine_id_mode == MachineIdMode::create_if_missing) {
    log_warn("machine_id is null for this run: " + machine_id.detail);
  } else {
    log_debug(machine_id.detail);
  }
  host.machine_id = std::move(machine_id.machine_id);
  return host;
}

void print_capabilities_banner(const CapabilitySet& capabilities) {
  if (log_enabled(LogLevel::info)) write_all_to_log(capabilities_banner(capabilities));
}

std::vector<std::string> child_env_deny_list() {
  std::vector<std::string> names = {"API_URL", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    const std::string_view name = text.substr(0, equals);
    if (!name.empty() && looks_secret(name)) names.emplace_back(name);
  }
  return names;
}

}  // namespace fivenines
