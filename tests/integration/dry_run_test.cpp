// End-to-end: the built binary's --dry-run on THIS machine, checked against
// independent readings of the host, plus the CLI's error paths.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mntent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/fixture_cases.hpp"
#include "support/run_binary.hpp"

namespace fivenines {
namespace {

using Json = nlohmann::ordered_json;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/fivenines-e2e-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) m_path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(m_path); }
  [[nodiscard]] const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

std::map<std::string, std::string> base_env(const std::string& config_dir) {
  return {{"CONFIG_DIR", config_dir}, {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}, {"HOME", "/root"}};
}

testing::BinaryRun run_agent(std::vector<std::string> args, std::map<std::string, std::string> env) {
  args.insert(args.begin(), FIVENINES_AGENT_BINARY);
  return testing::run_binary(args, env);
}

std::uint64_t meminfo_total_kib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t value = 0;
  in >> key >> value;
  EXPECT_EQ(key, "MemTotal:");
  return value;
}

// Independent reading of the physical mounts: getmntent(3) plus the
// non-"nodev" file systems of /proc/filesystems and the contract's skip list.
std::set<std::string> physical_mount_points() {
  std::set<std::string> physical_types;
  std::ifstream filesystems("/proc/filesystems");
  std::string line;
  while (std::getline(filesystems, line)) {
    if (line.rfind("nodev", 0) == 0) continue;
    std::istringstream fields(line);
    std::string type;
    fields >> type;
    if (!type.empty()) physical_types.insert(type);
  }
  physical_types.insert("zfs");
  const std::set<std::string> skipped = {"squashfs", "cagefs-skeleton", "overlay", "devtmpfs", "tmpfs", "loop",
                                         "nullfs", "cdfs", "udf", "iso9660"};
  std::set<std::string> mounts;
  FILE* table = ::setmntent("/proc/self/mounts", "r");
  if (table == nullptr) return mounts;
  while (const mntent* entry = ::getmntent(table)) {
    const std::string device = entry->mnt_fsname;
    const std::string type = entry->mnt_type;
    if (device.empty() || device == "none" || !physical_types.count(type) || skipped.count(type)) continue;
    if (std::string(entry->mnt_opts).find("cdrom") != std::string::npos) continue;
    struct statvfs st{};
    if (::statvfs(entry->mnt_dir, &st) != 0) continue;
    mounts.insert(entry->mnt_dir);
  }
  ::endmntent(table);
  return mounts;
}

// Listens on a TCP port below the ephemeral range; returns the port.
int listen_below_ephemeral_range(int& fd) {
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  for (int port = 21000; port < 32000; ++port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(fd, 1) == 0) return port;
  }
  return -1;
}

TEST(DryRunOnThisHost, PrintsOnePayloadMatchingIndependentReadings) {
  TempDir config_dir;
  int listener = -1;
  const int port = listen_below_ephemeral_range(listener);
  ASSERT_GT(port, 0);

  const auto run = run_agent({"--dry-run"}, base_env(config_dir.path()));
  ::close(listener);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // Exactly one JSON document on stdout (parse() rejects trailing text).
  const Json payload = Json::parse(run.out);
  ASSERT_TRUE(payload.is_object());

  EXPECT_EQ(payload["memory"]["total"].get<std::uint64_t>(), meminfo_total_kib() * 1024);
  EXPECT_EQ(payload["cpu_count"].get<long>(), ::sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_EQ(payload["cpu"].size(), static_cast<std::size_t>(::sysconf(_SC_NPROCESSORS_ONLN)));

  std::set<std::string> reported_mounts;
  for (const auto& [mount, usage] : payload["partitions_usage"].items()) reported_mounts.insert(mount);
  EXPECT_EQ(reported_mounts, physical_mount_points());

  bool found_port = false;
  for (const auto& entry : payload["ports"]) {
    if (entry[0] == port && entry[1] == "TCP (IPv4)" && entry[2] == "0.0.0.0") found_port = true;
  }
  EXPECT_TRUE(found_port) << "port " << port << " not in " << payload["ports"].dump();

  // This test process, with its real name (the 15-byte comm extended from
  // argv[0]) and its parent.
  const std::string own_name = std::filesystem::read_symlink("/proc/self/exe").filename().string();
  bool found_self = false;
  for (const auto& process : payload["processes"]) {
    if (process["pid"] == ::getpid()) {
      found_self = true;
      EXPECT_EQ(process["name"], own_name);
      EXPECT_EQ(process["ppid"], ::getppid());
      EXPECT_EQ(process["username"], "root") << "run the suite as root, as CI does";
    }
  }
  EXPECT_TRUE(found_self);

  // A dry run needs no TOKEN and writes nothing, not even MACHINE_ID.
  EXPECT_TRUE(std::filesystem::is_empty(config_dir.path()));
  EXPECT_TRUE(payload["machine_id"].is_null());
}

TEST(DryRunOnThisHost, KeysComeInContractOrderWithContractTypes) {
  TempDir config_dir;
  const auto run = run_agent({"--dry-run"}, base_env(config_dir.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json payload = Json::parse(run.out);
  std::vector<std::string> keys;
  for (const auto& [key, value] : payload.items()) keys.push_back(key);
  const std::vector<std::string> expected = {
      "version", "uname", "boot_time", "capabilities", "capability_reasons", "pending_capabilities", "user_context",
      "machine_id", "ts", "load_average", "file_handles_used", "file_handles_limit", "cpu", "cpu_usage", "cpu_model",
      "cpu_count", "memory", "swap", "network", "partitions_metadata", "partitions_usage", "io", "processes", "ports",
      "_telemetry", "running_time"};
  EXPECT_EQ(keys, expected);
  EXPECT_TRUE(payload["boot_time"].is_number_float());
  EXPECT_TRUE(payload["ts"].is_number_float());
  EXPECT_TRUE(payload["running_time"].is_number_float());
  EXPECT_TRUE(payload["load_average"].is_array());
  EXPECT_EQ(payload["cpu_usage"][0].size(), 10u);
  EXPECT_TRUE(payload["network"].is_array());
  EXPECT_TRUE(payload["partitions_usage"].is_object());
  EXPECT_TRUE(payload["processes"][0]["cpu_times"].is_array());
  for (const auto& [name, entry] : payload["_telemetry"].items()) {
    EXPECT_TRUE(entry["duration_ms"].is_number_float()) << name;
    EXPECT_FALSE(entry.contains("errors")) << name << ": " << entry.dump();
  }
  // Percentages are real on the first payload: some core did some work in
  // the sampling window, and none is out of range.
  for (const auto& core : payload["cpu"]) {
    EXPECT_GE(core["percentage"].get<double>(), 0.0);
    EXPECT_LE(core["percentage"].get<double>(), 100.0);
    double sum = 0;
    for (const char* field : {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}) {
      sum += core[field].get<double>();
    }
    EXPECT_NEAR(sum, 100.0, 1.0) << core.dump();
  }
}

TEST(DryRunOnThisHost, DryRunEnvironmentVariableEqualsTheFlag) {
  TempDir config_dir;
  auto env = base_env(config_dir.path());
  env["DRY_RUN"] = "true";
  const auto run = run_agent({}, env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Json::parse(run.out).contains("cpu"));
}

TEST(DryRunOnThisHost, ConfigFileSelectsCollectors) {
  TempDir config_dir;
  const std::string config_path = config_dir.path() + "/config.json";
  std::ofstream(config_path) << R"({"enabled": true, "memory": true, "ports": false, "bogus": 1})";
  const auto run = run_agent({"--dry-run", "--config", config_path}, base_env(config_dir.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json payload = Json::parse(run.out);
  EXPECT_TRUE(payload.contains("memory"));
  EXPECT_TRUE(payload.contains("load_average"));  // never gated, never configured
  EXPECT_FALSE(payload.contains("cpu"));
  EXPECT_FALSE(payload.contains("ports"));
  EXPECT_NE(run.err.find("bogus"), std::string::npos) << run.err;
}

// libcurl and the ~30 libraries it brings cost about 5 MiB of RSS just by
// being loaded (platform/curl_library.hpp): a dry run, which opens no
// connection, must never load it. The dynamic loader's own trace
// (LD_DEBUG=files) names every library it loads; the control is
// `config check` of an nginx URL, whose re-parse does use libcurl.
TEST(DryRunOnThisHost, NeverLoadsLibcurl) {
  TempDir config_dir;
  auto env = base_env(config_dir.path());
  env["LD_DEBUG"] = "files";
  const auto dry_run = run_agent({"--dry-run"}, env);
  ASSERT_EQ(dry_run.exit_code, 0) << dry_run.err.substr(0, 2000);
  EXPECT_NE(dry_run.err.find("libcrypto.so"), std::string::npos) << "no loader trace?";
  EXPECT_EQ(dry_run.err.find("libcurl.so"), std::string::npos);

  const std::string config_path = config_dir.path() + "/nginx.json";
  std::ofstream(config_path) << R"({"nginx": {"status_page_url": "http://127.0.0.1/nginx_status"}})";
  const auto check = run_agent({"config", "check", config_path}, env);
  ASSERT_EQ(check.exit_code, 0) << check.err.substr(0, 2000);
  EXPECT_NE(check.err.find("libcurl.so.4"), std::string::npos);
}

TEST(DryRunOnThisHost, DotenvIsReadFromConfigDir) {
  TempDir config_dir;
  std::ofstream(config_dir.path() + "/.env") << "# comment\nexport LOG_LEVEL=debug\nbad line\n";
  const auto run = run_agent({"--dry-run"}, base_env(config_dir.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find(".env: line 3: expected KEY=VALUE (skipped)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("[DEBUG]"), std::string::npos) << "LOG_LEVEL from .env not applied";
}

TEST(AgentCommandLine, VersionAndHelp) {
  TempDir config_dir;
  const auto version = run_agent({"--version"}, base_env(config_dir.path()));
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("fivenines-agent ") + FIVENINES_VERSION + "\n");
  const auto help = run_agent({"--help"}, base_env(config_dir.path()));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: fivenines-agent"), std::string::npos);
}

TEST(AgentCommandLine, BadFlagsAndValuesExitTwoWithOneLine) {
  TempDir config_dir;
  const auto env = base_env(config_dir.path());
  const struct {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--frobnicate"}, "fivenines-agent: unknown option '--frobnicate' (see --help)\n"},
      {{"--dry-run", "--proc-root", "/nonexistent-root"}, "fivenines-agent: --proc-root /nonexistent-root: not a directory (see --help)\n"},
      {{"--dry-run", "--config"}, "fivenines-agent: option '--config' needs a value (see --help)\n"},
      {{"--dry-run", "--config", "/nonexistent.json"},
       "fivenines-agent: --config: read /nonexistent.json: no such file or directory\n"},
  };
  for (const auto& c : cases) {
    const auto run = run_agent(c.args, env);
    EXPECT_EQ(run.exit_code, 2) << c.args[0];
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(run.err, c.message);
  }
}

TEST(AgentCommandLine, UnknownLogLevelWarnsAndRuns) {
  TempDir config_dir;
  auto env = base_env(config_dir.path());
  env["LOG_LEVEL"] = "chatty";
  const auto run = run_agent({"--dry-run"}, env);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.err.find("LOG_LEVEL 'chatty' is not one of debug, info, warn, error: using info"), std::string::npos);
}

TEST(AgentCommandLine, BrokenConfigFileExitsTwo) {
  TempDir config_dir;
  const std::string path = config_dir.path() + "/config.json";
  std::ofstream(path) << "[1, 2, 3]";
  const auto run = run_agent({"--dry-run", "--config", path}, base_env(config_dir.path()));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("not a JSON object"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

}  // namespace
}  // namespace fivenines
