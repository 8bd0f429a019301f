#include "agent/static_fields.hpp"

namespace fivenines {

StaticFields make_static_fields(const HostIdentity& host, const CapabilitySet& capabilities,
                                const std::vector<std::string>& enabled_keys, UserContextForm user_context_form) {
  StaticFields fields;
  {
    JsonWriter out;
    out.string(FIVENINES_VERSION);
    fields.version = out.take();
  }
  {
    JsonWriter out;
    if (host.uname) {
      write_uname(out, *host.uname);
    } else {
      out.null();
    }
    fields.uname = out.take();
  }
  {
    JsonWriter out;
    if (host.boot_time) {
      out.number(*host.boot_time);
    } else {
      out.null();
    }
    fields.boot_time = out.take();
  }
  {
    JsonWriter out;
    write_user_context(out, host.user, user_context_form);
    fields.user_context = out.take();
    fields.user_context_in_metrics = user_context_rides(user_context_form, RequestKind::metrics);
  }
  {
    JsonWriter out;
    if (host.machine_id) {
      out.string(*host.machine_id);
    } else {
      out.null();
    }
    fields.machine_id = out.take();
  }
  refresh_capability_fields(fields, capabilities, enabled_keys);
  return fields;
}

void refresh_capability_fields(StaticFields& fields, const CapabilitySet& capabilities,
                               const std::vector<std::string>& enabled_keys) {
  JsonWriter caps;
  write_capabilities(caps, capabilities);
  fields.capabilities = caps.take();
  JsonWriter reasons;
  write_capability_reasons(reasons, capabilities);
  fields.capability_reasons = reasons.take();
  JsonWriter pending;
  write_pending_capabilities(pending, pending_capabilities(capabilities, enabled_keys));
  fields.pending_capabilities = pending.take();
}

}  // namespace fivenines
