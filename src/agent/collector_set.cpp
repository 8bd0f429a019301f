#include "agent/collector_set.hpp"

#include <exception>

#include "util/log.hpp"

namespace fivenines {

void CollectorSet::configure(const RemoteConfig& config, const GateCheck& gated_off) {
  std::vector<Active> next;
  for (const auto& spec : collector_registry()) {
    if (!config_enables(config, spec.config_key)) continue;
    if (!spec.capability.empty() && gated_off(spec.config_key)) {
      if (m_gate_logged.insert(std::string(spec.capability)).second) {
        log_info(std::string("skipping ") + std::string(spec.name) + ": capability " + std::string(spec.capability) +
                 " is unavailable");
      }
      continue;
    }
    std::unique_ptr<Collector> collector;
    for (auto& old : m_active) {
      if (old.spec == &spec && old.collector) collector = std::move(old.collector);
    }
    if (!collector) collector = spec.make();
    next.push_back(Active{&spec, std::move(collector)});
  }
  m_active = std::move(next);
}

void CollectorSet::prime(const CollectContext& ctx) {
  for (auto& active : m_active) {
    try {
      active.collector->prime(ctx);
    } catch (const std::exception& error) {
      log_error(std::string(active.spec->name) + ": prime failed: " + error.what());
    } catch (...) {
      log_error(std::string(active.spec->name) + ": prime failed");
    }
  }
}

void CollectorSet::collect(const CollectContext& ctx, PayloadSink& sink) {
  for (auto& active : m_active) {
    if (ctx.stopping.load(std::memory_order_relaxed)) return;
    sink.start_lap();
    std::string failure;
    try {
      active.collector->collect(ctx, sink);
    } catch (const std::exception& error) {
      failure = std::string(active.spec->name) + ": " + error.what();
    } catch (...) {
      failure = std::string(active.spec->name) + ": unknown exception";
    }
    if (!failure.empty()) {
      // Last defence: keys the collector did not fill become null.
      for (auto key : active.spec->payload_keys) {
        if (sink.find(key) == nullptr) sink.fail(key, failure);
      }
    }
  }
  for (const auto& entry : sink.entries()) {
    for (const auto& error : entry.errors) log_error(entry.key + ": " + error);
  }
  if (log_enabled(LogLevel::debug)) {
    for (const auto& entry : sink.entries()) {
      log_debug(entry.key + ": " + (entry.is_null ? std::string("null") : std::to_string(entry.json.size()) + " bytes") +
                " in " + std::to_string(entry.duration_ms) + " ms");
    }
  }
}

}  // namespace fivenines
