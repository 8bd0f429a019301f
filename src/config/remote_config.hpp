// The typed form of the `config` object the API sends (wire contract §4,
// validated by the rules of §8 and issue 4). Collectors receive these typed
// options, never raw JSON. Only the validator in config/ builds one from
// outside input; every value here is already checked and bounded.
//
// A section is std::optional: nullopt means "not configured or refused for
// this config" (the collector does not run); a value means "run with these
// options" (defaults filled in).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fivenines {

struct RequestOptions {
  std::chrono::milliseconds timeout{5000};
  int attempts = 3;
  std::chrono::milliseconds retry_interval{5000};
};

// A loopback host (rule 6): the name as configured (lower-case) and the
// literal address every connection is pinned to, so `localhost` is never
// looked up in DNS or NSS.
struct LoopbackHost {
  std::string name = "localhost";     // "localhost", "127.0.0.1" or "::1"
  std::string address = "127.0.0.1";  // "127.0.0.1" or "::1"
};

// A loopback http(s) URL (rule 7) in canonical form: lower-case scheme and
// host, port without leading zeros, path and query as given.
struct LoopbackUrl {
  std::string url;           // the whole canonical URL, e.g. "http://127.0.0.1:8080/nginx_status"
  std::string scheme;        // "http" or "https"
  LoopbackHost host;         // host.name is "::1" for a URL host "[::1]"
  std::uint16_t port = 80;   // explicit, else the scheme's default
  std::string target = "/";  // path and query; "/" when the URL has none
};

struct PortsOptions {
  // Ports reported even when inside the ephemeral range; sorted, unique.
  std::vector<std::uint16_t> monitored_ports;
};

struct LogsOptions {
  std::vector<std::string> units;       // systemd unit names; also the capture_logs allow-list
  double signal_interval_seconds = 60;  // the scan window (> 0, at most 86400)
  bool enabled = true;                  // false: the collector reports an empty window
};

struct CaptureLogsOptions {
  std::string capture_id;
  std::string unit;  // must also be in logs.units to run (checked when used)
  // `since`: a Unix time (journalctl --since @N) or a journalctl time text.
  std::optional<double> since_unix_seconds;
  std::optional<std::string> since_text;
  int lines = 1000;  // 1..10000
  std::optional<std::uint64_t> max_bytes;
  std::optional<double> expiry_unix_seconds;
};

struct CephCluster {
  std::string name = "ceph";           // --cluster NAME (omitted when "ceph")
  std::string id = "fivenines";        // --name client.ID
  std::optional<std::string> keyring;  // a file directly under /etc/ceph/
  std::optional<std::string> conf;     // a file directly under /etc/ceph/
  bool use_sudo = false;
};

struct CephOptions {
  std::vector<CephCluster> clusters;  // at most 16
};

struct ZfsOptions {
  std::chrono::seconds cache_interval{60};  // 1..86400
};

struct RedisOptions {
  std::uint16_t port = 6379;            // the host is always the loopback address
  std::optional<std::string> password;  // no CR/LF, no control characters; secret
};

struct StatusPageOptions {  // nginx, apache
  LoopbackUrl status_page_url;
};

struct CaddyOptions {
  LoopbackUrl admin_api_url;
};

enum class PhpFpmTransport { http, unix_socket, tcp, auto_discover };

struct PhpFpmOptions {
  PhpFpmTransport transport = PhpFpmTransport::http;
  std::string canonical;                // the whole value as validated, e.g. "unix:///run/php/php8.2-fpm.sock/status"
  std::optional<LoopbackUrl> url;       // transport http
  std::string socket_path;              // transport unix_socket
  LoopbackHost tcp_host;                // transport tcp
  std::uint16_t tcp_port = 9000;        // transport tcp
  std::string status_path = "/status";  // path (and query) for unix_socket and tcp
};

struct PostgresqlOptions {
  LoopbackHost host;
  std::uint16_t port = 5432;
  std::string user = "postgres";
  std::string database = "postgres";
  std::optional<std::string> password;  // secret
};

struct MysqlOptions {
  LoopbackHost host;
  std::uint16_t port = 3306;
  std::optional<std::string> user;
  std::optional<std::string> password;  // secret
  std::optional<std::string> database;
  std::optional<std::string> socket;  // one of the allow-listed server socket paths
};

struct DockerOptions {
  // One of the allow-listed socket paths; nullopt: the default socket.
  std::optional<std::string> socket_path;
};

struct QemuOptions {
  std::string uri = "qemu:///system";  // or "qemu:///session"
};

struct ProxmoxOptions {
  LoopbackHost host;
  std::uint16_t port = 8006;
  std::optional<std::string> token_id;      // USER@REALM!TOKENID
  std::optional<std::string> token_secret;  // a UUID; secret
  // TLS is always verified: a `false` from the API is refused.
  static constexpr bool verify_ssl = true;
};

// A hash the server echoes back: absent, an explicit null (the server lost
// its copy), or a value.
struct EchoedHash {
  bool present = false;
  std::optional<std::string> value;  // 64 lower-case hex digits
};

struct SystemdOptions {
  bool scan = false;
  std::vector<std::string> unit_types{"service", "timer", "socket"};
  EchoedHash last_inventory_hash;
};

struct PingTarget {
  std::string region;  // ^[a-z0-9_-]{1,32}$, payload key ping_<region>
  std::string host;    // a host name or an IP literal (global unicast)
};

struct SnmpCustomOid {
  std::string name;
  std::string oid;   // numeric, dotted
  std::string type;  // "gauge", "counter" or "string"
};

struct SnmpTarget {
  std::string device_id;
  std::string ip = "127.0.0.1";  // host name or IP literal
  std::uint16_t port = 161;
  std::string version = "v2c";       // "v2c" or "v3"
  std::string community = "public";  // secret
  std::optional<std::string> username;
  std::optional<std::string> security_level;  // no_auth_no_priv, auth_no_priv, auth_priv
  std::optional<std::string> auth_protocol;   // md5, sha
  std::optional<std::string> auth_password;   // secret
  std::optional<std::string> priv_protocol;   // des, aes
  std::optional<std::string> priv_password;   // secret
  std::chrono::seconds interval{60};
  std::vector<std::string> capabilities{"system", "if_table"};
  std::vector<SnmpCustomOid> custom_oids;
};

struct MqttMonitor {
  std::string id;
  std::string topic_filter;
  bool capture_payload = false;
};

struct MqttBroker {
  std::string broker_id;
  std::string host;  // host name or IP literal
  std::uint16_t port = 1883;
  bool tls = false;
  std::optional<std::string> username;
  std::optional<std::string> password;  // secret
  std::vector<MqttMonitor> monitors;
};

struct PackagesOptions {
  bool scan = false;
  std::optional<std::string> last_package_hash;  // 64 lower-case hex digits
};

struct RemoteConfig {
  bool enabled = false;
  std::chrono::seconds interval{60};  // 30..3600
  RequestOptions request_options;

  // Capability re-probe nonce: the value as compact JSON text; nullopt for
  // absent or null (wire contract §4, §7.3).
  std::optional<std::string> permissions_recheck_token;
  // Pending-capability re-probe throttle, already capped at 3600 s; the
  // loop applies max(interval, this). nullopt: every tick.
  std::optional<std::chrono::duration<double>> permissions_recheck_interval;

  // Simple on/off collectors (config value truthy).
  bool cpu = false;
  bool memory = false;
  bool network = false;
  bool partitions = false;
  bool io = false;
  bool processes = false;
  bool temperatures = false;
  bool fans = false;
  bool nvidia_gpu = false;
  bool smart_storage_health = false;
  bool raid_storage_health = false;
  bool fail2ban = false;
  bool disk_health = false;
  bool swap = false;  // listed by §8; the memory collector always sends swap
  bool ipv4 = false;
  bool ipv6 = false;

  // `ports` is `true` or `{"monitored_ports": [...]}`.
  std::optional<PortsOptions> ports;
  std::optional<LogsOptions> logs;
  std::optional<CaptureLogsOptions> capture_logs;
  std::optional<CephOptions> ceph;
  std::optional<ZfsOptions> zfs;
  std::optional<RedisOptions> redis;
  std::optional<StatusPageOptions> nginx;
  std::optional<StatusPageOptions> apache;
  std::optional<PhpFpmOptions> php_fpm;
  std::optional<CaddyOptions> caddy;
  std::optional<PostgresqlOptions> postgresql;
  std::optional<MysqlOptions> mysql;
  std::optional<DockerOptions> docker;
  std::optional<QemuOptions> qemu;
  std::optional<ProxmoxOptions> proxmox;
  std::optional<SystemdOptions> systemd;
  std::optional<std::vector<PingTarget>> ping;          // non-empty when set
  std::optional<std::vector<SnmpTarget>> snmp_targets;  // non-empty when set
  std::optional<std::vector<MqttBroker>> mqtt;          // non-empty when set
  std::optional<PackagesOptions> packages;

  // The built-in config of a dry run without --config: every core collector.
  static RemoteConfig core_collectors();
};

// The on/off keys of a config and the member each sets, in the contract's
// order: the validator reads them and `config check` writes them from this
// one list.
inline constexpr std::pair<std::string_view, bool RemoteConfig::*> k_remote_config_flags[] = {
    {"cpu", &RemoteConfig::cpu},
    {"memory", &RemoteConfig::memory},
    {"network", &RemoteConfig::network},
    {"partitions", &RemoteConfig::partitions},
    {"io", &RemoteConfig::io},
    {"processes", &RemoteConfig::processes},
    {"temperatures", &RemoteConfig::temperatures},
    {"fans", &RemoteConfig::fans},
    {"nvidia_gpu", &RemoteConfig::nvidia_gpu},
    {"smart_storage_health", &RemoteConfig::smart_storage_health},
    {"raid_storage_health", &RemoteConfig::raid_storage_health},
    {"fail2ban", &RemoteConfig::fail2ban},
    {"disk_health", &RemoteConfig::disk_health},
    {"swap", &RemoteConfig::swap},
    {"ipv4", &RemoteConfig::ipv4},
    {"ipv6", &RemoteConfig::ipv6},
};

inline RemoteConfig RemoteConfig::core_collectors() {
  RemoteConfig config;
  config.enabled = true;
  config.cpu = config.memory = config.network = config.partitions = config.io = config.processes = true;
  config.ports = PortsOptions{};
  return config;
}

}  // namespace fivenines
