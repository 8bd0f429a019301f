#include "agent/dry_run.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "agent/collector_set.hpp"
#include "agent/host_setup.hpp"
#include "agent/static_fields.hpp"
#include "capabilities/probes.hpp"
#include "config/config_reader.hpp"
#include "identity/machine_id.hpp"
#include "platform/file_read.hpp"
#include "util/log.hpp"

namespace fivenines {

namespace {

// Collectors bound their own waits (netlink 1 s, statvfs 2 s); this is the
// tick's outer limit.
constexpr std::chrono::seconds k_dry_run_deadline{10};

// The --config file goes through the same gate and validator as an API
// answer; what the validator drops is logged, what the gate refuses fails.
Result<RemoteConfig> load_config(const Settings& settings) {
  if (!settings.config_file) return RemoteConfig::core_collectors();
  auto text = read_file(*settings.config_file, k_config_max_bytes);
  if (!text) return Error{ErrorKind::invalid_config, "--config: " + text.error().message};
  auto parsed = read_config_strict(*text, nullptr);
  if (!parsed) return Error{ErrorKind::invalid_config, "--config " + *settings.config_file + ": " + parsed.error().message};
  for (const auto& warning : parsed->warnings) log_warn(*settings.config_file + ": " + warning);
  return std::move(parsed->config);
}

bool write_all(int fd, const std::string& text) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int run_dry_run(const Settings& settings) {
  auto config = load_config(settings);
  if (!config) {
    std::fprintf(stderr, "fivenines-agent: %s\n", config.error().message.c_str());
    return 2;
  }

  if (log_enabled(LogLevel::debug)) {
    log_debug("dry run: proc root " + settings.paths.proc + ", sys root " + settings.paths.sys + ", config dir " +
              settings.config_dir);
  }
  const auto probe_env = ProbeEnvironment::for_host(settings.paths, child_env_deny_list());
  const CapabilitySet capabilities = probe_all_capabilities(probe_env);
  print_capabilities_banner(capabilities);

  // A dry run writes nothing: an existing valid MACHINE_ID is reused, else null.
  const HostIdentity host = read_host_identity(settings, MachineIdMode::read_only);
  const auto enabled_keys = enabled_config_keys(*config);
  // The dry run prints the reference payload (§2.4), user_context in full,
  // whatever USER_CONTEXT says: it sends nothing, and its output is what
  // operators and the golden test compare with the reference agent.
  const StaticFields fields = make_static_fields(host, capabilities, enabled_keys, UserContextForm::full);

  CollectorSet collectors;
  collectors.configure(*config, [&](std::string_view key) { return is_gated_off(capabilities, key); });

  const std::atomic<bool> stopping{false};
  const CollectContext ctx{settings.paths, *config, std::chrono::steady_clock::now() + k_dry_run_deadline, stopping};
  // First tick: sample, wait a short window, sample again, so CPU
  // percentages are real rather than "since boot".
  collectors.prime(ctx);
  std::this_thread::sleep_for(k_first_sample_window);

  const double ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto tick_start = std::chrono::steady_clock::now();
  const CollectContext tick_ctx{settings.paths, *config, tick_start + k_dry_run_deadline, stopping};
  PayloadSink sink;
  collectors.collect(tick_ctx, sink);
  const double running_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - tick_start).count();

  std::string payload = build_metric_payload(fields, ts, sink, running_time);
  payload += '\n';
  if (!write_all(STDOUT_FILENO, payload)) {
    std::fprintf(stderr, "fivenines-agent: write payload to stdout failed\n");
    return 1;
  }
  return 0;
}

}  // namespace fivenines
