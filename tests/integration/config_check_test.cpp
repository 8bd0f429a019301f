// `fivenines-agent config check [FILE|-]` end to end through the built
// binary: exit codes, the validated config on stdout, warnings on stderr,
// the byte offset of a parse error.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace fivenines {
namespace {

namespace fs = std::filesystem;

using testing::ScratchDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct AgentRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the agent with `args`, stdin from `stdin_text`, a minimal
// environment; stdout and stderr go through files (no pipe can fill up).
AgentRun run_agent(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  ScratchDir dir("fivenines-config-check");
  std::ofstream(dir.file("stdin"), std::ios::binary) << stdin_text;
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
  ::posix_spawn_file_actions_addopen(&actions, 0, dir.file("stdin").c_str(), O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, dir.file("stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_addopen(&actions, 2, dir.file("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  AgentRun run;
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

constexpr const char* k_config = R"({"enabled": true, "interval": 10, "cpu": "yes", "Interval": 5,
  "redis": {"port": 6380, "password": "hunter2\r\n"},
  "nginx": {"status_page_url": "http://127.0.0.2:8080/nginx_status"},
  "proxmox": {"token_id": "mon@pve!agent", "token_secret": "0f8fad5b-d9cb-469f-a165-70867728950e", "verify_ssl": false},
  "docker": true})";

constexpr const char* k_expected_out =
    R"({"enabled": true, "interval": 30, "cpu": true, "redis": {"port": 6380, "password": "<redacted>"}, )"
    R"("nginx": null, "proxmox": {"host": "localhost", "port": 8006, "token_id": "mon@pve!agent", )"
    R"("token_secret": "<redacted>", "verify_ssl": true}, "docker": {"socket_url": null}})"
    "\n";

constexpr const char* k_expected_err =
    "config.interval: outside 30..3600 (clamped to 30)\n"
    "config.cpu: not a boolean (read as true)\n"
    "config.Interval: unknown key (dropped)\n"
    "config.redis.password: CR/LF removed\n"
    "config.nginx.status_page_url: host is not localhost, 127.0.0.1 or ::1 (section disabled)\n"
    "config.proxmox.verify_ssl: false refused (TLS is always verified)\n";

TEST(ConfigCheck, FilePrintsValidatedConfigAndWarnings) {
  ScratchDir dir("fivenines-config-check");
  std::ofstream(dir.file("config.json")) << k_config;
  const AgentRun run = run_agent({"config", "check", dir.file("config.json")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, k_expected_out);
  EXPECT_EQ(run.err, k_expected_err);
  EXPECT_EQ(run.out.find("hunter2"), std::string::npos);
  EXPECT_EQ(run.err.find("hunter2"), std::string::npos);
  EXPECT_EQ(run.out.find("0f8fad5b"), std::string::npos);
}

TEST(ConfigCheck, StdinWithDashOrNoFile) {
  for (const auto& args :
       {std::vector<std::string>{"config", "check", "-"}, std::vector<std::string>{"config", "check"}}) {
    const AgentRun run = run_agent(args, k_config);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, k_expected_out);
    EXPECT_EQ(run.err, k_expected_err);
  }
}

TEST(ConfigCheck, WholeAnswerIsAccepted) {
  const AgentRun run = run_agent(
      {"config", "check"}, R"({"config": {"memory": true, "ports": {"monitored_ports": [22, 22]}}, "token": "t"})");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "{\"memory\": true, \"ports\": {\"monitored_ports\": [22]}}\n");
  EXPECT_EQ(run.err, "config.ports.monitored_ports[1]: duplicate (removed)\n");
  // The output is itself valid input with the same result and no warning.
  const AgentRun again = run_agent({"config", "check"}, run.out);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, run.out);
  EXPECT_EQ(again.err, "");
}

TEST(ConfigCheck, GateRefusalExitsTwoWithByteOffset) {
  const struct {
    std::string input;
    std::string err;
  } cases[] = {
      {R"({"interval": NaN})",
       "fivenines-agent: config: not valid JSON at byte 13: syntax error while parsing value - invalid literal\n"},
      {"{\"a\": 1,\n \"b\": }",
       "fivenines-agent: config: not valid JSON at byte 15: syntax error while parsing value - unexpected '}'; "
       "expected "
       "'[', '{', or a literal\n"},
      {R"({"cpu": true, "\u0063pu": false})", "fivenines-agent: config: duplicate key \"cpu\" at byte 23\n"},
      {"\xEF\xBB\xBF{}", "fivenines-agent: config: not valid JSON at byte 0: starts with a byte order mark\n"},
      {R"({"a": "\udc00"})",
       "fivenines-agent: config: not valid JSON at byte 12: syntax error while parsing value - invalid string: "
       "surrogate "
       "U+DC00..U+DFFF must follow U+D800..U+DBFF\n"},
      {R"({"interval": 1e400})", "fivenines-agent: config: not valid JSON at byte 17: number overflows a double\n"},
      {"[1, 2]", "fivenines-agent: config: not a JSON object\n"},
      {R"({"config": 5})", "fivenines-agent: config: \"config\" is not an object\n"},
      {std::string(100000, '['), "fivenines-agent: config: nested deeper than 32 at byte 32\n"},
      {std::string(1024 * 1024 + 1, ' '), "fivenines-agent: config: larger than 1048576 bytes\n"},
  };
  for (const auto& c : cases) {
    const AgentRun run = run_agent({"config", "check", "-"}, c.input);
    EXPECT_EQ(run.exit_code, 2) << c.err;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(run.err, c.err);
  }
}

TEST(ConfigCheck, OversizedOrMissingFileExitsTwo) {
  ScratchDir dir("fivenines-config-check");
  std::ofstream(dir.file("big.json")) << std::string(2 * 1024 * 1024, ' ');
  const AgentRun big = run_agent({"config", "check", dir.file("big.json")});
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_EQ(big.err, "fivenines-agent: config: larger than 1048576 bytes\n");
  const AgentRun missing = run_agent({"config", "check", dir.file("missing.json")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "fivenines-agent: config check: read " + dir.file("missing.json") + ": no such file or directory\n");
}

TEST(ConfigCheck, BadArgumentsExitTwoWithUsage) {
  for (const auto& args : {std::vector<std::string>{"config"}, std::vector<std::string>{"config", "show"},
                           std::vector<std::string>{"config", "check", "a", "b"}}) {
    const AgentRun run = run_agent(args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, "fivenines-agent: usage: fivenines-agent config check [FILE|-]\n");
  }
  const AgentRun help = run_agent({"--help"});
  EXPECT_NE(help.out.find("fivenines-agent config check [FILE|-]"), std::string::npos);
}

TEST(DryRunConfig, UsesTheSameValidator) {
  ScratchDir dir("fivenines-config-check");
  std::ofstream(dir.file("config.json")) << R"({"enabled": true, "memory": true, "cpu": false,
      "redis": {"port": 6379.5, "password": "hunter2"}, "bogus": 1})";
  const AgentRun run = run_agent({"--dry-run", "--config", dir.file("config.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto payload = nlohmann::json::parse(run.out);
  EXPECT_TRUE(payload.contains("memory"));
  EXPECT_FALSE(payload.contains("cpu"));
  EXPECT_NE(run.err.find("config.redis.port: not an integer 1..65535 (section disabled)"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("config.bogus: unknown key (dropped)"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("hunter2"), std::string::npos);

  std::ofstream(dir.file("dup.json")) << R"({"memory": true, "memory": false})";
  const AgentRun dup = run_agent({"--dry-run", "--config", dir.file("dup.json")});
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_NE(dup.err.find("duplicate key \"memory\" at byte 24"), std::string::npos) << dup.err;
  EXPECT_EQ(dup.out, "");
}

}  // namespace
}  // namespace fivenines
