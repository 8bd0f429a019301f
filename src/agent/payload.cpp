#include "agent/payload.hpp"

#include "util/python_float.hpp"

namespace fivenines {

namespace {

enum class UserContextField { include, omit };

void write_static_fields(JsonWriter& out, const StaticFields& fields, UserContextField user_context) {
  out.key("version");
  out.raw(fields.version);
  out.key("uname");
  out.raw(fields.uname);
  out.key("boot_time");
  out.raw(fields.boot_time);
  out.key("capabilities");
  out.raw(fields.capabilities);
  out.key("capability_reasons");
  out.raw(fields.capability_reasons);
  out.key("pending_capabilities");
  out.raw(fields.pending_capabilities);
  if (user_context == UserContextField::include) {
    out.key("user_context");
    out.raw(fields.user_context);
  }
  out.key("machine_id");
  out.raw(fields.machine_id);
}

}  // namespace

std::string build_config_request(const StaticFields& fields) {
  JsonWriter out;
  out.begin_object();
  out.key("get_config");
  out.boolean(true);
  write_static_fields(out, fields, UserContextField::include);
  out.end_object();
  return out.take();
}

std::string build_metric_payload(const StaticFields& fields, double ts, const PayloadSink& sink,
                                 double running_time_seconds, std::uint64_t outbox_dropped) {
  std::size_t size_hint = 4096;
  for (const auto& entry : sink.entries()) size_hint += entry.key.size() + entry.json.size() + 64;
  JsonWriter out;
  out.reserve(size_hint);
  out.begin_object();
  write_static_fields(out, fields,
                      fields.user_context_in_metrics ? UserContextField::include : UserContextField::omit);
  out.key("ts");
  out.number(ts);
  for (const auto& entry : sink.entries()) {
    out.key(entry.key);
    if (entry.is_null) {
      out.null();
    } else {
      out.raw(entry.json);
    }
  }
  out.key("_telemetry");
  out.begin_object();
  for (const auto& entry : sink.entries()) {
    out.key(entry.key);
    out.begin_object();
    out.key("duration_ms");
    out.number(round_python(entry.duration_ms, 2));
    if (!entry.errors.empty()) {
      out.key("errors");
      out.begin_array();
      for (const auto& error : entry.errors) out.string(error);
      out.end_array();
    }
    out.end_object();
  }
  if (outbox_dropped > 0) {
    out.key("outbox");
    out.begin_object();
    out.key("duration_ms");
    out.number(0.0);
    out.key("errors");
    out.begin_array();
    out.string(std::to_string(outbox_dropped) + " earlier payload(s) dropped: outbox full");
    out.end_array();
    out.key("dropped");
    out.unsigned_integer(outbox_dropped);
    out.end_object();
  }
  out.end_object();
  out.key("running_time");
  out.number(running_time_seconds);
  out.end_object();
  return out.take();
}

}  // namespace fivenines
