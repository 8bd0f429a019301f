#include "config/config_writer.hpp"

#include <cmath>

#include "util/json_writer.hpp"

namespace fivenines {

namespace {

class ConfigWriter {
 public:
  ConfigWriter(const RemoteConfig& config, SecretMode secrets) : m_config(config), m_secrets(secrets) {}

  std::string write(std::span<const std::string> keys) {
    m_out.begin_object();
    for (const auto& key : keys) {
      m_out.key(key);
      value(key);
    }
    m_out.end_object();
    return m_out.take();
  }

 private:
  // Whole numbers as integers (as the API sends them), others as floats.
  void number(double value) {
    if (std::nearbyint(value) == value && std::fabs(value) < 1e15) {
      m_out.integer(static_cast<std::int64_t>(value));
    } else {
      m_out.number(value);
    }
  }
  void seconds(std::chrono::milliseconds duration) { number(static_cast<double>(duration.count()) / 1000.0); }
  void text(const std::optional<std::string>& value) {
    if (value) m_out.string(*value);
    else m_out.null();
  }
  void secret(const std::optional<std::string>& value) {
    if (!value) m_out.null();
    else m_out.string(m_secrets == SecretMode::redact ? std::string_view(k_redacted) : std::string_view(*value));
  }
  void strings(const std::vector<std::string>& values) {
    m_out.begin_array();
    for (const auto& v : values) m_out.string(v);
    m_out.end_array();
  }
  template <typename T, typename Fn>
  void section(const std::optional<T>& value, Fn&& body) {
    if (!value) {
      m_out.null();
      return;
    }
    m_out.begin_object();
    body(*value);
    m_out.end_object();
  }
  void field(std::string_view key) { m_out.key(key); }

  void value(const std::string& key);
  void snmp_target(const SnmpTarget& target);
  void mqtt_broker(const MqttBroker& broker);

  const RemoteConfig& m_config;
  SecretMode m_secrets;
  JsonWriter m_out;
};

void ConfigWriter::value(const std::string& key) {
  const RemoteConfig& c = m_config;
  if (key == "enabled") return m_out.boolean(c.enabled);
  if (key == "interval") return m_out.integer(c.interval.count());
  if (key == "request_options") {
    m_out.begin_object();
    field("timeout");
    seconds(c.request_options.timeout);
    field("retry");
    m_out.integer(c.request_options.attempts);
    field("retry_interval");
    seconds(c.request_options.retry_interval);
    m_out.end_object();
    return;
  }
  if (key == "permissions_recheck_token") {
    if (c.permissions_recheck_token) m_out.raw(*c.permissions_recheck_token);
    else m_out.null();
    return;
  }
  if (key == "permissions_recheck_interval") {
    if (c.permissions_recheck_interval) number(c.permissions_recheck_interval->count());
    else m_out.null();
    return;
  }
  for (const auto& [name, member] : k_remote_config_flags) {
    if (key == name) return m_out.boolean(c.*member);
  }
  if (key == "ports") {
    return section(c.ports, [&](const PortsOptions& o) {
      field("monitored_ports");
      m_out.begin_array();
      for (auto port : o.monitored_ports) m_out.integer(port);
      m_out.end_array();
    });
  }
  if (key == "logs") {
    return section(c.logs, [&](const LogsOptions& o) {
      field("units");
      strings(o.units);
      field("signal_interval_s");
      number(o.signal_interval_seconds);
      field("enabled");
      m_out.boolean(o.enabled);
    });
  }
  if (key == "capture_logs") {
    return section(c.capture_logs, [&](const CaptureLogsOptions& o) {
      field("capture_id");
      m_out.string(o.capture_id);
      field("unit");
      m_out.string(o.unit);
      field("since");
      if (o.since_unix_seconds) number(*o.since_unix_seconds);
      else text(o.since_text);
      field("lines");
      m_out.integer(o.lines);
      field("max_bytes");
      if (o.max_bytes) m_out.unsigned_integer(*o.max_bytes);
      else m_out.null();
      field("expiry");
      if (o.expiry_unix_seconds) number(*o.expiry_unix_seconds);
      else m_out.null();
    });
  }
  if (key == "ceph") {
    return section(c.ceph, [&](const CephOptions& o) {
      field("clusters");
      m_out.begin_array();
      for (const auto& cluster : o.clusters) {
        m_out.begin_object();
        field("name");
        m_out.string(cluster.name);
        field("id");
        m_out.string(cluster.id);
        field("keyring");
        text(cluster.keyring);
        field("conf");
        text(cluster.conf);
        field("use_sudo");
        m_out.boolean(cluster.use_sudo);
        m_out.end_object();
      }
      m_out.end_array();
    });
  }
  if (key == "zfs") {
    return section(c.zfs, [&](const ZfsOptions& o) {
      field("interval");
      m_out.integer(o.cache_interval.count());
    });
  }
  if (key == "redis") {
    return section(c.redis, [&](const RedisOptions& o) {
      field("port");
      m_out.integer(o.port);
      field("password");
      secret(o.password);
    });
  }
  if (key == "nginx" || key == "apache") {
    return section(key == "nginx" ? c.nginx : c.apache, [&](const StatusPageOptions& o) {
      field("status_page_url");
      m_out.string(o.status_page_url.url);
    });
  }
  if (key == "php_fpm") {
    return section(c.php_fpm, [&](const PhpFpmOptions& o) {
      field("status_page_url");
      m_out.string(o.canonical);
    });
  }
  if (key == "caddy") {
    return section(c.caddy, [&](const CaddyOptions& o) {
      field("admin_api_url");
      m_out.string(o.admin_api_url.url);
    });
  }
  if (key == "postgresql") {
    return section(c.postgresql, [&](const PostgresqlOptions& o) {
      field("host");
      m_out.string(o.host.name);
      field("port");
      m_out.integer(o.port);
      field("user");
      m_out.string(o.user);
      field("password");
      secret(o.password);
      field("database");
      m_out.string(o.database);
    });
  }
  if (key == "mysql") {
    return section(c.mysql, [&](const MysqlOptions& o) {
      field("host");
      m_out.string(o.host.name);
      field("port");
      m_out.integer(o.port);
      field("user");
      text(o.user);
      field("password");
      secret(o.password);
      field("database");
      text(o.database);
      field("socket");
      text(o.socket);
    });
  }
  if (key == "docker") {
    return section(c.docker, [&](const DockerOptions& o) {
      field("socket_url");
      if (o.socket_path) m_out.string("unix://" + *o.socket_path);
      else m_out.null();
    });
  }
  if (key == "qemu") {
    return section(c.qemu, [&](const QemuOptions& o) {
      field("uri");
      m_out.string(o.uri);
    });
  }
  if (key == "proxmox") {
    return section(c.proxmox, [&](const ProxmoxOptions& o) {
      field("host");
      m_out.string(o.host.name);
      field("port");
      m_out.integer(o.port);
      field("token_id");
      text(o.token_id);
      field("token_secret");
      secret(o.token_secret);
      field("verify_ssl");
      m_out.boolean(ProxmoxOptions::verify_ssl);
    });
  }
  if (key == "systemd") {
    return section(c.systemd, [&](const SystemdOptions& o) {
      field("scan");
      m_out.boolean(o.scan);
      field("unit_types");
      strings(o.unit_types);
      if (o.last_inventory_hash.present) {
        field("last_inventory_hash");
        text(o.last_inventory_hash.value);
      }
    });
  }
  if (key == "ping") {
    if (!c.ping) return m_out.null();
    m_out.begin_object();
    for (const auto& target : *c.ping) {
      field(target.region);
      m_out.string(target.host);
    }
    m_out.end_object();
    return;
  }
  if (key == "snmp_targets") {
    if (!c.snmp_targets) return m_out.null();
    m_out.begin_array();
    for (const auto& target : *c.snmp_targets) snmp_target(target);
    m_out.end_array();
    return;
  }
  if (key == "mqtt") {
    if (!c.mqtt) return m_out.null();
    m_out.begin_array();
    for (const auto& broker : *c.mqtt) mqtt_broker(broker);
    m_out.end_array();
    return;
  }
  if (key == "packages") {
    return section(c.packages, [&](const PackagesOptions& o) {
      field("scan");
      m_out.boolean(o.scan);
      field("last_package_hash");
      text(o.last_package_hash);
    });
  }
  m_out.null();  // not a key the validator keeps
}

void ConfigWriter::snmp_target(const SnmpTarget& t) {
  m_out.begin_object();
  field("device_id");
  m_out.string(t.device_id);
  field("ip");
  m_out.string(t.ip);
  field("port");
  m_out.integer(t.port);
  field("version");
  m_out.string(t.version);
  field("community");
  secret(t.community);
  field("username");
  text(t.username);
  field("security_level");
  text(t.security_level);
  field("auth_protocol");
  text(t.auth_protocol);
  field("auth_password");
  secret(t.auth_password);
  field("priv_protocol");
  text(t.priv_protocol);
  field("priv_password");
  secret(t.priv_password);
  field("interval");
  m_out.integer(t.interval.count());
  field("capabilities");
  strings(t.capabilities);
  field("custom_oids");
  m_out.begin_array();
  for (const auto& oid : t.custom_oids) {
    m_out.begin_object();
    field("name");
    m_out.string(oid.name);
    field("oid");
    m_out.string(oid.oid);
    field("type");
    m_out.string(oid.type);
    m_out.end_object();
  }
  m_out.end_array();
  m_out.end_object();
}

void ConfigWriter::mqtt_broker(const MqttBroker& b) {
  m_out.begin_object();
  field("broker_id");
  m_out.string(b.broker_id);
  field("host");
  m_out.string(b.host);
  field("port");
  m_out.integer(b.port);
  field("tls");
  m_out.boolean(b.tls);
  field("username");
  text(b.username);
  field("password");
  secret(b.password);
  field("monitors");
  m_out.begin_array();
  for (const auto& monitor : b.monitors) {
    m_out.begin_object();
    field("id");
    m_out.string(monitor.id);
    field("topic_filter");
    m_out.string(monitor.topic_filter);
    field("capture_payload");
    m_out.boolean(monitor.capture_payload);
    m_out.end_object();
  }
  m_out.end_array();
  m_out.end_object();
}

}  // namespace

std::string write_config_json(const RemoteConfig& config, std::span<const std::string> keys, SecretMode secrets) {
  ConfigWriter writer(config, secrets);
  return writer.write(keys);
}

}  // namespace fivenines
