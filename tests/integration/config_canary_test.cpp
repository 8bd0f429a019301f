// The canary end-to-end test (issue 4): hostile configs point nginx,
// caddy, apache, php_fpm, postgresql and proxmox at a canary listener on
// 127.0.0.2 (loopback, but not an allowed address) and docker at a canary
// unix socket in /tmp. Three layers:
//   - the real clients (platform/loopback_http, platform/postgres_connection,
//     and a unix-socket connect for docker, which has no client yet) are
//     driven with exactly what the validator let through, while HTTP_PROXY,
//     ALL_PROXY and PGHOST/PGHOSTADDR/PGPORT also point at the canary; the
//     canary gets nothing;
//   - the same drive with an allowed config reaches a control canary on
//     127.0.0.1 (same port) once per client, and a direct connection does
//     reach the 127.0.0.2 canary: so the test can fail;
//   - the built binary's dry run connects nowhere and `config check`
//     reports every hostile section as disabled with a warning.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/config_validator.hpp"
#include "config/json_gate.hpp"
#include "config/loopback_target.hpp"
#include "platform/loopback_http.hpp"
#include "platform/postgres_connection.hpp"

#include "support/loopback_servers.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using testing::CanaryListener;

class TempDir {
 public:
  TempDir() {
    // Under /tmp on purpose: the issue names a canary socket in /tmp.
    std::string pattern = "/tmp/fivenines-canary-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) m_path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (m_path / name).string(); }

 private:
  fs::path m_path;
};

struct AgentRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

AgentRun run_agent(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> words = {FIVENINES_AGENT_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  std::string config_dir = "CONFIG_DIR=" + dir.file("etc");
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  std::vector<char*> envp = {config_dir.data(), path.data(), nullptr};
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, dir.file("stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_addopen(&actions, 2, dir.file("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  AgentRun run;
  pid_t pid = -1;
  if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  ::posix_spawn_file_actions_destroy(&actions);
  run.out = slurp(dir.file("stdout"));
  run.err = slurp(dir.file("stderr"));
  return run;
}

// Runs every real client the validated config enables, as its collector
// would, with a short deadline; returns how many clients were driven.
int drive_clients(const RemoteConfig& config) {
  using namespace std::chrono_literals;
  int driven = 0;
  const auto http = [&](const LoopbackUrl& url, std::vector<std::string> headers = {}) {
    LoopbackHttpRequest request;
    request.url = url.url;
    request.pinned_address = url.host.address;
    request.deadline = std::chrono::steady_clock::now() + 1s;
    request.headers = std::move(headers);
    (void)loopback_http_get(request);
    ++driven;
  };
  if (config.nginx) http(config.nginx->status_page_url);
  if (config.apache) http(config.apache->status_page_url);
  if (config.caddy) http(config.caddy->admin_api_url);
  if (config.php_fpm && config.php_fpm->url) http(*config.php_fpm->url);
  if (config.proxmox) {
    const auto& p = *config.proxmox;
    const std::string host = p.host.name == "::1" ? "[::1]" : p.host.name;
    auto url = parse_loopback_url("https://" + host + ":" + std::to_string(p.port) + "/api2/json/version");
    if (url) http(*url, {"Authorization: PVEAPIToken=" + p.token_id.value_or("") + "=" + p.token_secret.value_or("")});
  }
  if (config.postgresql) {
    const auto& p = *config.postgresql;
    PostgresEndpoint endpoint;
    endpoint.host_name = p.host.name;
    endpoint.pinned_address = p.host.address;
    endpoint.port = p.port;
    endpoint.user = p.user;
    endpoint.database = p.database;
    endpoint.password = p.password;
    (void)postgres_connect(endpoint, std::chrono::steady_clock::now() + 1s);
    ++driven;
  }
  if (config.docker) {
    // No docker client exists yet: connect the way one would, to the
    // validated socket (or the default one).
    const std::string path = config.docker->socket_path.value_or("/var/run/docker.sock");
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd >= 0 && path.size() < sizeof address.sun_path) {
      std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
      (void)::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    if (fd >= 0) ::close(fd);
    ++driven;
  }
  return driven;
}

RemoteConfig validated(const nlohmann::ordered_json& config) {
  auto root = gate_json(config.dump());
  EXPECT_TRUE(root) << root.error().message;
  return validate_config(root ? *root : ConfigJson::object(), nullptr).config;
}

// Points libcurl's and libpq's environment defaults at the canary for as
// long as it lives.
class HostileEnvironment {
 public:
  explicit HostileEnvironment(int port) {
    const std::string proxy = "http://127.0.0.2:" + std::to_string(port);
    m_names = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
               "PGHOST",     "PGHOSTADDR", "PGPORT"};
    for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}) {
      ::setenv(name, proxy.c_str(), 1);
    }
    ::setenv("PGHOST", "127.0.0.2", 1);
    ::setenv("PGHOSTADDR", "127.0.0.2", 1);
    ::setenv("PGPORT", std::to_string(port).c_str(), 1);
  }
  HostileEnvironment(const HostileEnvironment&) = delete;
  HostileEnvironment& operator=(const HostileEnvironment&) = delete;
  ~HostileEnvironment() {
    for (const char* name : m_names) ::unsetenv(name);
  }

 private:
  std::vector<const char*> m_names;
};

TEST(ConfigCanary, RealClientsGetOnlyWhatTheValidatorLetsThrough) {
  auto tcp = CanaryListener::tcp("127.0.0.2");
  if (!tcp.ok()) GTEST_SKIP() << "cannot listen on 127.0.0.2 on this host";
  // The control canary: the allowed address, same port.
  auto allowed = CanaryListener::tcp("127.0.0.1", tcp.port());
  ASSERT_TRUE(allowed.ok()) << "port " << tcp.port() << " is taken on 127.0.0.1";
  TempDir dir;
  auto unix_canary = CanaryListener::unix_socket(dir.file("canary.sock"));
  ASSERT_TRUE(unix_canary.ok());
  const std::string port = std::to_string(tcp.port());
  const std::string socket = dir.file("canary.sock");

  // Every spelling of 127.0.0.2 (or a way around the host check) for each
  // URL section, host section and the docker socket.
  const std::vector<std::string> urls = {
      "http://127.0.0.2:" + port + "/",
      "http://2130706434:" + port + "/",
      "http://0x7f000002:" + port + "/",
      "http://0177.0.0.2:" + port + "/",
      "http://127.2:" + port + "/",
      "http://127.0.0.2.:" + port + "/",
      "http://[::ffff:127.0.0.2]:" + port + "/",
      "http://[::ffff:7f00:2]:" + port + "/",
      "http://localhost@127.0.0.2:" + port + "/",
      "http://127.0.0.1:" + port + "@127.0.0.2:" + port + "/",
      "http://127.0.0.1\\@127.0.0.2:" + port + "/",
      "http://127.0.0.2%2f:" + port + "/",
      "http://\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x97.0.0.2:" + port + "/",
      "http://localhost:" + port + "#@127.0.0.2:" + port + "/",
      "gopher://127.0.0.2:" + port + "/_x",
      "dict://127.0.0.2:" + port + "/x",
      "HTTP://127.0.0.2:" + port,
  };
  const std::vector<std::string> hosts = {"127.0.0.2", "2130706434", "0x7f000002", "127.2", "::ffff:127.0.0.2",
                                          "localhost,127.0.0.2", "127.0.0.2:" + port, "/tmp", "localhost."};
  std::vector<nlohmann::ordered_json> hostile;
  for (const auto& url : urls) {
    hostile.push_back({{"nginx", {{"status_page_url", url}}},
                       {"apache", {{"status_page_url", url}}},
                       {"caddy", {{"admin_api_url", url}}},
                       {"php_fpm", {{"status_page_url", url}}}});
  }
  for (const auto& host : hosts) {
    hostile.push_back({{"postgresql", {{"host", host}, {"port", tcp.port()}, {"password", "canary-secret"}}},
                       {"proxmox", {{"host", host}, {"port", tcp.port()}}}});
  }
  for (const std::string& database : {"host=127.0.0.2 port=" + port + " dbname=x",
                                      "hostaddr=127.0.0.2 port=" + port, "postgresql://127.0.0.2:" + port + "/x"}) {
    hostile.push_back({{"postgresql", {{"host", "localhost"}, {"port", 5432}, {"database", database}}}});
    hostile.push_back({{"postgresql", {{"host", "localhost"}, {"port", 5432}, {"user", database}}}});
  }
  hostile.push_back({{"php_fpm", {{"status_page_url", "tcp://127.0.0.2:" + port + "/status"}}}});
  for (const std::string& docker : {"unix://" + socket, "unix:///var/run/docker.sock/../../.." + socket,
                                    "unix:///var/run/../.." + socket, "unix://" + socket + std::string(1, '\0') + "/var/run/docker.sock",
                                    "tcp://127.0.0.2:" + port, "http://127.0.0.2:" + port}) {
    hostile.push_back({{"docker", {{"socket_url", docker}}}});
  }

  {
    const HostileEnvironment environment(tcp.port());
    int driven = 0;
    for (const auto& config : hostile) driven += drive_clients(validated(config));
    // Nothing hostile got through: there was nothing to drive.
    EXPECT_EQ(driven, 0);

    // Control: the same drive with allowed targets on the canary's port
    // reaches 127.0.0.1 once per client, despite the hostile environment.
    const nlohmann::ordered_json allowed_config = {
        {"nginx", {{"status_page_url", "http://127.0.0.1:" + port + "/nginx_status"}}},
        {"apache", {{"status_page_url", "http://LOCALHOST:" + port + "/server-status?auto"}}},
        {"caddy", {{"admin_api_url", "http://localhost:" + port}}},
        {"php_fpm", {{"status_page_url", "http://127.0.0.1:" + port + "/status?json"}}},
        {"proxmox",
         {{"host", "127.0.0.1"},
          {"port", tcp.port()},
          {"token_id", "a@pam!b"},
          {"token_secret", "0f8fad5b-d9cb-469f-a165-70867728950e"}}},
        {"postgresql", {{"host", "localhost"}, {"port", tcp.port()}, {"password", "canary-secret"}}},
    };
    EXPECT_EQ(drive_clients(validated(allowed_config)), 6);
  }
  EXPECT_EQ(tcp.connections(), 0);
  EXPECT_EQ(unix_canary.connections(), 0);
  EXPECT_EQ(allowed.connections(), 6);
}

TEST(ConfigCanary, HostileSectionsConnectNowhereAndAreDisabled) {
  auto tcp = CanaryListener::tcp("127.0.0.2");
  if (!tcp.ok()) GTEST_SKIP() << "cannot listen on 127.0.0.2 on this host";
  TempDir dir;
  auto unix_canary = CanaryListener::unix_socket(dir.file("canary.sock"));
  ASSERT_TRUE(unix_canary.ok());
  const std::string port = std::to_string(tcp.port());

  // 2130706434 and 0x7f000002 are 127.0.0.2 in the forms resolvers accept.
  const nlohmann::ordered_json hostile = {
      {"enabled", true},
      {"nginx", {{"status_page_url", "http://127.0.0.2:" + port + "/nginx_status"}}},
      {"caddy", {{"admin_api_url", "http://2130706434:" + port}}},
      {"apache", {{"status_page_url", "http://0x7f000002:" + port + "/server-status?auto"}}},
      {"php_fpm", {{"status_page_url", "tcp://127.0.0.2:" + port + "/status"}}},
      {"postgresql", {{"host", "127.0.0.2"}, {"port", tcp.port()}, {"password", "canary-secret"}}},
      {"mysql", {{"host", "127.0.0.2"}, {"port", tcp.port()}}},
      {"proxmox",
       {{"host", "127.0.0.2"},
        {"port", tcp.port()},
        {"token_id", "a@pam!b"},
        {"token_secret", "0f8fad5b-d9cb-469f-a165-70867728950e"}}},
      {"docker", {{"socket_url", "unix://" + dir.file("canary.sock")}}},
  };
  std::ofstream(dir.file("hostile.json")) << hostile.dump();

  const AgentRun dry_run = run_agent(dir, {"--dry-run", "--config", dir.file("hostile.json")});
  EXPECT_EQ(dry_run.exit_code, 0) << dry_run.err;
  EXPECT_EQ(tcp.connections(), 0);
  EXPECT_EQ(unix_canary.connections(), 0);
  EXPECT_EQ(dry_run.err.find("canary-secret"), std::string::npos);

  const AgentRun check = run_agent(dir, {"config", "check", dir.file("hostile.json")});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  const auto validated = nlohmann::json::parse(check.out);
  for (const char* section : {"nginx", "caddy", "apache", "php_fpm", "postgresql", "mysql", "proxmox", "docker"}) {
    ASSERT_TRUE(validated.contains(section)) << section;
    EXPECT_TRUE(validated[section].is_null()) << section << ": " << validated[section].dump();
    EXPECT_NE(check.err.find(std::string("config.") + section + "."), std::string::npos) << section << "\n"
                                                                                         << check.err;
  }
  EXPECT_EQ(check.err,
            "config.nginx.status_page_url: host is not localhost, 127.0.0.1 or ::1 (section disabled)\n"
            "config.caddy.admin_api_url: host is not localhost, 127.0.0.1 or ::1 (section disabled)\n"
            "config.apache.status_page_url: host is not localhost, 127.0.0.1 or ::1 (section disabled)\n"
            "config.php_fpm.status_page_url: host is not localhost, 127.0.0.1 or [::1] (section disabled)\n"
            "config.postgresql.host: host is not localhost, 127.0.0.1 or ::1 (section disabled)\n"
            "config.mysql.host: host is not localhost, 127.0.0.1 or ::1 (section disabled)\n"
            "config.proxmox.host: host is not localhost, 127.0.0.1 or ::1 (section disabled)\n"
            "config.docker.socket_url: not unix:// with /var/run/docker.sock, /run/docker.sock, "
            "/run/podman/podman.sock or /var/run/podman/podman.sock (section disabled)\n");
  EXPECT_EQ(tcp.connections(), 0);
  EXPECT_EQ(unix_canary.connections(), 0);
}

TEST(ConfigCanary, CanariesDoCountConnections) {
  // The canaries themselves work: a direct connection is counted.
  auto tcp = CanaryListener::tcp("127.0.0.2");
  if (!tcp.ok()) GTEST_SKIP() << "cannot listen on 127.0.0.2 on this host";
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(tcp.port()));
  ::inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ::close(fd);
  EXPECT_EQ(tcp.connections(), 1);

  TempDir dir;
  auto unix_canary = CanaryListener::unix_socket(dir.file("c.sock"));
  ASSERT_TRUE(unix_canary.ok());
  const int ufd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un ua{};
  ua.sun_family = AF_UNIX;
  const std::string path = dir.file("c.sock");
  std::memcpy(ua.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::connect(ufd, reinterpret_cast<sockaddr*>(&ua), sizeof ua), 0);
  ::close(ufd);
  EXPECT_EQ(unix_canary.connections(), 1);
}

}  // namespace
}  // namespace fivenines
