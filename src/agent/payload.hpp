// Assembly of the bodies POSTed to /collect (wire contract §3): the static
// fields, then either "get_config": true or the tick's metrics, telemetry
// and running time. Works on pre-serialised JSON text: nothing is parsed.
#pragma once

#include <cstdint>
#include <string>

#include "collectors/collector.hpp"

namespace fivenines {

// Each member is serialised JSON text, set once at start (capability fields
// refreshed when capabilities are re-probed).
struct StaticFields {
  std::string version;
  std::string uname;
  std::string boot_time;
  std::string capabilities;
  std::string capability_reasons;
  std::string pending_capabilities;
  std::string user_context;
  std::string machine_id;
  // USER_CONTEXT=minimal keeps user_context to get_config requests; metric
  // payloads then leave the key out altogether.
  bool user_context_in_metrics = true;
};

// {"get_config": true, <static fields>} (§3.2); user_context always.
[[nodiscard]] std::string build_config_request(const StaticFields& fields);

// <static fields> (user_context only when fields.user_context_in_metrics),
// "ts", the sink's keys in order, "_telemetry", "running_time" (§3.3). `ts` is Unix seconds at tick start.
// `outbox_dropped` > 0 (payloads the full outbox dropped since the last
// payload was built) adds a last `_telemetry` entry, our extension:
//   "outbox": {"duration_ms": 0.0, "errors": ["N earlier payload(s) dropped:
//   outbox full"], "dropped": N}
// shaped like a collector's entry so a server that reads every entry's
// duration_ms and errors shows it as it shows collector errors.
[[nodiscard]] std::string build_metric_payload(const StaticFields& fields, double ts, const PayloadSink& sink,
                                               double running_time_seconds, std::uint64_t outbox_dropped = 0);

}  // namespace fivenines
