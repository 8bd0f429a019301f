// collect_bench: the agent's side of bench/run.sh.
//
// Builds the collector set a dry run builds (RemoteConfig::core_collectors(),
// capabilities probed once, static fields made once), primes it, runs one
// untimed warm-up collection (the cpu collector reads PROC/cpuinfo on its
// first collection only; bare_loop.c does the same in its warm-up), then
// times N collections. Each collection is what one tick of the agent costs:
// collect into a cleared PayloadSink, then build_metric_payload(), since
// serialising the payload is part of the agent's work. Nothing is sent.
//
// Output, one line on stdout, the same keys as bare_loop.c prints:
//   collections=N cpu_ms_per_collection=X user_ms_per_collection=U
//   sys_ms_per_collection=S maxrss_kib=K payload_bytes=B
// CPU is getrusage(RUSAGE_SELF) user+sys over the timed loop, so the
// partitions collector's statvfs worker thread is counted too.
//
// Usage: collect_bench [collections]   (default 200)
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "agent/collector_set.hpp"
#include "agent/payload.hpp"
#include "agent/static_fields.hpp"
#include "capabilities/probes.hpp"
#include "collectors/registry.hpp"
#include "config/remote_config.hpp"
#include "config/settings.hpp"
#include "identity/machine_id.hpp"
#include "identity/system_info.hpp"
#include "identity/user_context.hpp"
#include "util/log.hpp"

namespace {

using namespace fivenines;

// The dry run's outer limit per tick; a bench tick never comes near it.
constexpr std::chrono::seconds k_tick_deadline{10};
constexpr long k_default_collections = 200;
constexpr long k_max_collections = 1'000'000;

double cpu_seconds(const timeval& value) {
  return static_cast<double>(value.tv_sec) + static_cast<double>(value.tv_usec) / 1e6;
}

struct CpuSample {
  double user_seconds = 0;
  double sys_seconds = 0;
  long maxrss_kib = 0;
};

CpuSample sample_self() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return CpuSample{cpu_seconds(usage.ru_utime), cpu_seconds(usage.ru_stime), usage.ru_maxrss};
}

}  // namespace

int main(int argc, char** argv) {
  long collections = k_default_collections;
  if (argc > 1) {
    char* end = nullptr;
    collections = std::strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || collections < 1 || collections > k_max_collections) {
      std::fprintf(stderr, "usage: collect_bench [collections 1..%ld]\n", k_max_collections);
      return 2;
    }
  }

  const HostPaths paths;  // the live /proc and /sys
  const RemoteConfig config = RemoteConfig::core_collectors();

  // Set-up as in run_dry_run(); not timed.
  const auto probe_env = ProbeEnvironment::for_host(paths, {"API_URL"});
  const CapabilitySet capabilities = probe_all_capabilities(probe_env);
  HostIdentity host;
  if (auto uname = read_uname()) host.uname = std::move(*uname);
  host.boot_time = read_boot_time(paths);
  host.user = collect_user_context(k_default_config_dir, std::getenv("HOME"));
  host.machine_id = resolve_machine_id(k_default_config_dir, MachineIdMode::read_only).machine_id;
  const StaticFields fields = make_static_fields(host, capabilities, enabled_config_keys(config), UserContextForm::full);

  CollectorSet collectors;
  collectors.configure(config, [&](std::string_view key) { return is_gated_off(capabilities, key); });

  const std::atomic<bool> stopping{false};
  PayloadSink sink;
  std::string payload;
  std::size_t payload_bytes = 0;

  const auto tick = [&] {
    const double ts =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto tick_start = std::chrono::steady_clock::now();
    const CollectContext ctx{paths, config, tick_start + k_tick_deadline, stopping};
    sink.clear();
    collectors.collect(ctx, sink);
    const double running_time =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - tick_start).count();
    payload = build_metric_payload(fields, ts, sink, running_time);
    payload_bytes = payload.size();
  };

  {
    const CollectContext ctx{paths, config, std::chrono::steady_clock::now() + k_tick_deadline, stopping};
    collectors.prime(ctx);
  }
  tick();  // warm-up: reads cpuinfo once, sizes the reused buffers

  const CpuSample before = sample_self();
  for (long i = 0; i < collections; ++i) tick();
  const CpuSample after = sample_self();

  const double n = static_cast<double>(collections);
  const double user_ms = (after.user_seconds - before.user_seconds) * 1e3 / n;
  const double sys_ms = (after.sys_seconds - before.sys_seconds) * 1e3 / n;
  std::printf(
      "collections=%ld cpu_ms_per_collection=%.4f user_ms_per_collection=%.4f sys_ms_per_collection=%.4f "
      "maxrss_kib=%ld payload_bytes=%zu collectors=%zu\n",
      collections, user_ms + sys_ms, user_ms, sys_ms, after.maxrss_kib, payload_bytes, collectors.size());
  return 0;
}
