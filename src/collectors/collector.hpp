// The contract every collector follows.
//
// A collector reads one part of the host (files under the proc/sys roots,
// netlink, a local service) and adds one or more payload keys to a
// PayloadSink. It never throws into the loop, never blocks past
// ctx.deadline, never writes files. Three outcomes per key, never two:
//   absent  - not on this host / not applicable: add nothing
//   failed  - sink.fail(key, error): the key is null, the error is reported
//   value   - sink.set(key, json): possibly an empty [] or {}
// State kept between ticks (CPU deltas) lives in the collector object.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/remote_config.hpp"
#include "platform/host_paths.hpp"
#include "util/json_writer.hpp"
#include "util/result.hpp"

namespace fivenines {

struct CollectContext {
  const HostPaths& paths;
  const RemoteConfig& config;
  std::chrono::steady_clock::time_point deadline;
  const std::atomic<bool>& stopping;
};

// One payload key as produced by a collector.
struct PayloadEntry {
  std::string key;
  bool is_null = false;
  std::string json;                 // serialised value when !is_null
  std::vector<std::string> errors;  // for _telemetry; may accompany a value
  double duration_ms = 0;           // time since the previous entry
};

// Collects the keys of one tick, timing each one: an entry's duration is
// the time since the previous entry (or since start_lap()), so a collector
// that reads once and emits several keys charges the read to the first.
class PayloadSink {
 public:
  using Clock = std::chrono::steady_clock;

  void start_lap() { m_lap_start = Clock::now(); }
  void set(std::string_view key, std::string json);
  void set(std::string_view key, JsonWriter&& writer) { set(key, writer.take()); }
  void fail(std::string_view key, std::string error);
  // Adds a telemetry error to an entry already set (or failed).
  void add_error(std::string_view key, std::string error);

  [[nodiscard]] const std::vector<PayloadEntry>& entries() const { return m_entries; }
  [[nodiscard]] const PayloadEntry* find(std::string_view key) const;
  void clear() { m_entries.clear(); }

 private:
  double lap_ms();

  std::vector<PayloadEntry> m_entries;
  Clock::time_point m_lap_start = Clock::now();
};

class Collector {
 public:
  virtual ~Collector() = default;
  // Takes a baseline sample for rate values (CPU percentages) so that the
  // first collect() already reports real rates. Default: nothing to sample.
  virtual void prime(const CollectContext& ctx) { (void)ctx; }
  virtual void collect(const CollectContext& ctx, PayloadSink& sink) = 0;
};

}  // namespace fivenines
