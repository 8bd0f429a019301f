// The collectors active under the current config: built from the registry,
// minus the ones whose capability is present and false (§7.2). Collector
// objects survive config changes that keep them enabled, so rate state
// (CPU deltas) is not lost when the API resends the same config.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "collectors/registry.hpp"

namespace fivenines {

class CollectorSet {
 public:
  // Returns true when the capability behind `config_key` exists and is
  // false: the collector is skipped (gated off, §7.2).
  using GateCheck = std::function<bool(std::string_view config_key)>;

  void configure(const RemoteConfig& config, const GateCheck& gated_off);
  void prime(const CollectContext& ctx);
  // Runs each active collector in registry order. A collector that throws
  // (it must not) has its keys set to null with the reason; the tick goes on.
  void collect(const CollectContext& ctx, PayloadSink& sink);

  [[nodiscard]] std::size_t size() const { return m_active.size(); }

 private:
  struct Active {
    const CollectorSpec* spec;
    std::unique_ptr<Collector> collector;
  };
  std::vector<Active> m_active;
  std::set<std::string> m_gate_logged;  // "logged once per process"
};

}  // namespace fivenines
