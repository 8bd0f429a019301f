#include "config/config_reader.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace fivenines {

namespace {

using Json = nlohmann::json;

// A key as shown in a warning: printable ASCII only, at most 64 bytes, so a
// hostile key cannot forge log lines or flood the log.
std::string printable_key(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (out.size() >= 64) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7F) ? c : '?';
  }
  return out;
}

// Config keys of the wire contract (§4) for collectors this build does not
// have yet: accepted as on/off so pending_capabilities can name them.
constexpr std::string_view k_future_collector_keys[] = {
    "temperatures", "fans", "nvidia_gpu", "smart_storage_health", "raid_storage_health", "fail2ban", "disk_health",
    "logs", "ceph", "zfs", "redis", "nginx", "apache", "php_fpm", "caddy", "postgresql", "mysql", "docker", "qemu",
    "proxmox", "systemd", "ping", "ipv4", "ipv6", "snmp_targets", "mqtt", "packages", "capture_logs",
    "permissions_recheck_token", "permissions_recheck_interval"};

bool is_future_key(const std::string& key) {
  return std::find(std::begin(k_future_collector_keys), std::end(k_future_collector_keys), key) !=
         std::end(k_future_collector_keys);
}

// A JSON number that is finite and within [low, high].
bool read_number(const Json& value, double low, double high, double& out) {
  if (!value.is_number()) return false;
  const double v = value.get<double>();
  if (!std::isfinite(v) || v < low || v > high) return false;
  out = v;
  return true;
}

void read_request_options(const Json& value, RequestOptions& out, std::vector<std::string>& warnings) {
  if (!value.is_object()) {
    warnings.push_back("config.request_options: not an object (defaults used)");
    return;
  }
  for (const auto& [key, item] : value.items()) {
    double number = 0;
    if (key == "timeout") {
      if (read_number(item, 1, 60, number)) out.timeout = std::chrono::milliseconds(static_cast<long>(number * 1000));
      else warnings.push_back("config.request_options.timeout: not a number in 1..60 (default kept)");
    } else if (key == "retry") {
      if (read_number(item, 1, 10, number)) out.attempts = static_cast<int>(number);
      else warnings.push_back("config.request_options.retry: not a number in 1..10 (default kept)");
    } else if (key == "retry_interval") {
      if (read_number(item, 0.5, 120, number)) out.retry_interval = std::chrono::milliseconds(static_cast<long>(number * 1000));
      else warnings.push_back("config.request_options.retry_interval: not a number in 0.5..120 (default kept)");
    } else {
      warnings.push_back("config.request_options." + printable_key(key) + ": unknown key (dropped)");
    }
  }
}

std::optional<PortsOptions> read_ports(const Json& value, std::vector<std::string>& warnings) {
  if (value.is_boolean()) return value.get<bool>() ? std::optional<PortsOptions>(PortsOptions{}) : std::nullopt;
  if (!value.is_object()) {
    warnings.push_back("config.ports: not a boolean or an object (collector disabled)");
    return std::nullopt;
  }
  PortsOptions options;
  for (const auto& [key, item] : value.items()) {
    if (key != "monitored_ports") {
      warnings.push_back("config.ports." + printable_key(key) + ": unknown key (dropped)");
      continue;
    }
    if (!item.is_array()) {
      warnings.push_back("config.ports.monitored_ports: not an array (collector disabled)");
      return std::nullopt;
    }
    for (const auto& port : item) {
      if (!port.is_number_integer() || port.get<long long>() < 1 || port.get<long long>() > 65535) {
        warnings.push_back("config.ports.monitored_ports: entry is not an integer 1..65535 (skipped)");
        continue;
      }
      options.monitored_ports.push_back(static_cast<std::uint16_t>(port.get<long long>()));
    }
  }
  std::sort(options.monitored_ports.begin(), options.monitored_ports.end());
  options.monitored_ports.erase(std::unique(options.monitored_ports.begin(), options.monitored_ports.end()),
                                options.monitored_ports.end());
  return options;
}

}  // namespace

Result<ConfigReadResult> read_config_strict(std::string_view json_text) {
  if (json_text.size() > k_config_max_bytes) {
    return make_error(ErrorKind::parse, "config: larger than " + std::to_string(k_config_max_bytes) + " bytes");
  }
  bool too_deep = false;
  // The callback sees every nesting step while parsing, so a 100,000-deep
  // input is refused before it can exhaust the stack.
  const Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= k_config_max_depth) {
      too_deep = true;
      throw std::runtime_error("too deep");
    }
    return true;
  };
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end(), limit_depth, true, false);
  } catch (const std::exception& error) {
    if (too_deep) return make_error(ErrorKind::parse, "config: nested deeper than " + std::to_string(k_config_max_depth));
    std::string what = error.what();
    return make_error(ErrorKind::parse, "config: not valid JSON (" + what.substr(0, 160) + ")");
  }
  if (!root.is_object()) return make_error(ErrorKind::parse, "config: not a JSON object");
  if (root.contains("config")) {
    if (!root["config"].is_object()) return make_error(ErrorKind::parse, "config: \"config\" is not an object");
    Json inner = std::move(root["config"]);
    root = std::move(inner);
  }

  ConfigReadResult out;
  auto& config = out.config;
  auto& warnings = out.warnings;
  for (const auto& [key, value] : root.items()) {
    const auto read_flag = [&](bool& flag) {
      if (value.is_boolean()) flag = value.get<bool>();
      else warnings.push_back("config." + key + ": not a boolean (collector disabled)");
    };
    if (key == "enabled") {
      read_flag(config.enabled);
    } else if (key == "interval") {
      double seconds = 0;
      if (read_number(value, 1, 1e9, seconds)) {
        config.interval = std::chrono::seconds(std::clamp(static_cast<long>(seconds), 30L, 3600L));
      } else {
        warnings.push_back("config.interval: not a positive number (60 kept)");
      }
    } else if (key == "request_options") {
      read_request_options(value, config.request_options, warnings);
    } else if (key == "cpu") {
      read_flag(config.cpu);
    } else if (key == "memory") {
      read_flag(config.memory);
    } else if (key == "network") {
      read_flag(config.network);
    } else if (key == "partitions") {
      read_flag(config.partitions);
    } else if (key == "io") {
      read_flag(config.io);
    } else if (key == "processes") {
      read_flag(config.processes);
    } else if (key == "ports") {
      config.ports = read_ports(value, warnings);
    } else if (is_future_key(key)) {
      const bool truthy = (value.is_boolean() && value.get<bool>()) || (value.is_object() && !value.empty()) ||
                          (value.is_array() && !value.empty());
      if (truthy) config.other_enabled_keys.push_back(key);
    } else {
      warnings.push_back("config." + printable_key(key) + ": unknown key (dropped)");
    }
  }
  return out;
}

}  // namespace fivenines
