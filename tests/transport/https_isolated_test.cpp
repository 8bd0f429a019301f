// HttpsApiTransport runs that need a process of their own:
//
// - OPENSSL_CONF pointing at a permissive openssl.cnf (TLS 1.0, security
//   level 0). OpenSSL reads it once, when libcurl initialises it, so each run
//   is a child process started with that environment.
// - DNS through the system resolv.conf: a network namespace made by the test
//   (ip netns), whose /etc/netns/NAME/resolv.conf names a dnsmasq on the
//   namespace's loopback, and whose /etc/netns/NAME/hosts names a host that
//   DNS does not know. `ip netns exec` bind-mounts both over /etc.
//
// The child is this test binary again, run with `--probe` (see run_probe):
// it makes one post_once with the options of the environment, prints the
// outcome as one JSON line on stdout and its log (debug level) on stderr.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "transport/https_transport.hpp"
#include "transport/transport_test_support.hpp"
#include "util/log.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ApiServer;
using testing::ApiServerOptions;
using testing::header_value;
using testing::Json;
using testing::PortServer;
using testing::ScratchDir;
using testing::TestPki;

constexpr const char* k_token = "tok-isolated-7d1e0c9b";
constexpr const char* k_body = R"({"get_config": true})";
constexpr const char* k_system_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// --- the child side --------------------------------------------------------

// --probe --url API_URL [--dns IP:PORT] [--deadline-ms N]; SSL_CERT_FILE,
// HTTPS_PROXY, NO_PROXY from the environment as the agent reads them.
int run_probe(int argc, char** argv) {
  std::string url;
  std::string dns;
  long deadline_ms = 5000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--url") url = argv[i + 1];
    if (flag == "--dns") dns = argv[i + 1];
    if (flag == "--deadline-ms") deadline_ms = std::stol(argv[i + 1]);
  }
  set_log_level(LogLevel::debug);
  Json out;
  const auto fail = [&](const Error& error) {
    out["ok"] = false;
    out["kind"] = static_cast<int>(error.kind);
    out["message"] = error.message;
    std::cout << out.dump() << std::endl;
    return 0;
  };
  auto endpoint = parse_api_endpoint(url);
  if (!endpoint) return fail(endpoint.error());
  auto options = https_options_from_environment();
  if (!options) return fail(options.error());
  options->resolver.servers = dns;
  auto transport = HttpsApiTransport::create(*endpoint, std::move(*options));
  if (!transport) return fail(transport.error());
  const std::atomic<bool> stopping{false};
  auto answer = (*transport)->post_once("/collect", k_body, k_token,
                                        std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms),
                                        stopping);
  if (!answer) return fail(answer.error());
  out["ok"] = true;
  out["status"] = answer->http_status;
  out["body"] = answer->body;
  std::cout << out.dump() << std::endl;
  return 0;
}

// --- the parent side -------------------------------------------------------

std::string self_path() {
  std::array<char, 4096> path{};
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size() - 1);
  return n > 0 ? std::string(path.data(), static_cast<std::size_t>(n)) : std::string();
}

struct ProbeRun {
  Json result;          // the child's JSON line (null when it printed none)
  std::string log;      // its stderr
  std::string failure;  // why there is no result
};

// argv_prefix: e.g. {"ip", "netns", "exec", NAME}; env: NAME=VALUE pairs for the child.
ProbeRun run_probe_child(const std::vector<std::string>& argv_prefix, const std::vector<std::string>& env,
                         const std::vector<std::string>& probe_args) {
  std::vector<std::string> argv = argv_prefix;
  argv.push_back("env");
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(self_path());
  argv.push_back("--probe");
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  SubprocessOptions options;
  options.timeout = 30s;
  options.search_path = k_system_path;
  ProbeRun run;
  auto child = run_subprocess(argv, options);
  if (!child) {
    run.failure = child.error().message;
    return run;
  }
  run.log = child->stderr_text;
  const Json parsed = Json::parse(std::string(first_line(child->stdout_text)), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    run.failure = "probe printed no result (exit " + std::to_string(child->exit_code) + "): " + child->stdout_text +
                  child->stderr_text;
  } else {
    run.result = parsed;
  }
  return run;
}

// --- OPENSSL_CONF cannot weaken the policy ---------------------------------

class PermissiveOpensslConf : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = testing::missing_server_tools(); !missing.empty()) GTEST_SKIP() << missing;
    if (!TestPki::get().ok()) GTEST_SKIP() << "no test pki: " << TestPki::get().error();
    m_dns = std::make_unique<PortServer>("dns_server.py", std::vector<std::string>{"--record", "api.test=127.0.0.1"},
                                         m_dir.path(), "dns");
    ASSERT_TRUE(m_dns->ok()) << m_dns->error();
  }

  std::unique_ptr<ApiServer> start_api(const std::string& cert, bool tls_max_1_1 = false) {
    ApiServerOptions options;
    options.cert = cert;
    options.tls_max_1_1 = tls_max_1_1;
    auto server = std::make_unique<ApiServer>(options, m_dir.path(), "api-" + cert);
    EXPECT_TRUE(server->ok()) << server->error();
    return server;
  }

  ProbeRun probe(std::uint16_t port) {
    return run_probe_child({}, {"OPENSSL_CONF=" + TestPki::get().permissive_conf(), "SSL_CERT_FILE=" + TestPki::get().ca()},
                           {"--url", "api.test:" + std::to_string(port), "--dns",
                            "127.0.0.1:" + std::to_string(m_dns->port())});
  }

  ScratchDir m_dir;
  std::unique_ptr<PortServer> m_dns;
};

TEST_F(PermissiveOpensslConf, GoodServerStillWorks) {
  auto api = start_api("good");
  ASSERT_TRUE(api->ok());
  const ProbeRun run = probe(api->port());
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  EXPECT_EQ(run.result["ok"], true) << run.result.dump() << "\n" << run.log;
  EXPECT_EQ(run.result["status"], 200);
  EXPECT_EQ(run.log.find(k_token), std::string::npos) << run.log;
  EXPECT_NE(run.log.find("using A 127.0.0.1"), std::string::npos) << run.log;
}

// The configuration really is permissive: the openssl CLI, which follows
// it, completes a handshake that the transport refuses below.
TEST_F(PermissiveOpensslConf, ConfigurationLetsTheOpensslCliAcceptWeakServers) {
  for (const auto& [cert, old_tls] : std::vector<std::pair<std::string, bool>>{{"rsa1024", false}, {"good", true}}) {
    auto api = start_api(cert, old_tls);
    ASSERT_TRUE(api->ok());
    SubprocessOptions options;
    options.timeout = 20s;
    options.search_path = k_system_path;
    auto client = run_subprocess({"env", "OPENSSL_CONF=" + TestPki::get().permissive_conf(), "openssl", "s_client",
                                  "-connect", "127.0.0.1:" + std::to_string(api->port()), "-servername", "api.test",
                                  "-CAfile", TestPki::get().ca(), "-verify_return_error", "-brief"},
                                 options);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    EXPECT_EQ(client->exit_code, 0) << cert << (old_tls ? " (tls 1.1)" : "") << ": " << client->stderr_text;
  }
}

struct Refusal {
  const char* cert;
  bool tls_max_1_1;
  const char* reason;
};

void PrintTo(const Refusal& refusal, std::ostream* out) { *out << refusal.cert << (refusal.tls_max_1_1 ? " tls 1.1" : ""); }

class PermissiveOpensslConfRefusal : public PermissiveOpensslConf, public ::testing::WithParamInterface<Refusal> {};

TEST_P(PermissiveOpensslConfRefusal, StillRefusedWithNoRequestSent) {
  const Refusal& refusal = GetParam();
  auto api = start_api(refusal.cert, refusal.tls_max_1_1);
  ASSERT_TRUE(api->ok());
  const ProbeRun run = probe(api->port());
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  EXPECT_EQ(run.result["ok"], false) << refusal.cert << " accepted under a permissive OPENSSL_CONF";
  const std::string message = run.result.value("message", "");
  EXPECT_NE(message.find(refusal.reason), std::string::npos) << message;
  EXPECT_EQ(message.find(k_token), std::string::npos);
  EXPECT_EQ(run.log.find(k_token), std::string::npos) << run.log;
  ASSERT_TRUE(api->wait_for_records("tls_error", 1)) << "the client never reached the server";
  EXPECT_TRUE(api->records("request").empty());
}

INSTANTIATE_TEST_SUITE_P(
    Certificates, PermissiveOpensslConfRefusal,
    ::testing::Values(Refusal{"self_signed", false, "self-signed certificate"},
                      Refusal{"unknown_ca", false, "unable to get local issuer certificate"},
                      Refusal{"wrong_host", false, "hostname mismatch"},
                      Refusal{"expired", false, "certificate has expired"},
                      Refusal{"not_yet_valid", false, "certificate is not yet valid"},
                      Refusal{"cn_only", false, "hostname mismatch"},
                      Refusal{"non_ca_chain", false, "invalid CA certificate"},
                      Refusal{"rsa1024", false, "key too weak"},
                      Refusal{"good", true, "protocol version"}),
    [](const ::testing::TestParamInfo<Refusal>& param_info) {
      return std::string(param_info.param.cert) + (param_info.param.tls_max_1_1 ? "_tls_1_1_only" : "");
    });

// --- SSL_CERT_FILE, HTTPS_PROXY, NO_PROXY as the agent reads them from its environment

class AgentEnvironment : public PermissiveOpensslConf {
 protected:
  // A probe with SSL_CERT_FILE (the test CA) and `proxy_env` only (no
  // OPENSSL_CONF here); a later NAME=VALUE in `proxy_env` wins.
  ProbeRun probe_with(std::uint16_t port, const std::vector<std::string>& proxy_env) {
    std::vector<std::string> env{"SSL_CERT_FILE=" + TestPki::get().ca()};
    env.insert(env.end(), proxy_env.begin(), proxy_env.end());
    return run_probe_child({}, env,
                           {"--url", "api.test:" + std::to_string(port), "--dns",
                            "127.0.0.1:" + std::to_string(m_dns->port())});
  }
};

TEST_F(AgentEnvironment, UpperOrLowerCaseProxyTunnelsAndNoProxyBypasses) {
  auto api = start_api("good");
  ASSERT_TRUE(api->ok());
  PortServer proxy("connect_proxy.py", {"--map", "api.test=127.0.0.1"}, m_dir.path(), "proxy");
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  struct Case {
    std::vector<std::string> env;
    bool through_proxy;
  };
  const std::vector<Case> cases{
      {{"HTTPS_PROXY=" + proxy_url}, true},
      {{"https_proxy=" + proxy_url, "NO_PROXY=other.test,10.0.0.0/8"}, true},
      {{"https_proxy=" + proxy_url, "no_proxy=.test"}, false},
      {{"HTTPS_PROXY=" + proxy_url, "NO_PROXY=api.test"}, false},
      {{"HTTPS_PROXY=" + proxy_url, "no_proxy=*"}, false},
  };
  std::size_t tunnels = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const ProbeRun run = probe_with(api->port(), cases[i].env);
    ASSERT_TRUE(run.failure.empty()) << run.failure;
    ASSERT_EQ(run.result["ok"], true) << "case " << i << ": " << run.result.dump() << "\n" << run.log;
    if (cases[i].through_proxy) ++tunnels;
    ASSERT_TRUE(api->wait_for_records("request", i + 1)) << "case " << i;
    EXPECT_EQ(proxy.records("connect").size(), tunnels) << "case " << i << ": " << cases[i].env.back();
    EXPECT_EQ(run.log.find(cases[i].through_proxy ? "using A" : "through proxy"), std::string::npos)
        << "case " << i << ": " << run.log;
  }
  // TLS end to end through the tunnel: the API saw the SNI and the token.
  for (const auto& request : api->records("request")) {
    EXPECT_EQ(request["sni"], "api.test");
    EXPECT_EQ(header_value(request, "Authorization"), std::string("Bearer ") + k_token);
  }
}

TEST_F(AgentEnvironment, SslCertFileReplacesTheTrustAnchors) {
  auto good = start_api("good");         // signed by the test CA
  auto other = start_api("unknown_ca");  // signed by other_ca
  ASSERT_TRUE(good->ok());
  ASSERT_TRUE(other->ok());
  const std::string other_ca = "SSL_CERT_FILE=" + TestPki::get().file("other_ca.pem").string();
  const ProbeRun accepted = probe_with(other->port(), {other_ca});
  ASSERT_TRUE(accepted.failure.empty()) << accepted.failure;
  EXPECT_EQ(accepted.result["ok"], true) << accepted.result.dump() << "\n" << accepted.log;
  const ProbeRun refused = probe_with(good->port(), {other_ca});
  ASSERT_TRUE(refused.failure.empty()) << refused.failure;
  EXPECT_EQ(refused.result["ok"], false) << "the test CA was trusted although SSL_CERT_FILE names another";
  EXPECT_NE(refused.result.value("message", "").find("unable to get local issuer certificate"), std::string::npos)
      << refused.result.dump();
  const ProbeRun missing = probe_with(good->port(), {"SSL_CERT_FILE=" + (m_dir.path() / "nothing.pem").string()});
  ASSERT_TRUE(missing.failure.empty()) << missing.failure;
  EXPECT_EQ(missing.result["ok"], false);
  EXPECT_EQ(missing.result["message"],
            "ssl_cert_file " + (m_dir.path() / "nothing.pem").string() + ": not a readable regular file");
  EXPECT_TRUE(good->records("request").empty());
}

// --- DNS through resolv.conf, in a network namespace -----------------------

// A network namespace with its own resolv.conf and hosts, a dnsmasq on its
// loopback (the only name server of that resolv.conf), removed at the end.
//
// Clean-up: the destructor stops dnsmasq, deletes the namespace and removes
// /etc/netns/NAME, also when the test failed (gtest destroys the fixture
// after a failed ASSERT or an exception). A run that never reached its
// destructor (killed by ctest's timeout, crashed) leaves them behind; the
// next Namespace sweeps those first: names are `fivenines-<pid>-<n>`, and
// an entry whose process no longer exists is removed with whatever still
// runs inside it.
class Namespace {
 public:
  Namespace(const fs::path& scratch, const std::vector<std::string>& host_records) {
    (void)sweep_leftovers();
    m_name = "fivenines-" + std::to_string(::getpid()) + "-" + std::to_string(s_counter++);
    m_etc = fs::path(k_netns_etc) / m_name;
    std::error_code error;
    fs::create_directories(m_etc, error);
    if (error) {
      m_problem = "cannot create " + m_etc.string() + ": " + error.message();
      return;
    }
    testing::write_whole_file(m_etc / "resolv.conf", "nameserver 127.0.0.1\n");
    // Names only /etc/hosts knows: the transport must not find them.
    testing::write_whole_file(m_etc / "hosts", "127.0.0.1 localhost hosts.test\n::1 localhost hosts.test\n");
    if (auto run = ip({"netns", "add", m_name}); !run.empty()) {
      m_problem = "ip netns add: " + run;
      return;
    }
    m_added = true;
    if (auto run = ip({"-n", m_name, "link", "set", "lo", "up"}); !run.empty()) {
      m_problem = "ip link set lo up: " + run;
      return;
    }
    std::vector<std::string> argv = exec_prefix();
    argv.insert(argv.end(), {"dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                             "--bind-interfaces", "--listen-address=127.0.0.1", "--port=53", "--local=/test/",
                             "--log-queries", "--pid-file="});
    for (const auto& record : host_records) argv.push_back("--host-record=" + record);
    m_dnsmasq = std::make_unique<testing::BackgroundProcess>(argv, scratch / "dnsmasq.out", scratch / "dnsmasq.err");
    if (!m_dnsmasq->wait_for_output("started", 10s)) {
      m_problem = "dnsmasq did not start: " + m_dnsmasq->stderr_text();
    }
  }
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;
  ~Namespace() {
    m_dnsmasq.reset();
    if (m_added) {
      kill_processes_inside(m_name);
      (void)ip({"netns", "del", m_name});
    }
    std::error_code ignored;
    fs::remove_all(m_etc, ignored);
  }

  [[nodiscard]] const std::string& problem() const { return m_problem; }
  [[nodiscard]] const std::string& name() const { return m_name; }
  [[nodiscard]] std::vector<std::string> exec_prefix() const { return {"ip", "netns", "exec", m_name}; }
  [[nodiscard]] std::string dns_log() const { return m_dnsmasq ? m_dnsmasq->stderr_text() : std::string(); }

  // Empty when `ip` ran and succeeded, else its error.
  static std::string ip(const std::vector<std::string>& args) {
    std::string out;
    return ip(args, out);
  }
  static std::string ip(const std::vector<std::string>& args, std::string& stdout_text) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    SubprocessOptions options;
    options.timeout = 10s;
    options.search_path = k_system_path;
    auto run = run_subprocess(argv, options);
    if (!run) return run.error().message;
    stdout_text = run->stdout_text;
    if (!run->succeeded()) return std::string(first_line(run->stderr_text)) + " (exit " + std::to_string(run->exit_code) + ")";
    return {};
  }

  // Names currently known to `ip netns list` (the first word of each line).
  static std::vector<std::string> listed() {
    std::string text;
    (void)ip({"netns", "list"}, text);
    std::vector<std::string> names;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (const auto word = line.substr(0, line.find(' ')); !word.empty()) names.push_back(word);
    }
    return names;
  }

  // Process ids running inside the named namespace (`ip netns pids`).
  static std::vector<pid_t> processes_inside(const std::string& name) {
    std::string text;
    if (!ip({"netns", "pids", name}, text).empty()) return {};
    std::vector<pid_t> pids;
    std::istringstream words(text);
    long pid = 0;
    while (words >> pid) {
      if (pid > 1) pids.push_back(static_cast<pid_t>(pid));
    }
    return pids;
  }

  // Removes the namespaces and /etc/netns entries of runs whose process is
  // gone; returns their names.
  static std::vector<std::string> sweep_leftovers() {
    std::set<std::string> candidates;
    for (const auto& name : listed()) candidates.insert(name);
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(k_netns_etc, error)) {
      candidates.insert(entry.path().filename().string());
    }
    const std::set<std::string> in_ip_list = [] {
      const auto names = listed();
      return std::set<std::string>(names.begin(), names.end());
    }();
    std::vector<std::string> removed;
    for (const auto& name : candidates) {
      if (!left_by_a_finished_run(name)) continue;
      if (in_ip_list.count(name) != 0) {
        kill_processes_inside(name);
        (void)ip({"netns", "del", name});
      }
      std::error_code ignored;
      fs::remove_all(fs::path(k_netns_etc) / name, ignored);
      removed.push_back(name);
    }
    return removed;
  }

  // True for `fivenines-<pid>-<n>` when no process <pid> exists.
  static bool left_by_a_finished_run(const std::string& name) {
    static const std::string prefix = "fivenines-";
    if (name.compare(0, prefix.size(), prefix) != 0) return false;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash + 1 == rest.size()) return false;
    const std::string pid_text = rest.substr(0, dash);
    const std::string counter_text = rest.substr(dash + 1);
    const auto digits = [](const std::string& text) {
      return text.size() <= 9 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(pid_text) || !digits(counter_text)) return false;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    return pid > 1 && ::kill(pid, 0) != 0 && errno == ESRCH;
  }

 private:
  static void kill_processes_inside(const std::string& name) {
    for (const pid_t pid : processes_inside(name)) ::kill(pid, SIGKILL);
  }

  static constexpr const char* k_netns_etc = "/etc/netns";
  static inline int s_counter = 0;  // test-only: unique namespace names within this process
  std::string m_name;
  fs::path m_etc;
  bool m_added = false;
  std::string m_problem;
  std::unique_ptr<testing::BackgroundProcess> m_dnsmasq;
};

// Empty when this process may make network namespaces with ip netns and
// dnsmasq, else the reason (for GTEST_SKIP).
std::string namespace_prerequisites() {
  if (const std::string missing = testing::missing_server_tools(); !missing.empty()) return missing;
  if (!find_in_path("ip", k_system_path)) return "ip not found (Debian package iproute2)";
  if (!find_in_path("dnsmasq", k_system_path)) return "dnsmasq not found (Debian package dnsmasq-base)";
  if (::geteuid() != 0) return "network namespaces need root (ip netns add); run the suite as root";
  return {};
}

// Problems that mean "not permitted here" rather than "broken": the
// namespace (ip netns add: no CAP_SYS_ADMIN, no mount propagation) or its
// /etc/netns entry (a read-only /etc) cannot be made.
bool not_permitted_here(const std::string& problem) {
  return problem.rfind("ip netns add", 0) == 0 || problem.rfind("cannot create /etc/netns", 0) == 0;
}

class ResolvConfInNamespace : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = namespace_prerequisites(); !missing.empty()) GTEST_SKIP() << missing;
    if (!TestPki::get().ok()) GTEST_SKIP() << "no test pki: " << TestPki::get().error();
    m_namespace = std::make_unique<Namespace>(
        m_dir.path(), std::vector<std::string>{"a.test,127.0.0.1,::1", "v6only.test,::1"});
    if (not_permitted_here(m_namespace->problem())) {
      GTEST_SKIP() << "network namespaces not permitted here: " << m_namespace->problem();
    }
    ASSERT_EQ(m_namespace->problem(), "");
  }

  std::unique_ptr<ApiServer> start_api(const std::string& bind) {
    ApiServerOptions options;
    options.cert = "good";
    options.bind = bind;
    options.prefix = m_namespace->exec_prefix();
    auto server = std::make_unique<ApiServer>(options, m_dir.path(), "api");
    EXPECT_TRUE(server->ok()) << server->error();
    return server;
  }

  ProbeRun probe(const std::string& api_url) {
    // No --dns: the transport uses the namespace's resolv.conf.
    return run_probe_child(m_namespace->exec_prefix(), {"SSL_CERT_FILE=" + TestPki::get().ca()}, {"--url", api_url});
  }

  ScratchDir m_dir;
  std::unique_ptr<Namespace> m_namespace;
};

TEST_F(ResolvConfInNamespace, UsesTheARecordWhenPresent) {
  auto api = start_api("127.0.0.1");
  ASSERT_TRUE(api->ok());
  const ProbeRun run = probe("a.test:" + std::to_string(api->port()));
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  ASSERT_EQ(run.result["ok"], true) << run.result.dump() << "\n" << run.log;
  EXPECT_NE(run.log.find("using A 127.0.0.1"), std::string::npos) << run.log;
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["peer"], "127.0.0.1");
  EXPECT_EQ(header_value(requests[0], "Host"), "a.test");
  const std::string dns = m_namespace->dns_log();
  EXPECT_NE(dns.find("query[A] a.test from 127.0.0.1"), std::string::npos) << dns;
  EXPECT_EQ(dns.find("query[AAAA] a.test"), std::string::npos) << "AAAA asked although A worked: " << dns;
}

TEST_F(ResolvConfInNamespace, FallsBackToAaaaForAnApiReachableOnlyOverIpv6) {
  auto api = start_api("::1");
  ASSERT_TRUE(api->ok());
  const ProbeRun run = probe("v6only.test:" + std::to_string(api->port()));
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  ASSERT_EQ(run.result["ok"], true) << run.result.dump() << "\n" << run.log;
  EXPECT_NE(run.log.find("using AAAA ::1"), std::string::npos) << run.log;
  const auto requests = api->records("request");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["peer"], "::1");
  const std::string dns = m_namespace->dns_log();
  const auto a_query = dns.find("query[A] v6only.test");
  const auto aaaa_query = dns.find("query[AAAA] v6only.test");
  ASSERT_NE(a_query, std::string::npos) << dns;
  ASSERT_NE(aaaa_query, std::string::npos) << dns;
  EXPECT_LT(a_query, aaaa_query) << "A must be asked first";
}

TEST_F(ResolvConfInNamespace, EtcHostsIsNotUsed) {
  auto api = start_api("127.0.0.1");
  ASSERT_TRUE(api->ok());
  // The system resolver of the namespace does see the hosts entry...
  SubprocessOptions options;
  options.search_path = k_system_path;
  std::vector<std::string> getent = m_namespace->exec_prefix();
  getent.insert(getent.end(), {"getent", "hosts", "hosts.test"});
  auto system_lookup = run_subprocess(getent, options);
  ASSERT_TRUE(system_lookup.has_value());
  EXPECT_NE(system_lookup->stdout_text.find("hosts.test"), std::string::npos) << system_lookup->stdout_text;
  // ...the transport does not.
  const ProbeRun run = probe("hosts.test:" + std::to_string(api->port()));
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  EXPECT_EQ(run.result["ok"], false) << "resolved through /etc/hosts";
  EXPECT_EQ(run.result["message"], "resolve hosts.test (A): no such name; resolve hosts.test (AAAA): no such name");
  EXPECT_TRUE(api->records().empty());
}

// --- the namespace helper cleans up after itself and after killed runs ------

class NamespaceCleanup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = namespace_prerequisites(); !missing.empty()) GTEST_SKIP() << missing;
  }
  ScratchDir m_dir;
};

// A failing test leaves its body early; gtest then destroys the fixture, so
// this scope exit is the path a failed ASSERT takes.
TEST_F(NamespaceCleanup, DestructorRemovesNamespaceEtcEntryAndDnsmasq) {
  std::string name;
  std::vector<pid_t> inside;
  {
    Namespace ns(m_dir.path(), {"a.test,127.0.0.1"});
    if (not_permitted_here(ns.problem())) GTEST_SKIP() << "network namespaces not permitted here: " << ns.problem();
    ASSERT_EQ(ns.problem(), "");
    name = ns.name();
    EXPECT_TRUE(fs::exists(fs::path("/etc/netns") / name));
    const auto listed = Namespace::listed();
    EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end());
    inside = Namespace::processes_inside(name);
    EXPECT_FALSE(inside.empty()) << "dnsmasq runs inside the namespace";
  }
  const auto listed = Namespace::listed();
  EXPECT_EQ(std::find(listed.begin(), listed.end(), name), listed.end()) << name << " still listed";
  EXPECT_FALSE(fs::exists(fs::path("/etc/netns") / name));
  for (const pid_t pid : inside) EXPECT_NE(::kill(pid, 0), 0) << "process " << pid << " of " << name << " still runs";
}

TEST_F(NamespaceCleanup, SweepsWhatAKilledRunLeftBehind) {
  // A process id that no longer exists: a child that has exited and been reaped.
  pid_t gone = -1;
  {
    testing::BackgroundProcess child({"true"}, m_dir.path() / "true.out", m_dir.path() / "true.err");
    ASSERT_TRUE(child.started());
    gone = child.pid();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (child.running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(::kill(gone, 0), -1);
  // What a killed run leaves: a namespace, its /etc/netns entry and a process inside.
  const std::string name = "fivenines-" + std::to_string(gone) + "-0";
  const fs::path etc = fs::path("/etc/netns") / name;
  std::error_code error;
  fs::create_directories(etc, error);
  if (error) GTEST_SKIP() << "network namespaces not permitted here: cannot create " << etc << ": " << error.message();
  testing::write_whole_file(etc / "resolv.conf", "nameserver 127.0.0.1\n");
  if (const std::string problem = Namespace::ip({"netns", "add", name}); !problem.empty()) {
    fs::remove_all(etc, error);
    GTEST_SKIP() << "network namespaces not permitted here: ip netns add: " << problem;
  }
  testing::BackgroundProcess sleeper({"ip", "netns", "exec", name, "sleep", "60"}, m_dir.path() / "sleep.out",
                                     m_dir.path() / "sleep.err");
  ASSERT_TRUE(sleeper.started());
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (Namespace::processes_inside(name).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_FALSE(Namespace::processes_inside(name).empty());
  // A live run's namespace (this process's own name pattern) is never swept.
  const std::string live = "fivenines-" + std::to_string(::getpid()) + "-999";
  fs::create_directories(fs::path("/etc/netns") / live, error);

  const auto removed = Namespace::sweep_leftovers();
  EXPECT_NE(std::find(removed.begin(), removed.end(), name), removed.end());
  EXPECT_EQ(std::find(removed.begin(), removed.end(), live), removed.end());
  const auto listed = Namespace::listed();
  EXPECT_EQ(std::find(listed.begin(), listed.end(), name), listed.end()) << name << " still listed";
  EXPECT_FALSE(fs::exists(etc));
  EXPECT_TRUE(fs::exists(fs::path("/etc/netns") / live));
  fs::remove_all(fs::path("/etc/netns") / live, error);
  const auto exit_deadline = std::chrono::steady_clock::now() + 5s;
  while (sleeper.running() && std::chrono::steady_clock::now() < exit_deadline) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(sleeper.running()) << "the process inside the leftover namespace was not stopped";
}

}  // namespace
}  // namespace fivenines

// Own main: `--probe` makes this binary the child of the tests above;
// otherwise it is an ordinary GoogleTest program.
int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "--probe") return fivenines::run_probe(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
