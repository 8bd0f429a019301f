// Issue 5 end to end: the built binary in continuous mode against
// tests/servers/api_server.py on loopback, TOKEN_ROTATION on the wire
// (enrollment, bound, always, malformed tokens), the enrollment state across
// a restart, the local-user checks at start (modes, owners, symlinks, umask
// 000), USER_CONTEXT as the test server received it, and no token anywhere
// in a debug-level run's output. Plus kill -9 at random instants of token
// swaps: 300 times on a forked loop of the agent's own swap code
// (TokenStore, swapping back to back), and 50 times on the real agent
// around the swap an answer causes (about 90 ms each, so fewer).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <random>
#include <regex>

#include "agent/credentials.hpp"
#include "identity/token_policy.hpp"
#include "identity/token_store.hpp"
#include "integration/loop_test_support.hpp"
#include "util/log.hpp"
#include "support/unprivileged.hpp"

namespace fivenines::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_enrollment = "enrollment-token-4a7f19";
constexpr const char* k_per_host = "per-host-token-91c2e0aa";
constexpr const char* k_second = "second-token-5d00e1b7c3";
constexpr const char* k_third = "third-token-77aa31f0e9b";

bool has_python() { return find_in_path("python3").has_value(); }

Json enabled_config() { return {{"enabled", true}, {"interval", 30}, {"cpu", true}}; }
Json disabled_config() { return {{"enabled", false}}; }

// HMAC-SHA256(key = current, message = offered) in lower-case hex, computed
// here with OpenSSL directly rather than with the agent's own function.
std::string binding(const std::string& current, const std::string& offered) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), current.data(), static_cast<int>(current.size()),
       reinterpret_cast<const unsigned char*>(offered.data()), offered.size(), mac.data(), &size);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += k_hex[mac[i] >> 4];
    out += k_hex[mac[i] & 0xF];
  }
  return out;
}

std::string bearer(const Json& request) { return header_value(request, "Authorization").value_or("(none)"); }

// One agent run: a config dir with TOKEN, the test API, the agent.
struct ApiRun {
  explicit ApiRun(const Json& script) : api(make_options(script), dir.path()) {
    write_token(conf(), k_enrollment);
  }
  static ApiServerOptions make_options(const Json& script) {
    ApiServerOptions options;
    options.script = script;
    return options;
  }
  [[nodiscard]] fs::path conf() const { return dir.path() / "conf"; }
  [[nodiscard]] fs::path token() const { return conf() / "TOKEN"; }
  [[nodiscard]] std::map<std::string, std::string> env(const std::string& rotation = "",
                                                       const std::string& user_context = "") const {
    auto out = agent_env(conf(), api.port(), "debug");
    if (!rotation.empty()) out["TOKEN_ROTATION"] = rotation;
    if (!user_context.empty()) out["USER_CONTEXT"] = user_context;
    return out;
  }

  ScratchDir dir{"fivenines-cred"};
  ApiServer api;
};

// Stops the agent (SIGTERM) and checks it exits 0 within 3 s.
void stop(AgentProcess& agent) {
  agent.send(SIGTERM);
  const auto code = agent.wait_exit(3s);
  ASSERT_TRUE(code) << "agent did not stop";
  EXPECT_EQ(*code, 0) << agent.log_text();
}

// A debug-level run's whole output names no token in clear.
void expect_no_token_in_output(const AgentProcess& agent, std::initializer_list<std::string> tokens) {
  const std::string output = whole_output(agent);
  for (const auto& token : tokens) EXPECT_EQ(output.find(token), std::string::npos) << token << "\n" << output;
}

TEST(CredentialsOnTheWire, EnrollmentAcceptsThePerHostTokenRefusesTheNextAndRemembersAcrossARestart) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ApiRun run(Json::array({{{"json", {{"config", enabled_config()}, {"token", k_per_host}}}},
                         {{"json", {{"config", enabled_config()}, {"token", k_second}}}}}));
  ASSERT_TRUE(run.api.ok()) << run.api.error();
  {
    AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env(), run.dir.path());
    ASSERT_TRUE(agent.wait_for_log("token swap done", 20s)) << agent.log_text();
    const ino_t swapped_inode = inode_of(run.token());
    ASSERT_TRUE(agent.wait_for_log("refused", 20s)) << agent.log_text();
    stop(agent);
    const auto requests = run.api.records("request");
    ASSERT_GE(requests.size(), 2u);
    EXPECT_EQ(bearer(requests[0]), std::string("Bearer ") + k_enrollment);
    EXPECT_EQ(bearer(requests[1]), std::string("Bearer ") + k_per_host);
    EXPECT_EQ(read_whole_file(run.token()), k_per_host);
    EXPECT_EQ(inode_of(run.token()), swapped_inode);  // the refusal did not touch TOKEN
    EXPECT_EQ(mode_of(run.token()), 0600u);
    EXPECT_EQ(read_whole_file(run.conf() / "TOKEN_STATE"), "per-host " + token_sha256_hex(k_per_host) + "\n");
    const std::string log = agent.log_text();
    EXPECT_NE(log.find("[INFO]"), std::string::npos);
    EXPECT_NE(log.find("accepting a new token, old " + token_fingerprint(k_enrollment) + ", new " +
                       token_fingerprint(k_per_host)),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("[WARNING]"), std::string::npos) << log;
    EXPECT_NE(log.find("refused (fingerprint " + token_fingerprint(k_second) +
                       "): a per-host token is already held (TOKEN_ROTATION=enrollment)"),
              std::string::npos)
        << log;
    expect_no_token_in_output(agent, {k_enrollment, k_per_host, k_second});
  }
  // A restart: the token read from TOKEN is per-host, so a third is refused.
  run.api.set_script(Json::array({{{"json", {{"config", disabled_config()}, {"token", k_third}}}}}));
  const std::size_t before = run.api.records("request").size();
  const ino_t inode = inode_of(run.token());
  AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env(), run.dir.path());
  ASSERT_TRUE(agent.wait_for_log("refused", 20s)) << agent.log_text();
  stop(agent);
  const auto requests = run.api.records("request");
  ASSERT_GT(requests.size(), before);
  EXPECT_EQ(bearer(requests[before]), std::string("Bearer ") + k_per_host);
  EXPECT_EQ(read_whole_file(run.token()), k_per_host);
  EXPECT_EQ(inode_of(run.token()), inode);
  EXPECT_NE(agent.log_text().find(token_fingerprint(k_third)), std::string::npos) << agent.log_text();
  expect_no_token_in_output(agent, {k_per_host, k_third});
}

TEST(CredentialsOnTheWire, BoundAcceptsAVerifyingBindingAndRefusesOneThatDoesNot) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  // The second binding is keyed with the enrollment token, no longer the
  // current one once the first swap is done: it must not verify.
  ApiRun run(Json::array(
      {{{"json",
         {{"config", enabled_config()}, {"token", k_per_host}, {"token_binding", binding(k_enrollment, k_per_host)}}}},
       {{"json",
         {{"config", enabled_config()}, {"token", k_second}, {"token_binding", binding(k_enrollment, k_second)}}}}}));
  ASSERT_TRUE(run.api.ok()) << run.api.error();
  AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env("bound"), run.dir.path());
  ASSERT_TRUE(agent.wait_for_log("token swap done", 20s)) << agent.log_text();
  const ino_t swapped_inode = inode_of(run.token());
  ASSERT_TRUE(agent.wait_for_log("refused", 20s)) << agent.log_text();
  stop(agent);
  const auto requests = run.api.records("request");
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(bearer(requests[0]), std::string("Bearer ") + k_enrollment);
  EXPECT_EQ(bearer(requests[1]), std::string("Bearer ") + k_per_host);
  EXPECT_EQ(read_whole_file(run.token()), k_per_host);
  EXPECT_EQ(inode_of(run.token()), swapped_inode);
  const std::string log = agent.log_text();
  EXPECT_NE(log.find("token rotation (bound): accepting a new token"), std::string::npos) << log;
  EXPECT_NE(log.find("refused (fingerprint " + token_fingerprint(k_second) +
                     "): token_binding does not verify (TOKEN_ROTATION=bound)"),
            std::string::npos)
      << log;
  expect_no_token_in_output(agent, {k_enrollment, k_per_host, k_second});
}

TEST(CredentialsOnTheWire, BoundRefusesATokenWithoutBinding) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ApiRun run(Json::array({{{"json", {{"config", disabled_config()}, {"token", k_per_host}}}}}));
  ASSERT_TRUE(run.api.ok()) << run.api.error();
  const ino_t inode = inode_of(run.token());
  AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env("bound"), run.dir.path());
  ASSERT_TRUE(agent.wait_for_log("refused", 20s)) << agent.log_text();
  stop(agent);
  EXPECT_NE(agent.log_text().find("no token_binding (TOKEN_ROTATION=bound)"), std::string::npos)
      << agent.log_text();
  EXPECT_EQ(read_whole_file(run.token()), k_enrollment);
  EXPECT_EQ(inode_of(run.token()), inode);
  EXPECT_FALSE(fs::exists(run.conf() / "TOKEN_STATE"));
}

TEST(CredentialsOnTheWire, AlwaysAcceptsEveryNewTokenWithMode0600UnderUmask000) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ApiRun run(Json::array({{{"json", {{"config", enabled_config()}, {"token", k_per_host}}}},
                         {{"json", {{"config", enabled_config()}, {"token", k_second}}}}}));
  ASSERT_TRUE(run.api.ok()) << run.api.error();
  AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env("always"), run.dir.path(), /*umask_for_child=*/0);
  ASSERT_TRUE(run.api.wait_for_records("request", 2, 20s)) << agent.log_text();
  ASSERT_TRUE(agent.wait_for_log("new " + token_fingerprint(k_second), 20s)) << agent.log_text();
  ASSERT_TRUE(agent.wait_for_log("stored in", 5s));
  stop(agent);
  const auto requests = run.api.records("request");
  EXPECT_EQ(bearer(requests[0]), std::string("Bearer ") + k_enrollment);
  EXPECT_EQ(bearer(requests[1]), std::string("Bearer ") + k_per_host);
  EXPECT_EQ(read_whole_file(run.token()), k_second);
  for (const char* name : {"TOKEN", "TOKEN_STATE", "MACHINE_ID"}) {
    EXPECT_EQ(mode_of(run.conf() / name), 0600u) << name;
  }
  EXPECT_TRUE(temp_files_in(run.conf()).empty());
  const std::string log = agent.log_text();
  EXPECT_NE(log.find("old " + token_fingerprint(k_per_host) + ", new " + token_fingerprint(k_second)),
            std::string::npos)
      << log;
  expect_no_token_in_output(agent, {k_enrollment, k_per_host, k_second});
}

struct MalformedCase {
  const char* name;
  std::string token;
  const char* logged;  // what the agent's log says about it
};

TEST(CredentialsOnTheWire, MalformedTokensLeaveTokenUntouchedWhateverThePolicy) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  const std::vector<MalformedCase> cases = {
      {"newline", "abcdefghijklmnop\nX-Injected: 1", "holds a byte outside [A-Za-z0-9._~+/=-]"},
      {"nul", std::string("abcdefghijklmnop\0qrstuvwx", 25), "holds a byte outside [A-Za-z0-9._~+/=-]"},
      {"empty", "", "it is empty"},
      {"513 bytes", std::string(513, 'a'), "is 513 bytes, more than 512"},
      // Larger than the 1 MiB answer cap: the whole answer is refused
      // before its token is looked at.
      {"10 MB", std::string(10 * 1024 * 1024, 'a'), "attempt 1 of"},
  };
  for (const auto& item : cases) {
    SCOPED_TRACE(item.name);
    ApiRun run(Json::array({{{"json", {{"config", disabled_config()}, {"token", item.token}}}}}));
    ASSERT_TRUE(run.api.ok()) << run.api.error();
    const ino_t inode = inode_of(run.token());
    // always: the most permissive policy, so only the format check refuses.
    AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env("always"), run.dir.path());
    ASSERT_TRUE(agent.wait_for_log(item.logged, 30s)) << agent.log_text();
    stop(agent);
    EXPECT_EQ(read_whole_file(run.token()), k_enrollment);
    EXPECT_EQ(inode_of(run.token()), inode);
    EXPECT_EQ(mode_of(run.token()), 0600u);
    EXPECT_FALSE(fs::exists(run.conf() / "TOKEN_STATE"));
    EXPECT_TRUE(temp_files_in(run.conf()).empty());
    for (const auto& request : run.api.records("request")) {
      EXPECT_EQ(bearer(request), std::string("Bearer ") + k_enrollment);
    }
    const std::string output = whole_output(agent);
    EXPECT_EQ(output.find("X-Injected"), std::string::npos) << output;
    EXPECT_EQ(output.find(k_enrollment), std::string::npos) << output;
    if (item.token.size() >= 16) {
      EXPECT_EQ(output.find(item.token.substr(0, 16)), std::string::npos) << output;
    }
  }
}

TEST(CredentialsOnTheWire, UserContextMinimalRidesOnlyInGetConfigWithFlagsInsteadOfNames) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ApiRun run(Json::array({{{"json", {{"config", enabled_config()}}}}}));
  ASSERT_TRUE(run.api.ok()) << run.api.error();
  AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env("", "minimal"), run.dir.path());
  ASSERT_TRUE(run.api.wait_for_records("request", 2, 20s)) << agent.log_text();
  stop(agent);
  const auto requests = run.api.records("request");
  const Json config_request = Json::parse(requests[0]["body"].get<std::string>());
  ASSERT_EQ(config_request["get_config"], true);
  const Json& context = config_request["user_context"];
  EXPECT_EQ(context["uid"], ::getuid());
  EXPECT_EQ(context["is_root"], ::getuid() == 0);
  EXPECT_EQ(context["is_user_install"], true);  // HOME is the config dir in agent_env
  for (const char* flag :
       {"in_docker_group", "in_libvirt_group", "in_sudo_group", "in_systemd_journal_group", "in_adm_group"}) {
    EXPECT_TRUE(context[flag].is_boolean()) << flag << " " << context.dump();
  }
  for (const char* absent : {"groups", "config_dir", "home_dir"}) {
    EXPECT_FALSE(context.contains(absent)) << absent << " " << context.dump();
  }
  EXPECT_EQ(requests[0]["body"].get<std::string>().find(run.conf().string()), std::string::npos);
  const Json payload = Json::parse(requests[1]["body"].get<std::string>());
  EXPECT_TRUE(payload.contains("ts"));
  EXPECT_FALSE(payload.contains("user_context")) << payload.dump().substr(0, 400);
}

TEST(CredentialsOnTheWire, UserContextFullRidesInEveryPayloadWithTheReferenceFields) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  ApiRun run(Json::array({{{"json", {{"config", enabled_config()}}}}}));
  ASSERT_TRUE(run.api.ok()) << run.api.error();
  AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env("", "full"), run.dir.path());
  ASSERT_TRUE(run.api.wait_for_records("request", 2, 20s)) << agent.log_text();
  stop(agent);
  const auto requests = run.api.records("request");
  for (std::size_t i = 0; i < 2; ++i) {
    const Json body = Json::parse(requests[i]["body"].get<std::string>());
    EXPECT_EQ(body.contains("get_config"), i == 0);
    ASSERT_TRUE(body.contains("user_context")) << i;
    const Json& context = body["user_context"];
    EXPECT_TRUE(context["groups"].is_array()) << context.dump();
    EXPECT_EQ(context["config_dir"], run.conf().string());
    EXPECT_EQ(context["home_dir"], run.conf().string());
    EXPECT_FALSE(context.contains("in_sudo_group"));
  }
}

// --- the local user: checks at start, before any request ---------------------

TEST(CredentialsAtStart, OwnTokenWithMode0644IsSetTo0600WithAWarning) {
  ScratchDir dir("fivenines-cred");
  write_token(dir.path() / "conf", k_enrollment, 0644);
  const ino_t inode = inode_of(dir.path() / "conf" / "TOKEN");
  // Port 9: nothing answers; the checks come first anyway.
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", 9), dir.path());
  ASSERT_TRUE(agent.wait_for_log("starting", 10s)) << agent.log_text();
  stop(agent);
  const fs::path token = dir.path() / "conf" / "TOKEN";
  EXPECT_EQ(mode_of(token), 0600u);
  EXPECT_EQ(inode_of(token), inode);  // repaired in place, not rewritten
  EXPECT_EQ(read_whole_file(token), k_enrollment);
  EXPECT_NE(agent.log_text().find("[WARNING][thread#"), std::string::npos);
  EXPECT_NE(agent.log_text().find(token.string() + ": mode 0644 was readable by group or others; set to 0600"),
            std::string::npos)
      << agent.log_text();
}

// A process that is not dumpable has its /proc/<pid> files owned by root, so
// another process of the same user can neither read its environment nor its
// memory. Run as an ordinary user (nobody when the suite runs as root); a
// plain child of the same user is the control that shows the check can fail.
TEST(CredentialsAtStart, AgentIsNotDumpableSoItsProcFilesAreClosedToItsOwnUser) {
  ScratchDir dir("fivenines-cred");
  write_token(dir.path() / "conf", k_enrollment);
  ::chmod((dir.path() / "conf").c_str(), 0700);
  give_to_unprivileged_user(dir.path());
  const auto report = run_unprivileged([&] {
    const auto describe = [](pid_t pid) {
      const std::string environ_path = "/proc/" + std::to_string(pid) + "/environ";
      struct stat st{};
      std::string text = ::stat(environ_path.c_str(), &st) == 0 ? "owner=" + std::to_string(st.st_uid) : "owner=?";
      const int fd = ::open(environ_path.c_str(), O_RDONLY | O_CLOEXEC);
      text += fd >= 0 ? " readable" : " unreadable";
      if (fd >= 0) ::close(fd);
      return text;
    };
    std::string out = "self=" + std::to_string(::getuid());
    {
      AgentProcess control({"/bin/sleep", "10"}, {{"PATH", "/usr/bin:/bin"}}, dir.path());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      out += " control:" + describe(control.pid());
    }
    // Port 9: nothing answers, the agent keeps asking for its config.
    AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", 9), dir.path());
    if (!agent.wait_for_log("starting", 10s)) return out + " agent did not start: " + agent.log_text();
    out += " agent:" + describe(agent.pid());
    stop(agent);
    return out;
  });
  ASSERT_TRUE(report);
  const std::string self = report->substr(0, report->find(' '));
  const std::string uid = self.substr(self.find('=') + 1);
  ASSERT_NE(uid, "0") << *report;
  EXPECT_NE(report->find("control:owner=" + uid + " readable"), std::string::npos) << *report;
  EXPECT_NE(report->find("agent:owner=0 unreadable"), std::string::npos) << *report;
}

TEST(CredentialsAtStart, TokenOfAnotherUserWithMode0644Exits2NamingPathAndMode) {
  if (!running_as_root()) GTEST_SKIP() << "needs root to give TOKEN to another user (CI runs as root)";
  ScratchDir dir("fivenines-cred");
  write_token(dir.path() / "conf", k_enrollment, 0644);
  const fs::path token = dir.path() / "conf" / "TOKEN";
  ASSERT_EQ(::chown(token.c_str(), k_unprivileged_uid, k_unprivileged_gid), 0);
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(dir.path() / "conf", 9), dir.path());
  const auto code = agent.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  const std::string log = agent.log_text();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_NE(log.find(token.string() + ": mode 0644 is readable by group or others (owner uid 65534"),
            std::string::npos)
      << log;
  EXPECT_EQ(mode_of(token), 0644u);  // not someone else's file to change
  EXPECT_EQ(log.find(k_enrollment), std::string::npos);
}

TEST(CredentialsAtStart, SymlinkedTokenExits2AndIsNeverFollowedNorWrittenThrough) {
  ScratchDir dir("fivenines-cred");
  const fs::path conf = dir.path() / "conf";
  fs::create_directories(conf);
  const fs::path elsewhere = dir.path() / "elsewhere-token";
  std::ofstream(elsewhere) << k_enrollment;
  ::chmod(elsewhere.c_str(), 0644);
  fs::create_symlink(elsewhere, conf / "TOKEN");
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(conf, 9), dir.path());
  const auto code = agent.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  const std::string log = agent.log_text();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_NE(log.find((conf / "TOKEN").string() + ": is a symlink, refused (never followed)"), std::string::npos)
      << log;
  EXPECT_TRUE(fs::is_symlink(conf / "TOKEN"));
  EXPECT_EQ(read_whole_file(elsewhere), k_enrollment);
  EXPECT_EQ(mode_of(elsewhere), 0644u);  // not "repaired" through the link
  EXPECT_EQ(log.find(k_enrollment), std::string::npos);
}

TEST(CredentialsAtStart, ConfigDirWritableByOthersIsRepairedWhenOwnedAndRefusedWhenNot) {
  ScratchDir dir("fivenines-cred");
  const fs::path conf = dir.path() / "conf";
  write_token(conf, k_enrollment);
  ::chmod(conf.c_str(), 0777);
  {
    AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(conf, 9), dir.path());
    ASSERT_TRUE(agent.wait_for_log("starting", 10s)) << agent.log_text();
    stop(agent);
    EXPECT_EQ(mode_of(conf), 0755u);
    EXPECT_NE(agent.log_text().find(conf.string() + ": mode 0777 was writable by group or others; set to 0755"),
              std::string::npos)
        << agent.log_text();
  }
  if (!running_as_root()) GTEST_SKIP() << "needs root to give CONFIG_DIR to another user (CI runs as root)";
  ::chmod(conf.c_str(), 0777);
  ASSERT_EQ(::chown(conf.c_str(), k_unprivileged_uid, k_unprivileged_gid), 0);
  AgentProcess agent({FIVENINES_AGENT_BINARY}, agent_env(conf, 9), dir.path());
  const auto code = agent.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_NE(agent.log_text().find(conf.string() + ": mode 0777 is writable by group or others (owner uid 65534"),
            std::string::npos)
      << agent.log_text();
  EXPECT_EQ(mode_of(conf), 0777u);
}

// --- kill -9 during token swaps ---------------------------------------------

// In a forked child: swap the token again and again (TOKEN_ROTATION=always,
// umask 000) until killed. Every token is "swap-token-" and 8 digits.
[[noreturn]] void swap_until_killed(const std::string& conf, unsigned run) {
  ::umask(0);
  const int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDERR_FILENO);  // the swaps' log lines
  auto token = read_token_file(conf);
  if (!token) ::_exit(3);
  TokenStore store(conf, std::move(*token), TokenRotation::always);
  // Distinct across runs, so that every accept is a real swap.
  for (unsigned i = 0;; ++i) {
    char next[32];
    std::snprintf(next, sizeof next, "swap-token-%08u", (run * 100000U + i) % 100000000U);
    (void)store.accept_token(next);
  }
}

TEST(CredentialsCrashSafety, KillNineAtRandomInstantsOfTokenSwapsNeverBreaksToken) {
  constexpr int k_runs = 300;
  const auto test_start = std::chrono::steady_clock::now();
  // load_credentials below logs each stale temp file it removes: keep the
  // test's output readable.
  const LogLevel old_level = log_level();
  set_log_level(LogLevel::warn);
  ScratchDir dir("fivenines-cred");
  const fs::path conf = dir.path() / "conf";
  write_token(conf, k_enrollment);
  const std::regex valid_token("swap-token-[0-9]{8}|" + std::string(k_enrollment));
  std::mt19937 random(std::random_device{}());
  // A swap is two fsynced renames: a few milliseconds on a disk, less on
  // tmpfs. Up to 15 ms lets a kill land anywhere in the first swaps.
  std::uniform_int_distribution<int> delay_us(0, 15000);
  int token_changed = 0;
  int state_ahead_of_token = 0;
  int temp_files_left = 0;
  for (int run = 0; run < k_runs; ++run) {
    const std::string before = read_whole_file(conf / "TOKEN");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) swap_until_killed(conf.string(), static_cast<unsigned>(run));
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "run " << run << ": the child ended on its own, status " << status;

    const fs::path token = conf / "TOKEN";
    struct stat st{};
    ASSERT_EQ(::lstat(token.c_str(), &st), 0) << "run " << run << ": TOKEN missing";
    ASSERT_TRUE(S_ISREG(st.st_mode)) << "run " << run;
    ASSERT_EQ(st.st_mode & 07777, 0600u) << "run " << run;
    const std::string content = read_whole_file(token);
    ASSERT_TRUE(std::regex_match(content, valid_token)) << "run " << run << ": TOKEN holds '" << content << "'";
    if (content != before) ++token_changed;
    // The invariant of the two-step swap: a per-host TOKEN is named by TOKEN_STATE.
    const auto state = load_enrollment_state(conf.string(), content);
    if (content != k_enrollment) {
      ASSERT_EQ(state.state, EnrollmentState::per_host_token) << "run " << run;
      ASSERT_FALSE(state.warning) << *state.warning;
      const std::string state_text = read_whole_file(conf / "TOKEN_STATE");
      if (state_text.find(token_sha256_hex(content)) != 9) ++state_ahead_of_token;  // killed between the steps
    }
    if (!temp_files_in(conf).empty()) ++temp_files_left;
    // What the next start does: the checks pass, stale temp files go, the
    // token reads back whole.
    auto loaded = load_credentials(conf.string());
    ASSERT_TRUE(loaded) << "run " << run << ": " << loaded.error().message;
    EXPECT_EQ((*loaded)->view(), content);
    ASSERT_TRUE(temp_files_in(conf).empty()) << "run " << run;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - test_start).count();
  std::printf("kill -9 runs: %d, TOKEN changed in %d, killed between TOKEN_STATE and TOKEN in %d, temp files left "
              "(then removed at start) in %d; %.1f s\n",
              k_runs, token_changed, state_ahead_of_token, temp_files_left, seconds);
  set_log_level(old_level);
  // The kills did land during swaps, not only before the first one.
  EXPECT_GT(token_changed, k_runs / 10);
}

TEST(CredentialsCrashSafety, KillNineOfTheRealAgentAroundItsTokenSwapLeavesAWholeToken) {
  if (!has_python()) GTEST_SKIP() << "python3 not found (Debian package python3)";
  constexpr int k_runs = 50;
  const auto test_start = std::chrono::steady_clock::now();
  int token_changed = 0;
  ApiRun run(Json::array({{{"json", {{"config", disabled_config()}}}}}));
  ASSERT_TRUE(run.api.ok()) << run.api.error();
  std::mt19937 random(std::random_device{}());
  // The answer comes 30 ms after the request is logged; the test sees the
  // log line within about 10 ms, so kills from 10 to 45 ms later fall
  // before, during and after the swap.
  std::uniform_int_distribution<int> delay_us(10000, 45000);
  std::vector<std::string> offered = {k_enrollment};
  for (int attempt = 0; attempt < k_runs; ++attempt) {
    char next[40];
    std::snprintf(next, sizeof next, "real-agent-token-%04d", attempt);
    offered.emplace_back(next);
    run.api.set_script(
        Json::array({{{"delay_s", 0.03}, {"json", {{"config", disabled_config()}, {"token", next}}}}}));
    const std::size_t before = run.api.records("request").size();
    const std::string token_before = read_whole_file(run.token());
    AgentProcess agent({FIVENINES_AGENT_BINARY}, run.env("always"), run.dir.path(), /*umask_for_child=*/0);
    // The request is logged before it is answered: kill somewhere around
    // the answer and the swap it causes.
    ASSERT_TRUE(run.api.wait_for_records("request", before + 1, 20s)) << agent.log_text();
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ::kill(agent.pid(), SIGKILL);
    ASSERT_TRUE(agent.wait_exit(5s));
    ASSERT_EQ(mode_of(run.token()), 0600u) << "run " << attempt;
    const std::string content = read_whole_file(run.token());
    ASSERT_TRUE(std::find(offered.begin(), offered.end(), content) != offered.end())
        << "run " << attempt << ": TOKEN holds '" << content << "'";
    if (content != token_before) ++token_changed;
  }
  std::printf("real agent kill -9 runs: %d, TOKEN changed in %d; %.1f s\n", k_runs, token_changed,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - test_start).count());
  // The next start cleans up and runs on whatever token survived.
  auto loaded = load_credentials(run.conf().string());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(temp_files_in(run.conf()).empty());
}

}  // namespace
}  // namespace fivenines::testing
