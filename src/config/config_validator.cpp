#include "config/config_validator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>

#include "config/loopback_target.hpp"
#include "util/ip_address.hpp"
#include "util/python_float.hpp"
#include "util/text.hpp"

namespace fivenines {

namespace {

using Json = ConfigJson;

// Caps of rule 5 and of the sections rule 14 adds.
constexpr std::size_t k_password_max_bytes = 1024;
constexpr std::size_t k_identifier_max_bytes = 63;  // database user and name
constexpr std::size_t k_token_id_max_bytes = 128;
constexpr std::size_t k_text_max_bytes = 256;  // other short texts
constexpr std::size_t k_max_monitored_ports = 1024;
constexpr std::size_t k_max_log_units = 256;
constexpr std::size_t k_max_ceph_clusters = 16;
constexpr std::size_t k_max_ping_entries = 16;
constexpr std::size_t k_max_snmp_targets = 64;
constexpr std::size_t k_max_snmp_custom_oids = 64;
constexpr std::size_t k_max_mqtt_brokers = 16;
constexpr std::size_t k_max_mqtt_monitors = 64;
constexpr std::size_t k_max_topic_filter_bytes = 1024;

constexpr std::string_view k_default_nginx_url = "http://127.0.0.1:8080/nginx_status";
constexpr std::string_view k_default_apache_url = "http://127.0.0.1/server-status?auto";
constexpr std::string_view k_default_php_fpm_url = "http://127.0.0.1/status?json";
constexpr std::string_view k_default_caddy_url = "http://localhost:2019";

constexpr std::array<std::string_view, 4> k_docker_sockets = {"/var/run/docker.sock", "/run/docker.sock",
                                                              "/run/podman/podman.sock", "/var/run/podman/podman.sock"};
constexpr std::array<std::string_view, 5> k_mysql_sockets = {"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock",
                                                             "/var/lib/mysql/mysql.sock", "/run/mysql/mysql.sock",
                                                             "/var/run/mysql/mysql.sock"};
constexpr std::array<std::string_view, 11> k_systemd_unit_types = {
    "service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope"};
constexpr std::array<std::string_view, 2> k_snmp_capabilities = {"system", "if_table"};

template <std::size_t N>
bool one_of(std::string_view text, const std::array<std::string_view, N>& allowed) {
  return std::find(allowed.begin(), allowed.end(), text) != allowed.end();
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// 1..max_bytes characters, each alphanumeric or in `extra`.
bool is_word(std::string_view text, std::size_t max_bytes, std::string_view extra) {
  if (text.empty() || text.size() > max_bytes) return false;
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return is_alnum(c) || extra.find(c) != std::string_view::npos; });
}

// Identifiers the API chooses (capture ids, device, broker and monitor ids).
bool is_identifier(std::string_view text) { return is_word(text, 128, "._:-"); }

// `^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}$` (PostgreSQL and MySQL names).
bool is_database_name(std::string_view text) {
  if (text.empty() || text.size() > k_identifier_max_bytes) return false;
  if (!is_alnum(text.front()) && text.front() != '_') return false;
  return is_word(text, k_identifier_max_bytes, "_.$-");
}

bool is_hex64(std::string_view text) { return text.size() == 64 && std::all_of(text.begin(), text.end(), is_hex); }

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

// USER@REALM!TOKENID, each part of A-Z a-z 0-9 . _ -.
bool is_proxmox_token_id(std::string_view text) {
  if (text.size() > k_token_id_max_bytes) return false;
  const auto at = text.find('@');
  const auto bang = text.find('!');
  if (at == std::string_view::npos || bang == std::string_view::npos || bang < at) return false;
  return is_word(text.substr(0, at), 64, "._-") && is_word(text.substr(at + 1, bang - at - 1), 32, "._-") &&
         is_word(text.substr(bang + 1), 64, "._-");
}

// A file directly under /etc/ceph/ (no sub-directory, no dot file).
bool is_ceph_path(std::string_view text) {
  constexpr std::string_view prefix = "/etc/ceph/";
  if (text.substr(0, prefix.size()) != prefix) return false;
  const std::string_view name = text.substr(prefix.size());
  return !name.empty() && name.front() != '.' && name.front() != '-' && is_word(name, 128, "._-");
}

// A journalctl --since text: digits, letters, space, ':', '.', '+', '-';
// not an option.
bool is_since_text(std::string_view text) {
  return !text.empty() && text.front() != '-' && text.front() != ' ' && is_word(text, 64, " :.+-");
}

// An MQTT topic filter: '+' and '#' only as whole levels, '#' only last.
bool is_topic_filter(std::string_view text) {
  if (text.empty() || text.size() > k_max_topic_filter_bytes) return false;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('/', start);
    const std::string_view level =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const bool last = end == std::string_view::npos;
    if (level.find('#') != std::string_view::npos && (level != "#" || !last)) return false;
    if (level.find('+') != std::string_view::npos && level != "+") return false;
    if (last) return true;
    start = end + 1;
  }
}

// A host a collector may contact on the network (SNMP device, MQTT
// broker): a host name or an IP literal.
bool is_network_host(std::string_view text) { return is_host_name(text) || parse_ip_literal(text).has_value(); }

// A key as shown in a message: printable ASCII only, at most 64 bytes, so a
// hostile key cannot forge log lines or flood the log.
std::string shown_key(std::string_view key) { return printable_excerpt(key, 64); }

// A number as shown in a warning or written in a config: an integer when
// whole, else Python's float text.
std::string shown_number(double value) {
  if (std::nearbyint(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  std::string out;
  append_python_float(out, value);
  return out;
}

// A JSON number or a canonical decimal string; never a boolean.
std::optional<double> number_of(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (is_canonical_decimal(text)) return static_cast<double>(std::stoll(text));
  }
  return std::nullopt;
}

// A JSON integer or a canonical decimal string; floats (6379.5, 6379.0)
// and booleans are not integers.
std::optional<std::int64_t> integer_of(const Json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (is_canonical_decimal(text)) return std::stoll(text);
  }
  return std::nullopt;
}

std::optional<std::uint16_t> port_of(const Json& value) {
  const auto v = integer_of(value);
  if (!v || *v < 1 || *v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

constexpr std::string_view k_port_reason = "not an integer 1..65535";

// Why a string is refused by rule 5, or "" when it is acceptable.
std::string text_problem(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return "longer than " + std::to_string(max_bytes) + " bytes";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return "has a control character";
  }
  return "";
}

// One validation pass over a config object.
class Validator {
 public:
  explicit Validator(const RemoteConfig* previous) : m_previous(previous) {}

  ConfigReadResult run(const Json& root);

 private:
  enum class Shape { off, defaults, object };

  void warn(std::string_view path, std::string_view reason) {
    if (m_result.warnings.size() >= k_config_max_warnings) {
      ++m_suppressed;
      return;
    }
    m_result.warnings.push_back(std::string(path) + ": " + std::string(reason));
  }
  void unknown(std::string_view path, std::string_view key) {
    warn(std::string(path) + "." + shown_key(key), "unknown key (dropped)");
  }
  static std::string at(std::string_view path, std::string_view key) {
    return std::string(path) + "." + std::string(key);
  }
  static std::string at(std::string_view path, std::size_t index) {
    return std::string(path) + "[" + std::to_string(index) + "]";
  }

  // Flags: Python truthiness; a non-boolean (other than null) is reported.
  bool flag(std::string_view path, const Json& value) {
    if (value.is_boolean()) return value.get<bool>();
    const bool truth = json_truthy(value);
    if (!value.is_null()) warn(path, truth ? "not a boolean (read as true)" : "not a boolean (read as false)");
    return truth;
  }

  // How a collector section that is `true` or an object is to be read.
  Shape section_shape(std::string_view path, const Json& value) {
    if (value.is_object()) {
      if (!value.empty()) return Shape::object;
      warn(path, "empty object (section disabled)");
      return Shape::off;
    }
    if (value.is_null()) return Shape::off;
    if (value.is_boolean()) return value.get<bool>() ? Shape::defaults : Shape::off;
    const bool truth = json_truthy(value);
    warn(path, truth ? "not a boolean or an object (enabled with defaults)"
                     : "not a boolean or an object (section disabled)");
    return truth ? Shape::defaults : Shape::off;
  }

  // A section that must be an object (or an array): null, false and an
  // empty container disable it quietly, any other value with a warning.
  bool container_or_off(std::string_view path, const Json& value, bool want_array) {
    if (want_array ? value.is_array() : value.is_object()) return !value.empty();
    if (value.is_null() || (value.is_boolean() && !value.get<bool>())) return false;
    warn(path, want_array ? "not an array (section disabled)" : "not an object (section disabled)");
    return false;
  }

  // A string checked by rule 5 (no NUL, C0 or DEL; at most max_bytes).
  std::optional<std::string> text(std::string_view path, const Json& value, std::size_t max_bytes,
                                  std::string_view action) {
    if (!value.is_string()) {
      warn(path, "not a string (" + std::string(action) + ")");
      return std::nullopt;
    }
    const auto& raw = value.get_ref<const std::string&>();
    if (auto problem = text_problem(raw, max_bytes); !problem.empty()) {
      warn(path, problem + " (" + std::string(action) + ")");
      return std::nullopt;
    }
    return raw;
  }

  // A secret (rule 5): CR and LF removed first, then checked. `ok` is false
  // when it is refused; the value is never named.
  std::optional<std::string> secret(std::string_view path, const Json& value, std::size_t max_bytes, bool& ok,
                                    std::string_view action) {
    ok = true;
    if (value.is_null()) return std::nullopt;
    if (!value.is_string()) {
      warn(path, "not a string (" + std::string(action) + ")");
      ok = false;
      return std::nullopt;
    }
    std::string clean = value.get<std::string>();
    const auto before = clean.size();
    clean.erase(std::remove_if(clean.begin(), clean.end(), [](char c) { return c == '\r' || c == '\n'; }), clean.end());
    if (auto problem = text_problem(clean, max_bytes); !problem.empty()) {
      warn(path, problem + " (" + std::string(action) + ")");
      ok = false;
      return std::nullopt;
    }
    if (clean.size() != before) warn(path, "CR/LF removed");
    return clean;
  }

  // A number clamped to [low, high]; `fallback` when not a number.
  double clamped(std::string_view path, const Json& value, double low, double high, double fallback,
                 std::string_view fallback_note) {
    const auto number = number_of(value);
    if (!number) {
      warn(path, "not a number (" + std::string(fallback_note) + ")");
      return fallback;
    }
    if (*number < low || *number > high) {
      const double result = std::clamp(*number, low, high);
      warn(path,
           "outside " + shown_number(low) + ".." + shown_number(high) + " (clamped to " + shown_number(result) + ")");
      return result;
    }
    return *number;
  }

  // A whole number clamped to [low, high], fractions truncated.
  std::int64_t whole_clamped(std::string_view path, const Json& value, std::int64_t low, std::int64_t high,
                             std::int64_t fallback, std::string_view fallback_note) {
    const auto number = number_of(value);
    if (!number) {
      warn(path, "not a number (" + std::string(fallback_note) + ")");
      return fallback;
    }
    const double truncated = std::trunc(*number);
    if (truncated < static_cast<double>(low) || truncated > static_cast<double>(high)) {
      const auto result = truncated < static_cast<double>(low) ? low : high;
      warn(path, "outside " + std::to_string(low) + ".." + std::to_string(high) + " (clamped to " +
                     std::to_string(result) + ")");
      return result;
    }
    const auto result = static_cast<std::int64_t>(truncated);
    if (truncated != *number) warn(path, "fraction truncated (" + std::to_string(result) + ")");
    return result;
  }

  std::optional<std::uint16_t> port(std::string_view path, const Json& value, std::string_view action) {
    const auto result = port_of(value);
    if (!result) warn(path, std::string(k_port_reason) + " (" + std::string(action) + ")");
    return result;
  }

  std::optional<LoopbackHost> loopback_host(std::string_view path, const Json& value) {
    if (!value.is_string()) {
      warn(path, "not a string (section disabled)");
      return std::nullopt;
    }
    const auto& raw = value.get_ref<const std::string&>();
    auto host = parse_loopback_host(raw);
    if (!host) {
      warn(path, host.error().message + " (section disabled)");
      return std::nullopt;
    }
    if (host->name != raw) warn(path, "lower-cased");
    return *host;
  }

  std::optional<LoopbackUrl> loopback_url(std::string_view path, const Json& value) {
    if (!value.is_string()) {
      warn(path, "not a string (section disabled)");
      return std::nullopt;
    }
    const auto& raw = value.get_ref<const std::string&>();
    auto url = parse_loopback_url(raw);
    if (!url) {
      warn(path, url.error().message + " (section disabled)");
      return std::nullopt;
    }
    if (url->url != raw) warn(path, "scheme and host lower-cased");
    return *url;
  }

  // 64 hex digits, stored lower-case; nullopt (dropped) otherwise.
  std::optional<std::string> hash(std::string_view path, const Json& value) {
    if (!value.is_string() || !is_hex64(value.get_ref<const std::string&>())) {
      warn(path, "not 64 hex digits (dropped)");
      return std::nullopt;
    }
    std::string out = value.get<std::string>();
    bool changed = false;
    for (char& c : out) {
      if (c >= 'A' && c <= 'F') {
        c = static_cast<char>(c - 'A' + 'a');
        changed = true;
      }
    }
    if (changed) warn(path, "lower-cased");
    return out;
  }

  void top_level(const std::string& key, const Json& value);
  // Stores what `Read` makes of a section in the config member `Member`.
  template <auto Member, auto Read>
  void assign(const Json& value) {
    m_result.config.*Member = (this->*Read)(value);
  }
  void read_interval(const Json& value);
  void read_request_options(const Json& value);
  void read_permissions_recheck_token(const Json& value);
  void read_permissions_recheck_interval(const Json& value);
  std::optional<PortsOptions> read_ports(const Json& value);
  std::optional<LogsOptions> read_logs(const Json& value);
  std::optional<CaptureLogsOptions> read_capture_logs(const Json& value);
  std::optional<CephOptions> read_ceph(const Json& value);
  std::optional<CephCluster> read_ceph_cluster(const std::string& path, const Json& value);
  std::optional<ZfsOptions> read_zfs(const Json& value);
  std::optional<RedisOptions> read_redis(const Json& value);
  std::optional<StatusPageOptions> read_status_page(const std::string& path, const Json& value,
                                                    std::string_view default_url);
  std::optional<PhpFpmOptions> read_php_fpm(const Json& value);
  std::optional<PhpFpmOptions> php_fpm_endpoint(const std::string& path, const Json& value);
  std::optional<CaddyOptions> read_caddy(const Json& value);
  std::optional<StatusPageOptions> read_nginx(const Json& value) {
    return read_status_page("config.nginx", value, k_default_nginx_url);
  }
  std::optional<StatusPageOptions> read_apache(const Json& value) {
    return read_status_page("config.apache", value, k_default_apache_url);
  }
  std::optional<PostgresqlOptions> read_postgresql(const Json& value);
  std::optional<MysqlOptions> read_mysql(const Json& value);
  std::optional<DockerOptions> read_docker(const Json& value);
  std::optional<QemuOptions> read_qemu(const Json& value);
  std::optional<ProxmoxOptions> read_proxmox(const Json& value);
  std::optional<SystemdOptions> read_systemd(const Json& value);
  std::optional<std::vector<PingTarget>> read_ping(const Json& value);
  std::optional<std::vector<SnmpTarget>> read_snmp_targets(const Json& value);
  std::optional<SnmpTarget> read_snmp_target(const std::string& path, const Json& value);
  std::optional<std::vector<MqttBroker>> read_mqtt(const Json& value);
  std::optional<MqttBroker> read_mqtt_broker(const std::string& path, const Json& value);
  std::optional<PackagesOptions> read_packages(const Json& value);

  const RemoteConfig* m_previous;
  ConfigReadResult m_result;
  std::size_t m_suppressed = 0;
};

ConfigReadResult Validator::run(const Json& root) {
  for (auto it = root.begin(); it != root.end(); ++it) top_level(it.key(), it.value());
  if (m_suppressed > 0) {
    m_result.warnings.push_back("config: " + std::to_string(m_suppressed) + " more warnings not shown");
  }
  return std::move(m_result);
}

void Validator::top_level(const std::string& key, const Json& value) {
  // Flags: on/off collectors and switches.
  if (key == "enabled") {
    m_result.config.enabled = flag("config." + key, value);
    m_result.input_keys.push_back(key);
    return;
  }
  for (const auto& [name, member] : k_remote_config_flags) {
    if (key == name) {
      m_result.config.*member = flag("config." + key, value);
      m_result.input_keys.push_back(key);
      return;
    }
  }
  using Reader = void (Validator::*)(const Json&);
  static constexpr std::pair<std::string_view, Reader> k_sections[] = {
      {"interval", &Validator::read_interval},
      {"request_options", &Validator::read_request_options},
      {"permissions_recheck_token", &Validator::read_permissions_recheck_token},
      {"permissions_recheck_interval", &Validator::read_permissions_recheck_interval},
      {"ports", &Validator::assign<&RemoteConfig::ports, &Validator::read_ports>},
      {"logs", &Validator::assign<&RemoteConfig::logs, &Validator::read_logs>},
      {"capture_logs", &Validator::assign<&RemoteConfig::capture_logs, &Validator::read_capture_logs>},
      {"ceph", &Validator::assign<&RemoteConfig::ceph, &Validator::read_ceph>},
      {"zfs", &Validator::assign<&RemoteConfig::zfs, &Validator::read_zfs>},
      {"redis", &Validator::assign<&RemoteConfig::redis, &Validator::read_redis>},
      {"nginx", &Validator::assign<&RemoteConfig::nginx, &Validator::read_nginx>},
      {"apache", &Validator::assign<&RemoteConfig::apache, &Validator::read_apache>},
      {"php_fpm", &Validator::assign<&RemoteConfig::php_fpm, &Validator::read_php_fpm>},
      {"caddy", &Validator::assign<&RemoteConfig::caddy, &Validator::read_caddy>},
      {"postgresql", &Validator::assign<&RemoteConfig::postgresql, &Validator::read_postgresql>},
      {"mysql", &Validator::assign<&RemoteConfig::mysql, &Validator::read_mysql>},
      {"docker", &Validator::assign<&RemoteConfig::docker, &Validator::read_docker>},
      {"qemu", &Validator::assign<&RemoteConfig::qemu, &Validator::read_qemu>},
      {"proxmox", &Validator::assign<&RemoteConfig::proxmox, &Validator::read_proxmox>},
      {"systemd", &Validator::assign<&RemoteConfig::systemd, &Validator::read_systemd>},
      {"ping", &Validator::assign<&RemoteConfig::ping, &Validator::read_ping>},
      {"snmp_targets", &Validator::assign<&RemoteConfig::snmp_targets, &Validator::read_snmp_targets>},
      {"mqtt", &Validator::assign<&RemoteConfig::mqtt, &Validator::read_mqtt>},
      {"packages", &Validator::assign<&RemoteConfig::packages, &Validator::read_packages>},
  };
  for (const auto& [name, read] : k_sections) {
    if (key == name) {
      (this->*read)(value);
      m_result.input_keys.push_back(key);
      return;
    }
  }
  warn("config." + shown_key(key), "unknown key (dropped)");
}

void Validator::read_interval(const Json& value) {
  const auto keep = m_previous ? m_previous->interval : std::chrono::seconds(60);
  const auto number = number_of(value);
  if (!number) {
    warn("config.interval", "not a number (keeping " + std::to_string(keep.count()) + ")");
    m_result.config.interval = keep;
    return;
  }
  m_result.config.interval = std::chrono::seconds(whole_clamped("config.interval", value, 30, 3600, keep.count(), ""));
}

void Validator::read_request_options(const Json& value) {
  RequestOptions& out = m_result.config.request_options;
  const std::string path = "config.request_options";
  if (!value.is_object()) {
    warn(path, "not an object (defaults used)");
    return;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    if (key == "timeout") {
      const double seconds = clamped(at(path, key), it.value(), 1, 60, 5, "default 5 used");
      out.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else if (key == "retry") {
      out.attempts = static_cast<int>(whole_clamped(at(path, key), it.value(), 1, 10, 3, "default 3 used"));
    } else if (key == "retry_interval") {
      const double seconds = clamped(at(path, key), it.value(), 0.5, 120, 5, "default 5 used");
      out.retry_interval = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else {
      unknown(path, key);
    }
  }
}

void Validator::read_permissions_recheck_token(const Json& value) {
  const std::string path = "config.permissions_recheck_token";
  auto& out = m_result.config.permissions_recheck_token;
  out.reset();
  if (value.is_null()) return;
  if (value.is_string()) {
    if (auto checked = text(path, value, k_text_max_bytes, "dropped")) out = Json(*checked).dump();
    return;
  }
  if (value.is_number() || value.is_boolean()) {
    out = value.dump();
    return;
  }
  warn(path, "not a string, number or boolean (dropped)");
}

void Validator::read_permissions_recheck_interval(const Json& value) {
  const std::string path = "config.permissions_recheck_interval";
  auto& out = m_result.config.permissions_recheck_interval;
  out.reset();
  if (value.is_null()) return;
  const auto number = number_of(value);
  if (!number) {
    warn(path, "not a number (every tick)");
    return;
  }
  if (*number <= 0) return;  // wire contract §4: every tick
  if (*number > 3600) {
    warn(path, "outside 0..3600 (clamped to 3600)");
    out = std::chrono::duration<double>(3600);
    return;
  }
  out = std::chrono::duration<double>(*number);
}

std::optional<PortsOptions> Validator::read_ports(const Json& value) {
  const std::string path = "config.ports";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  PortsOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    if (key != "monitored_ports") {
      unknown(path, key);
      continue;
    }
    const std::string list_path = at(path, key);
    const Json& list = it.value();
    if (!list.is_array()) {
      warn(list_path, "not an array (section disabled)");
      return std::nullopt;
    }
    if (list.size() > k_max_monitored_ports) {
      warn(list_path, "more than " + std::to_string(k_max_monitored_ports) + " entries (section disabled)");
      return std::nullopt;
    }
    std::set<std::uint16_t> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto port_value = port_of(list[i]);
      if (!port_value) {
        warn(at(list_path, i), std::string(k_port_reason) + " (skipped)");
        continue;
      }
      if (!seen.insert(*port_value).second) warn(at(list_path, i), "duplicate (removed)");
    }
    options.monitored_ports.assign(seen.begin(), seen.end());
  }
  return options;
}

std::optional<LogsOptions> Validator::read_logs(const Json& value) {
  const std::string path = "config.logs";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  LogsOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    if (key == "units") {
      if (!item.is_array()) {
        warn(at(path, key), "not an array (section disabled)");
        return std::nullopt;
      }
      if (item.size() > k_max_log_units) {
        warn(at(path, key), "more than " + std::to_string(k_max_log_units) + " entries (section disabled)");
        return std::nullopt;
      }
      for (std::size_t i = 0; i < item.size(); ++i) {
        if (!item[i].is_string() || !is_systemd_unit_name(item[i].get_ref<const std::string&>())) {
          warn(at(at(path, key), i), "not a systemd unit name (skipped)");
          continue;
        }
        const auto& unit = item[i].get_ref<const std::string&>();
        if (std::find(options.units.begin(), options.units.end(), unit) != options.units.end()) {
          warn(at(at(path, key), i), "duplicate (removed)");
          continue;
        }
        options.units.push_back(unit);
      }
    } else if (key == "signal_interval_s") {
      const auto number = number_of(item);
      if (!number) {
        warn(at(path, key), "not a number (default 60 used)");
      } else if (*number <= 0) {
        warn(at(path, key), "not positive (default 60 used)");
      } else if (*number > 86400) {
        warn(at(path, key), "outside 0..86400 (clamped to 86400)");
        options.signal_interval_seconds = 86400;
      } else {
        options.signal_interval_seconds = *number;
      }
    } else if (key == "enabled") {
      options.enabled = flag(at(path, key), item);
    } else {
      unknown(path, key);
    }
  }
  return options;
}

std::optional<CaptureLogsOptions> Validator::read_capture_logs(const Json& value) {
  const std::string path = "config.capture_logs";
  if (!container_or_off(path, value, false)) return std::nullopt;
  CaptureLogsOptions options;
  bool has_id = false;
  bool has_unit = false;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    if (key == "capture_id") {
      if (!item.is_string() || !is_identifier(item.get_ref<const std::string&>())) {
        warn(item_path, "not 1..128 of A-Z a-z 0-9 . _ : - (section disabled)");
        return std::nullopt;
      }
      options.capture_id = item.get<std::string>();
      has_id = true;
    } else if (key == "unit") {
      if (!item.is_string() || !is_systemd_unit_name(item.get_ref<const std::string&>())) {
        warn(item_path, "not a systemd unit name (section disabled)");
        return std::nullopt;
      }
      options.unit = item.get<std::string>();
      has_unit = true;
    } else if (key == "since") {
      if (item.is_null()) continue;
      if (item.is_number()) {
        if (item.get<double>() < 0) {
          warn(item_path, "negative (section disabled)");
          return std::nullopt;
        }
        options.since_unix_seconds = item.get<double>();
      } else if (item.is_string() && is_since_text(item.get_ref<const std::string&>())) {
        options.since_text = item.get<std::string>();
      } else {
        warn(item_path, "not a number or a journalctl time (section disabled)");
        return std::nullopt;
      }
    } else if (key == "lines") {
      if (item.is_null()) continue;
      options.lines = static_cast<int>(whole_clamped(item_path, item, 1, 10000, 1000, "default 1000 used"));
    } else if (key == "max_bytes") {
      if (item.is_null()) continue;
      options.max_bytes = static_cast<std::uint64_t>(
          whole_clamped(item_path, item, 1, 16 * 1024 * 1024, 1024 * 1024, "default 1048576 used"));
    } else if (key == "expiry") {
      if (item.is_null()) continue;
      const auto number = number_of(item);
      if (!number) {
        warn(item_path, "not a number (section disabled)");
        return std::nullopt;
      }
      options.expiry_unix_seconds = *number;
    } else {
      unknown(path, key);
    }
  }
  if (!has_id) {
    warn(at(path, "capture_id"), "missing (section disabled)");
    return std::nullopt;
  }
  if (!has_unit) {
    warn(at(path, "unit"), "missing (section disabled)");
    return std::nullopt;
  }
  return options;
}

std::optional<CephCluster> Validator::read_ceph_cluster(const std::string& path, const Json& value) {
  if (!value.is_object()) {
    warn(path, "not an object (skipped)");
    return std::nullopt;
  }
  CephCluster cluster;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    if (key == "name") {
      if (!item.is_string() || !is_word(item.get_ref<const std::string&>(), 64, "_-")) {
        warn(item_path, "not 1..64 of A-Z a-z 0-9 _ - (cluster skipped)");
        return std::nullopt;
      }
      cluster.name = item.get<std::string>();
    } else if (key == "id") {
      if (!item.is_string() || !is_word(item.get_ref<const std::string&>(), 64, "_.-")) {
        warn(item_path, "not 1..64 of A-Z a-z 0-9 _ . - (cluster skipped)");
        return std::nullopt;
      }
      cluster.id = item.get<std::string>();
    } else if (key == "keyring" || key == "conf") {
      if (item.is_null()) continue;
      if (!item.is_string() || !is_ceph_path(item.get_ref<const std::string&>())) {
        warn(item_path, "not a file directly under /etc/ceph/ (cluster skipped)");
        return std::nullopt;
      }
      (key == "keyring" ? cluster.keyring : cluster.conf) = item.get<std::string>();
    } else if (key == "use_sudo") {
      cluster.use_sudo = flag(item_path, item);
    } else {
      unknown(path, key);
    }
  }
  return cluster;
}

std::optional<CephOptions> Validator::read_ceph(const Json& value) {
  const std::string path = "config.ceph";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  CephOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    if (key != "clusters") {
      unknown(path, key);
      continue;
    }
    const std::string list_path = at(path, key);
    const Json& list = it.value();
    if (!list.is_array()) {
      warn(list_path, "not an array (section disabled)");
      return std::nullopt;
    }
    if (list.size() > k_max_ceph_clusters) {
      warn(list_path, "more than " + std::to_string(k_max_ceph_clusters) + " entries (section disabled)");
      return std::nullopt;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (auto cluster = read_ceph_cluster(at(list_path, i), list[i])) options.clusters.push_back(std::move(*cluster));
    }
  }
  return options;
}

std::optional<ZfsOptions> Validator::read_zfs(const Json& value) {
  const std::string path = "config.zfs";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  ZfsOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "interval") {
      options.cache_interval =
          std::chrono::seconds(whole_clamped(at(path, it.key()), it.value(), 1, 86400, 60, "default 60 used"));
    } else {
      unknown(path, it.key());
    }
  }
  return options;
}

std::optional<RedisOptions> Validator::read_redis(const Json& value) {
  const std::string path = "config.redis";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  RedisOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    if (key == "port") {
      const auto p = port(at(path, key), it.value(), "section disabled");
      if (!p) return std::nullopt;
      options.port = *p;
    } else if (key == "password") {
      bool ok = true;
      options.password = secret(at(path, key), it.value(), k_password_max_bytes, ok, "section disabled");
      if (!ok) return std::nullopt;
    } else {
      unknown(path, key);
    }
  }
  return options;
}

std::optional<StatusPageOptions> Validator::read_status_page(const std::string& path, const Json& value,
                                                             std::string_view default_url) {
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  StatusPageOptions options{*parse_loopback_url(default_url)};
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "status_page_url") {
      auto url = loopback_url(at(path, it.key()), it.value());
      if (!url) return std::nullopt;
      options.status_page_url = std::move(*url);
    } else {
      unknown(path, it.key());
    }
  }
  return options;
}

std::optional<CaddyOptions> Validator::read_caddy(const Json& value) {
  const std::string path = "config.caddy";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  CaddyOptions options{*parse_loopback_url(k_default_caddy_url)};
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "admin_api_url") {
      auto url = loopback_url(at(path, it.key()), it.value());
      if (!url) return std::nullopt;
      options.admin_api_url = std::move(*url);
    } else {
      unknown(path, it.key());
    }
  }
  return options;
}

// The status path after a FastCGI socket or address: "" (then /status) or
// "/..." of URL-safe characters with an optional query.
std::optional<std::string> fastcgi_status_path(std::string_view text) {
  if (text.empty()) return std::string("/status");
  if (text.size() > k_text_max_bytes || text.front() != '/' || text.substr(0, 2) == "//") return std::nullopt;
  const auto query = text.find('?');
  if (!is_word(text.substr(0, query), k_text_max_bytes, "/._~-")) return std::nullopt;
  if (query != std::string_view::npos && query + 1 < text.size() &&
      !is_word(text.substr(query + 1), k_text_max_bytes, "._~=&-")) {
    return std::nullopt;
  }
  return std::string(text);
}

// A PHP-FPM socket: a file in /run/php/, /run/php-fpm/ (or their /var/run
// forms), or a php*.sock file directly in /run or /var/run.
bool is_php_fpm_socket(std::string_view path) {
  for (std::string_view dir : {"/run/php/", "/var/run/php/", "/run/php-fpm/", "/var/run/php-fpm/"}) {
    if (path.substr(0, dir.size()) == dir) {
      const std::string_view name = path.substr(dir.size());
      return name.size() > 5 && name.front() != '.' && name.front() != '-' && is_word(name, 128, "._-");
    }
  }
  for (std::string_view dir : {"/run/", "/var/run/"}) {
    if (path.substr(0, dir.size()) == dir) {
      const std::string_view name = path.substr(dir.size());
      return name.substr(0, 3) == "php" && is_word(name, 128, "._-");
    }
  }
  return false;
}

std::optional<PhpFpmOptions> Validator::php_fpm_endpoint(const std::string& path, const Json& value) {
  if (!value.is_string()) {
    warn(path, "not a string (section disabled)");
    return std::nullopt;
  }
  const std::string& raw = value.get_ref<const std::string&>();
  PhpFpmOptions options;
  if (raw == "auto") {
    options.transport = PhpFpmTransport::auto_discover;
    options.canonical = raw;
    return options;
  }
  if (raw.size() > k_config_url_max_bytes) {
    warn(path, "longer than " + std::to_string(k_config_url_max_bytes) + " bytes (section disabled)");
    return std::nullopt;
  }
  if (raw.rfind("unix://", 0) == 0) {
    const std::string_view rest = std::string_view(raw).substr(7);
    const auto sock = rest.find(".sock");
    const std::size_t socket_end = sock == std::string_view::npos ? std::string_view::npos : sock + 5;
    const std::string_view socket = rest.substr(0, socket_end);
    if (sock == std::string_view::npos || !is_php_fpm_socket(socket)) {
      warn(path, "not a PHP-FPM socket in /run/php/, /run/php-fpm/ or /run/php*.sock (section disabled)");
      return std::nullopt;
    }
    const auto status = fastcgi_status_path(rest.substr(socket_end));
    if (!status) {
      warn(path, "status path is not /[A-Za-z0-9._~-/]* with an optional query (section disabled)");
      return std::nullopt;
    }
    options.transport = PhpFpmTransport::unix_socket;
    options.socket_path = std::string(socket);
    options.status_path = *status;
    options.canonical = "unix://" + options.socket_path + options.status_path;
    return options;
  }
  if (raw.rfind("tcp://", 0) == 0) {
    const std::string_view rest = std::string_view(raw).substr(6);
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    const auto colon = authority.rfind(':');
    const std::string_view host_text = colon == std::string_view::npos ? authority : authority.substr(0, colon);
    std::optional<LoopbackHost> host;
    if (host_text == "[::1]") {
      host = LoopbackHost{"::1", "::1"};
    } else if (host_text == "localhost" || host_text == "127.0.0.1") {
      host = *parse_loopback_host(host_text);
    }
    if (!host) {
      warn(path, "host is not localhost, 127.0.0.1 or [::1] (section disabled)");
      return std::nullopt;
    }
    const auto port_text = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
    std::optional<std::uint16_t> port_value;
    if (!port_text.empty() && port_text.front() != '0' && is_canonical_decimal(port_text)) {
      port_value = port_of(Json(std::string(port_text)));
    }
    if (!port_value) {
      warn(path, "port is not 1..65535 without leading zeros (section disabled)");
      return std::nullopt;
    }
    const auto status = fastcgi_status_path(slash == std::string_view::npos ? std::string_view{} : rest.substr(slash));
    if (!status) {
      warn(path, "status path is not /[A-Za-z0-9._~-/]* with an optional query (section disabled)");
      return std::nullopt;
    }
    options.transport = PhpFpmTransport::tcp;
    options.tcp_host = *host;
    options.tcp_port = *port_value;
    options.status_path = *status;
    options.canonical = "tcp://" + std::string(host_text) + ":" + std::string(port_text) + options.status_path;
    return options;
  }
  auto url = loopback_url(path, value);
  if (!url) return std::nullopt;
  options.transport = PhpFpmTransport::http;
  options.canonical = url->url;
  options.url = std::move(*url);
  return options;
}

std::optional<PhpFpmOptions> Validator::read_php_fpm(const Json& value) {
  const std::string path = "config.php_fpm";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  auto options = php_fpm_endpoint(path, Json(std::string(k_default_php_fpm_url)));
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "status_page_url") {
      options = php_fpm_endpoint(at(path, it.key()), it.value());
      if (!options) return std::nullopt;
    } else {
      unknown(path, it.key());
    }
  }
  return options;
}

std::optional<PostgresqlOptions> Validator::read_postgresql(const Json& value) {
  const std::string path = "config.postgresql";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  PostgresqlOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    if (key == "host") {
      auto host = loopback_host(item_path, item);
      if (!host) return std::nullopt;
      options.host = std::move(*host);
    } else if (key == "port") {
      const auto p = port(item_path, item, "section disabled");
      if (!p) return std::nullopt;
      options.port = *p;
    } else if (key == "user" || key == "database") {
      if (!item.is_string() || !is_database_name(item.get_ref<const std::string&>())) {
        warn(item_path, "not [A-Za-z0-9_][A-Za-z0-9_.$-]{0,62} (section disabled)");
        return std::nullopt;
      }
      (key == "user" ? options.user : options.database) = item.get<std::string>();
    } else if (key == "password") {
      bool ok = true;
      options.password = secret(item_path, item, k_password_max_bytes, ok, "section disabled");
      if (!ok) return std::nullopt;
    } else {
      unknown(path, key);
    }
  }
  return options;
}

std::optional<MysqlOptions> Validator::read_mysql(const Json& value) {
  const std::string path = "config.mysql";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  MysqlOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    if (key == "host") {
      auto host = loopback_host(item_path, item);
      if (!host) return std::nullopt;
      options.host = std::move(*host);
    } else if (key == "port") {
      const auto p = port(item_path, item, "section disabled");
      if (!p) return std::nullopt;
      options.port = *p;
    } else if (key == "user" || key == "database") {
      if (item.is_null()) continue;
      if (!item.is_string() || !is_database_name(item.get_ref<const std::string&>())) {
        warn(item_path, "not [A-Za-z0-9_][A-Za-z0-9_.$-]{0,62} (section disabled)");
        return std::nullopt;
      }
      (key == "user" ? options.user : options.database) = item.get<std::string>();
    } else if (key == "password") {
      bool ok = true;
      options.password = secret(item_path, item, k_password_max_bytes, ok, "section disabled");
      if (!ok) return std::nullopt;
    } else if (key == "socket") {
      if (item.is_null()) continue;
      if (!item.is_string() || !one_of(item.get_ref<const std::string&>(), k_mysql_sockets)) {
        warn(item_path, "not one of the MySQL server socket paths (section disabled)");
        return std::nullopt;
      }
      options.socket = item.get<std::string>();
    } else {
      unknown(path, key);
    }
  }
  return options;
}

std::optional<DockerOptions> Validator::read_docker(const Json& value) {
  const std::string path = "config.docker";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  DockerOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const Json& item = it.value();
    if (it.key() != "socket_url") {
      unknown(path, it.key());
      continue;
    }
    if (item.is_null()) {
      options.socket_path.reset();
      continue;
    }
    const bool ok = item.is_string() && item.get_ref<const std::string&>().rfind("unix://", 0) == 0 &&
                    one_of(std::string_view(item.get_ref<const std::string&>()).substr(7), k_docker_sockets);
    if (!ok) {
      warn(at(path, it.key()),
           "not unix:// with /var/run/docker.sock, /run/docker.sock, /run/podman/podman.sock or "
           "/var/run/podman/podman.sock (section disabled)");
      return std::nullopt;
    }
    options.socket_path = item.get<std::string>().substr(7);
  }
  return options;
}

std::optional<QemuOptions> Validator::read_qemu(const Json& value) {
  const std::string path = "config.qemu";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  QemuOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const Json& item = it.value();
    if (it.key() != "uri") {
      unknown(path, it.key());
      continue;
    }
    if (item.is_null()) continue;
    if (!item.is_string() || (item.get_ref<const std::string&>() != "qemu:///system" &&
                              item.get_ref<const std::string&>() != "qemu:///session")) {
      warn(at(path, it.key()), "not qemu:///system or qemu:///session (section disabled)");
      return std::nullopt;
    }
    options.uri = item.get<std::string>();
  }
  return options;
}

std::optional<ProxmoxOptions> Validator::read_proxmox(const Json& value) {
  const std::string path = "config.proxmox";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  ProxmoxOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    if (key == "host") {
      auto host = loopback_host(item_path, item);
      if (!host) return std::nullopt;
      options.host = std::move(*host);
    } else if (key == "port") {
      const auto p = port(item_path, item, "section disabled");
      if (!p) return std::nullopt;
      options.port = *p;
    } else if (key == "token_id") {
      if (item.is_null()) continue;
      if (!item.is_string() || !is_proxmox_token_id(item.get_ref<const std::string&>())) {
        warn(item_path, "not USER@REALM!TOKENID of at most 128 bytes (section disabled)");
        return std::nullopt;
      }
      options.token_id = item.get<std::string>();
    } else if (key == "token_secret") {
      bool ok = true;
      auto secret_value = secret(item_path, item, k_text_max_bytes, ok, "section disabled");
      if (!ok) return std::nullopt;
      if (secret_value && !is_uuid(*secret_value)) {
        warn(item_path, "not a UUID (section disabled)");
        return std::nullopt;
      }
      options.token_secret = std::move(secret_value);
    } else if (key == "verify_ssl") {
      if (item.is_boolean() && item.get<bool>()) continue;
      warn(item_path,
           item.is_boolean() ? "false refused (TLS is always verified)" : "not a boolean (TLS is always verified)");
    } else {
      unknown(path, key);
    }
  }
  return options;
}

std::optional<SystemdOptions> Validator::read_systemd(const Json& value) {
  const std::string path = "config.systemd";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  SystemdOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    if (key == "scan") {
      options.scan = flag(item_path, item);
    } else if (key == "unit_types") {
      // A comma-separated string or a list of names.
      std::vector<std::pair<std::string, std::string>> names;  // (path, name)
      if (item.is_string()) {
        const std::string& list = item.get_ref<const std::string&>();
        if (list.size() > k_text_max_bytes) {
          warn(item_path, "longer than 256 bytes (default used)");
          continue;
        }
        std::size_t start = 0;
        while (start <= list.size()) {
          const auto comma = list.find(',', start);
          names.emplace_back(item_path,
                             list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      } else if (item.is_array()) {
        if (item.size() > k_systemd_unit_types.size() * 2) {
          warn(item_path, "more than 22 entries (default used)");
          continue;
        }
        for (std::size_t i = 0; i < item.size(); ++i) {
          names.emplace_back(at(item_path, i), item[i].is_string() ? item[i].get<std::string>() : std::string("\x01"));
        }
      } else {
        warn(item_path, "not a string or an array (default used)");
        continue;
      }
      std::vector<std::string> types;
      for (const auto& [name_path, name] : names) {
        if (!one_of(name, k_systemd_unit_types)) {
          warn(name_path, "not a systemd unit type (skipped)");
        } else if (std::find(types.begin(), types.end(), name) != types.end()) {
          warn(name_path, "duplicate (removed)");
        } else {
          types.push_back(name);
        }
      }
      if (types.empty()) {
        warn(item_path, "no valid unit type (default used)");
      } else {
        options.unit_types = std::move(types);
      }
    } else if (key == "last_inventory_hash") {
      if (item.is_null()) {
        options.last_inventory_hash = EchoedHash{true, std::nullopt};
        continue;
      }
      auto checked = hash(item_path, item);
      options.last_inventory_hash = checked ? EchoedHash{true, std::move(checked)} : EchoedHash{};
    } else {
      unknown(path, key);
    }
  }
  return options;
}

std::optional<std::vector<PingTarget>> Validator::read_ping(const Json& value) {
  const std::string path = "config.ping";
  if (!container_or_off(path, value, false)) return std::nullopt;
  if (value.size() > k_max_ping_entries) {
    warn(path, "more than " + std::to_string(k_max_ping_entries) + " entries (section disabled)");
    return std::nullopt;
  }
  std::vector<PingTarget> targets;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& region = it.key();
    const std::string item_path = at(path, shown_key(region));
    if (!is_word(region, 32, "_-") ||
        std::any_of(region.begin(), region.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      warn(item_path, "region is not [a-z0-9_-]{1,32} (skipped)");
      continue;
    }
    const Json& item = it.value();
    if (!item.is_string()) {
      warn(item_path, "not a string (skipped)");
      continue;
    }
    const std::string& host = item.get_ref<const std::string&>();
    if (const auto literal = parse_ip_literal(host)) {
      if (!is_global_unicast(*literal)) {
        warn(item_path, "not a global unicast address (skipped)");
        continue;
      }
    } else if (!is_host_name(host)) {
      warn(item_path, "not a host name or an IP literal (skipped)");
      continue;
    }
    targets.push_back(PingTarget{region, host});
  }
  if (targets.empty()) {
    warn(path, "no valid entry (section disabled)");
    return std::nullopt;
  }
  return targets;
}

std::optional<SnmpTarget> Validator::read_snmp_target(const std::string& path, const Json& value) {
  if (!value.is_object()) {
    warn(path, "not an object (skipped)");
    return std::nullopt;
  }
  SnmpTarget target;
  bool has_id = false;
  const std::string skip = "target skipped";
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    bool ok = true;
    if (key == "device_id") {
      if (!item.is_string() || !is_identifier(item.get_ref<const std::string&>())) {
        warn(item_path, "not 1..128 of A-Z a-z 0-9 . _ : - (target skipped)");
        return std::nullopt;
      }
      target.device_id = item.get<std::string>();
      has_id = true;
    } else if (key == "ip") {
      if (item.is_null()) continue;
      if (!item.is_string() || !is_network_host(item.get_ref<const std::string&>())) {
        warn(item_path, "not a host name or an IP literal (target skipped)");
        return std::nullopt;
      }
      target.ip = item.get<std::string>();
    } else if (key == "port") {
      if (item.is_null()) continue;
      const auto p = port(item_path, item, skip);
      if (!p) return std::nullopt;
      target.port = *p;
    } else if (key == "version") {
      if (!item.is_string() ||
          (item.get_ref<const std::string&>() != "v2c" && item.get_ref<const std::string&>() != "v3")) {
        warn(item_path, "not v2c or v3 (target skipped)");
        return std::nullopt;
      }
      target.version = item.get<std::string>();
    } else if (key == "community") {
      if (item.is_null()) continue;
      auto community = secret(item_path, item, k_text_max_bytes, ok, skip);
      if (!ok) return std::nullopt;
      target.community = std::move(*community);
    } else if (key == "username") {
      if (item.is_null()) continue;
      auto name = text(item_path, item, k_text_max_bytes, skip);
      if (!name || name->empty()) {
        if (name) warn(item_path, "empty (target skipped)");
        return std::nullopt;
      }
      target.username = std::move(name);
    } else if (key == "security_level" || key == "auth_protocol" || key == "priv_protocol") {
      if (item.is_null()) continue;
      static const std::array<std::string_view, 3> levels = {"no_auth_no_priv", "auth_no_priv", "auth_priv"};
      static const std::array<std::string_view, 2> auth = {"md5", "sha"};
      static const std::array<std::string_view, 2> priv = {"des", "aes"};
      const bool valid =
          item.is_string() && (key == "security_level"  ? one_of(item.get_ref<const std::string&>(), levels)
                               : key == "auth_protocol" ? one_of(item.get_ref<const std::string&>(), auth)
                                                        : one_of(item.get_ref<const std::string&>(), priv));
      if (!valid) {
        warn(item_path, key == "security_level"  ? "not no_auth_no_priv, auth_no_priv or auth_priv (target skipped)"
                        : key == "auth_protocol" ? "not md5 or sha (target skipped)"
                                                 : "not des or aes (target skipped)");
        return std::nullopt;
      }
      (key == "security_level"  ? target.security_level
       : key == "auth_protocol" ? target.auth_protocol
                                : target.priv_protocol) = item.get<std::string>();
    } else if (key == "auth_password" || key == "priv_password") {
      auto password = secret(item_path, item, k_password_max_bytes, ok, skip);
      if (!ok) return std::nullopt;
      (key == "auth_password" ? target.auth_password : target.priv_password) = std::move(password);
    } else if (key == "interval") {
      target.interval = std::chrono::seconds(whole_clamped(item_path, item, 1, 86400, 60, "default 60 used"));
    } else if (key == "capabilities") {
      if (!item.is_array()) {
        warn(item_path, "not an array (default used)");
        continue;
      }
      std::vector<std::string> capabilities;
      for (std::size_t i = 0; i < item.size() && i < 16; ++i) {
        if (!item[i].is_string() || !one_of(item[i].get_ref<const std::string&>(), k_snmp_capabilities)) {
          warn(at(item_path, i), "not system or if_table (skipped)");
        } else if (std::find(capabilities.begin(), capabilities.end(), item[i].get<std::string>()) !=
                   capabilities.end()) {
          warn(at(item_path, i), "duplicate (removed)");
        } else {
          capabilities.push_back(item[i].get<std::string>());
        }
      }
      if (item.size() > 16) warn(item_path, "more than 16 entries (rest dropped)");
      target.capabilities = std::move(capabilities);
    } else if (key == "custom_oids") {
      if (!item.is_array()) {
        warn(item_path, "not an array (dropped)");
        continue;
      }
      if (item.size() > k_max_snmp_custom_oids) {
        warn(item_path, "more than " + std::to_string(k_max_snmp_custom_oids) + " entries (target skipped)");
        return std::nullopt;
      }
      for (std::size_t i = 0; i < item.size(); ++i) {
        const Json& entry = item[i];
        const auto field = [&](const char* name) -> std::string {
          if (!entry.is_object()) return {};
          const auto found = entry.find(name);
          return found != entry.end() && found->is_string() ? found->get<std::string>() : std::string();
        };
        SnmpCustomOid oid{field("name"), field("oid"), field("type")};
        std::string_view numeric = oid.oid;
        if (!numeric.empty() && numeric.front() == '.') numeric.remove_prefix(1);
        const bool oid_ok = is_word(numeric, 512, ".") && numeric.front() != '.' && numeric.back() != '.' &&
                            numeric.find("..") == std::string_view::npos &&
                            std::all_of(numeric.begin(), numeric.end(), [](char c) { return is_digit(c) || c == '.'; });
        bool only_known = entry.is_object();
        if (only_known) {
          for (auto e = entry.begin(); e != entry.end(); ++e) {
            if (e.key() != "name" && e.key() != "oid" && e.key() != "type") only_known = false;
          }
        }
        if (!entry.is_object() || !is_word(oid.name, 64, "._-") || !oid_ok ||
            (oid.type != "gauge" && oid.type != "counter" && oid.type != "string") || !only_known) {
          warn(at(item_path, i), "not {name, oid, type: gauge|counter|string} (skipped)");
          continue;
        }
        target.custom_oids.push_back(std::move(oid));
      }
    } else {
      unknown(path, key);
    }
  }
  if (!has_id) {
    warn(at(path, "device_id"), "missing (target skipped)");
    return std::nullopt;
  }
  if (target.version == "v3" && !target.username) {
    warn(at(path, "username"), "missing for v3 (target skipped)");
    return std::nullopt;
  }
  return target;
}

std::optional<std::vector<SnmpTarget>> Validator::read_snmp_targets(const Json& value) {
  const std::string path = "config.snmp_targets";
  if (!container_or_off(path, value, true)) return std::nullopt;
  if (value.size() > k_max_snmp_targets) {
    warn(path, "more than " + std::to_string(k_max_snmp_targets) + " entries (section disabled)");
    return std::nullopt;
  }
  std::vector<SnmpTarget> targets;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto target = read_snmp_target(at(path, i), value[i]);
    if (!target) continue;
    const bool duplicate = std::any_of(targets.begin(), targets.end(),
                                       [&](const SnmpTarget& t) { return t.device_id == target->device_id; });
    if (duplicate) {
      warn(at(at(path, i), "device_id"), "duplicate (target skipped)");
      continue;
    }
    targets.push_back(std::move(*target));
  }
  if (targets.empty()) {
    warn(path, "no valid entry (section disabled)");
    return std::nullopt;
  }
  return targets;
}

std::optional<MqttBroker> Validator::read_mqtt_broker(const std::string& path, const Json& value) {
  if (!value.is_object()) {
    warn(path, "not an object (skipped)");
    return std::nullopt;
  }
  MqttBroker broker;
  bool has_id = false;
  bool has_host = false;
  const std::string skip = "broker skipped";
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    const Json& item = it.value();
    const std::string item_path = at(path, key);
    bool ok = true;
    if (key == "broker_id") {
      if (!item.is_string() || !is_identifier(item.get_ref<const std::string&>())) {
        warn(item_path, "not 1..128 of A-Z a-z 0-9 . _ : - (broker skipped)");
        return std::nullopt;
      }
      broker.broker_id = item.get<std::string>();
      has_id = true;
    } else if (key == "host") {
      if (!item.is_string() || !is_network_host(item.get_ref<const std::string&>())) {
        warn(item_path, "not a host name or an IP literal (broker skipped)");
        return std::nullopt;
      }
      broker.host = item.get<std::string>();
      has_host = true;
    } else if (key == "port") {
      if (item.is_null()) continue;
      const auto p = port(item_path, item, skip);
      if (!p) return std::nullopt;
      broker.port = *p;
    } else if (key == "tls") {
      broker.tls = flag(item_path, item);
    } else if (key == "username") {
      if (item.is_null()) continue;
      auto name = text(item_path, item, k_text_max_bytes, skip);
      if (!name) return std::nullopt;
      broker.username = std::move(name);
    } else if (key == "password") {
      broker.password = secret(item_path, item, k_password_max_bytes, ok, skip);
      if (!ok) return std::nullopt;
    } else if (key == "monitors") {
      if (!item.is_array()) {
        warn(item_path, "not an array (broker skipped)");
        return std::nullopt;
      }
      if (item.size() > k_max_mqtt_monitors) {
        warn(item_path, "more than " + std::to_string(k_max_mqtt_monitors) + " entries (broker skipped)");
        return std::nullopt;
      }
      for (std::size_t i = 0; i < item.size(); ++i) {
        const Json& entry = item[i];
        const std::string entry_path = at(item_path, i);
        if (!entry.is_object()) {
          warn(entry_path, "not an object (skipped)");
          continue;
        }
        MqttMonitor monitor;
        bool valid = true;
        bool has_monitor_id = false;
        for (auto e = entry.begin(); e != entry.end() && valid; ++e) {
          if (e.key() == "id") {
            valid = e->is_string() && is_identifier(e->get_ref<const std::string&>());
            if (!valid) warn(at(entry_path, "id"), "not 1..128 of A-Z a-z 0-9 . _ : - (skipped)");
            else monitor.id = e->get<std::string>(), has_monitor_id = true;
          } else if (e.key() == "topic_filter") {
            valid = e->is_string() &&
                    text_problem(e->get_ref<const std::string&>(), k_max_topic_filter_bytes).empty() &&
                    is_topic_filter(e->get_ref<const std::string&>());
            if (!valid) warn(at(entry_path, "topic_filter"), "not an MQTT topic filter (skipped)");
            else monitor.topic_filter = e->get<std::string>();
          } else if (e.key() == "capture_payload") {
            monitor.capture_payload = flag(at(entry_path, "capture_payload"), *e);
          } else {
            unknown(entry_path, e.key());
          }
        }
        if (!valid) continue;
        if (!has_monitor_id || monitor.topic_filter.empty()) {
          warn(entry_path, "needs an id and a topic_filter (skipped)");
          continue;
        }
        const bool duplicate = std::any_of(broker.monitors.begin(), broker.monitors.end(),
                                           [&](const MqttMonitor& m) { return m.id == monitor.id; });
        if (duplicate) {
          warn(at(entry_path, "id"), "duplicate (skipped)");
          continue;
        }
        broker.monitors.push_back(std::move(monitor));
      }
    } else {
      unknown(path, key);
    }
  }
  if (!has_id) {
    warn(at(path, "broker_id"), "missing (broker skipped)");
    return std::nullopt;
  }
  if (!has_host) {
    warn(at(path, "host"), "missing (broker skipped)");
    return std::nullopt;
  }
  return broker;
}

std::optional<std::vector<MqttBroker>> Validator::read_mqtt(const Json& value) {
  const std::string path = "config.mqtt";
  if (!container_or_off(path, value, true)) return std::nullopt;
  if (value.size() > k_max_mqtt_brokers) {
    warn(path, "more than " + std::to_string(k_max_mqtt_brokers) + " entries (section disabled)");
    return std::nullopt;
  }
  std::vector<MqttBroker> brokers;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto broker = read_mqtt_broker(at(path, i), value[i]);
    if (!broker) continue;
    const bool duplicate = std::any_of(brokers.begin(), brokers.end(),
                                       [&](const MqttBroker& b) { return b.broker_id == broker->broker_id; });
    if (duplicate) {
      warn(at(at(path, i), "broker_id"), "duplicate (broker skipped)");
      continue;
    }
    brokers.push_back(std::move(*broker));
  }
  if (brokers.empty()) {
    warn(path, "no valid entry (section disabled)");
    return std::nullopt;
  }
  return brokers;
}

std::optional<PackagesOptions> Validator::read_packages(const Json& value) {
  const std::string path = "config.packages";
  const Shape shape = section_shape(path, value);
  if (shape == Shape::off) return std::nullopt;
  PackagesOptions options;
  if (shape == Shape::defaults) return options;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto& key = it.key();
    if (key == "scan") {
      options.scan = flag(at(path, key), it.value());
    } else if (key == "last_package_hash") {
      if (it.value().is_null()) continue;
      options.last_package_hash = hash(at(path, key), it.value());
    } else {
      unknown(path, key);
    }
  }
  return options;
}

}  // namespace

bool json_truthy(const ConfigJson& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return false;
    case Json::value_t::boolean:
      return value.get<bool>();
    case Json::value_t::number_integer:
      return value.get<std::int64_t>() != 0;
    case Json::value_t::number_unsigned:
      return value.get<std::uint64_t>() != 0;
    case Json::value_t::number_float:
      return value.get<double>() != 0.0;
    case Json::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object:
      return !value.empty();
    default:
      return false;
  }
}

bool is_canonical_decimal(std::string_view text) {
  if (text.empty() || text.size() > 10) return false;
  if (text.size() > 1 && text.front() == '0') return false;
  return std::all_of(text.begin(), text.end(), is_digit);
}

bool is_systemd_unit_name(std::string_view text) {
  return !text.empty() && text.front() != '-' && text.front() != '.' && is_word(text, 256, ":_.\\@-");
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::string_view last_label;
  std::size_t start = 0;
  while (true) {
    const auto dot = text.find('.', start);
    const std::string_view label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!is_word(label, 63, "-")) return false;
    last_label = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // A numeric last label makes resolvers read the name as an IPv4 address
  // in one of its short or based forms.
  if (std::all_of(last_label.begin(), last_label.end(), is_digit)) return false;
  if (last_label.size() >= 2 && last_label[0] == '0' && (last_label[1] == 'x' || last_label[1] == 'X') &&
      std::all_of(last_label.begin() + 2, last_label.end(), is_hex)) {
    return false;
  }
  return true;
}

ConfigReadResult validate_config(const ConfigJson& config_object, const RemoteConfig* previous) {
  Validator validator(previous);
  return validator.run(config_object);
}

}  // namespace fivenines
