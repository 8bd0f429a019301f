// The static payload fields (wire contract §3.1): computed once at start,
// the capability fields refreshed whenever capabilities are re-probed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/payload.hpp"
#include "capabilities/capabilities.hpp"
#include "identity/system_info.hpp"
#include "identity/user_context.hpp"

namespace fivenines {

struct HostIdentity {
  std::optional<UnameInfo> uname;
  std::optional<double> boot_time;
  UserContext user;
  std::optional<std::string> machine_id;
};

// `enabled_keys`: truthy config keys in registry order (for pending).
// `user_context_form`: USER_CONTEXT; it decides the shape of user_context
// and whether metric payloads carry it (user_context_rides).
[[nodiscard]] StaticFields make_static_fields(const HostIdentity& host, const CapabilitySet& capabilities,
                                              const std::vector<std::string>& enabled_keys,
                                              UserContextForm user_context_form);

void refresh_capability_fields(StaticFields& fields, const CapabilitySet& capabilities,
                               const std::vector<std::string>& enabled_keys);

}  // namespace fivenines
