#include "capabilities/probes.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "platform/subprocess.hpp"
#include "support/unprivileged.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "fivenines-probes-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) m_path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A fake host under a temporary directory: proc/, sys/, bin/ (the PATH) and
// the socket and directory paths the probes stat.
class FakeHost {
 public:
  FakeHost() {
    fs::create_directories(bin());
    m_env.paths.proc = (root() / "proc").string();
    m_env.paths.sys = (root() / "sys").string();
    m_env.search_path = bin().string();
    m_env.docker_socket = (root() / "docker.sock").string();
    m_env.libvirt_socket = (root() / "libvirt-sock-ro").string();
    m_env.pve_dir = (root() / "pve").string();
    m_env.systemd_run_dir = (root() / "run-systemd-system").string();
    m_env.nvml_library = (root() / "libnvidia-ml.so.1").string();
    m_env.command_timeout = std::chrono::milliseconds(3000);
  }

  [[nodiscard]] const fs::path& root() const { return m_dir.path(); }
  [[nodiscard]] fs::path bin() const { return root() / "bin"; }
  [[nodiscard]] fs::path proc() const { return root() / "proc"; }
  [[nodiscard]] fs::path sys() const { return root() / "sys"; }
  ProbeEnvironment& env() { return m_env; }

  // A program on the fake PATH: a shell script (externals by absolute path,
  // as PATH holds only bin/). It appends its arguments to <name>.args.
  void program(const std::string& name, const std::string& body = "exit 0") {
    const fs::path path = bin() / name;
    std::ofstream(path) << "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" << (root() / (name + ".args")).string() << "'\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
  }
  [[nodiscard]] std::string args_of(const std::string& name) const { return read_text(root() / (name + ".args")); }

  void core_proc_files() {
    for (const char* file : {"stat", "meminfo", "loadavg", "diskstats", "net/dev", "mounts", "sys/fs/file-nr",
                             "net/tcp", "self/stat"}) {
      write_file(proc() / file, "x\n");
    }
  }

  ProbeOutcome probe(Capability capability) const { return probe_capability(m_env, capability); }

  // The probe as an ordinary user, also under root (support/unprivileged.hpp):
  // the fake host is handed to that user first. A child that failed shows
  // as an available outcome with the failure as its reason.
  ProbeOutcome probe_unprivileged(Capability capability) const {
    const auto text = testing::run_unprivileged([&] {
      const ProbeOutcome outcome = probe(capability);
      return std::string(outcome.available ? "1" : "0") + outcome.reason;
    });
    if (!text || text->empty()) return {true, "no outcome from the unprivileged child"};
    return {text->front() == '1', text->substr(1)};
  }

 private:
  TempDir m_dir;
  ProbeEnvironment m_env;
};

void expect_unavailable(const ProbeOutcome& outcome, const std::string& reason) {
  EXPECT_FALSE(outcome.available);
  EXPECT_EQ(outcome.reason, reason);
}

void expect_available(const ProbeOutcome& outcome) {
  EXPECT_TRUE(outcome.available) << outcome.reason;
  EXPECT_EQ(outcome.reason, "");
}

constexpr Capability k_core[] = {Capability::cpu,        Capability::memory,     Capability::load_average,
                                 Capability::io,         Capability::network,    Capability::partitions,
                                 Capability::file_handles, Capability::ports,    Capability::processes};

TEST(CoreProbes, TrueWhenProcFilesAreReadable) {
  FakeHost host;
  host.core_proc_files();
  for (const auto capability : k_core) expect_available(host.probe(capability));
}

TEST(CoreProbes, FalseWithPathWhenMissing) {
  FakeHost host;
  const std::string proc = host.proc().string();
  expect_unavailable(host.probe(Capability::cpu), proc + "/stat does not exist");
  expect_unavailable(host.probe(Capability::memory), proc + "/meminfo does not exist");
  expect_unavailable(host.probe(Capability::load_average), proc + "/loadavg does not exist");
  expect_unavailable(host.probe(Capability::io), proc + "/diskstats does not exist");
  expect_unavailable(host.probe(Capability::network), proc + "/net/dev does not exist");
  expect_unavailable(host.probe(Capability::partitions), proc + "/mounts does not exist");
  expect_unavailable(host.probe(Capability::file_handles), proc + "/sys/fs/file-nr does not exist");
  expect_unavailable(host.probe(Capability::ports), proc + "/net/tcp does not exist");
  expect_unavailable(host.probe(Capability::processes), proc + "/self/stat does not exist");
}

TEST(CoreProbes, FalseWhenNotReadable) {
  FakeHost host;
  host.core_proc_files();
  testing::give_to_unprivileged_user(host.root());
  fs::permissions(host.proc() / "diskstats", fs::perms::none);
  expect_unavailable(host.probe_unprivileged(Capability::io),
                     (host.proc() / "diskstats").string() + ": permission denied");
}

TEST(HwmonProbe, FalseWhenHwmonIsMissing) {
  FakeHost host;
  const std::string reason = host.sys().string() + "/class/hwmon does not exist";
  expect_unavailable(host.probe(Capability::temperatures), reason);
  expect_unavailable(host.probe(Capability::fans), reason);
}

TEST(HwmonProbe, FalseWithoutTemperatureInputs) {
  FakeHost host;
  write_file(host.sys() / "class/hwmon/hwmon0/fan1_input", "1200\n");
  write_file(host.sys() / "class/hwmon/hwmon0/temp1_label", "Core 0\n");
  write_file(host.sys() / "class/hwmon/hwmon1/name", "acpitz\n");
  const std::string reason = "no readable temp*_input sensor under " + host.sys().string() + "/class/hwmon";
  expect_unavailable(host.probe(Capability::temperatures), reason);
  expect_unavailable(host.probe(Capability::fans), reason);
}

TEST(HwmonProbe, TrueWithATemperatureInputBehindASymlink) {
  FakeHost host;
  // As in sysfs: class/hwmon/hwmonN links to the device's directory.
  write_file(host.sys() / "devices/platform/coretemp.0/hwmon/hwmon2/temp1_input", "42000\n");
  fs::create_directories(host.sys() / "class/hwmon");
  fs::create_directory_symlink(host.sys() / "devices/platform/coretemp.0/hwmon/hwmon2",
                               host.sys() / "class/hwmon/hwmon2");
  write_file(host.sys() / "class/hwmon/hwmon0/fan1_input", "1200\n");
  expect_available(host.probe(Capability::temperatures));
  expect_available(host.probe(Capability::fans));
}

// Builds a stand-in NVML with the C compiler; nullopt when there is none.
std::optional<fs::path> build_fake_nvml(const fs::path& dir, const std::string& name, const std::string& defines) {
  const auto compiler = find_in_path("cc");
  if (!compiler) return std::nullopt;
  const fs::path source = dir / (name + ".c");
  std::ofstream(source) << R"(#ifndef INIT_RC
#define INIT_RC 0
#endif
#ifndef COUNT_RC
#define COUNT_RC 0
#endif
#ifndef DEVICES
#define DEVICES 2
#endif
static int initialised;
#ifndef OMIT_INIT
int nvmlInit_v2(void) { if (INIT_RC == 0) initialised = 1; return INIT_RC; }
#endif
int nvmlDeviceGetCount_v2(unsigned int* count) {
  if (!initialised) return 1;
  *count = DEVICES;
  return COUNT_RC;
}
int nvmlShutdown(void) { initialised = 0; return 0; }
const char* nvmlErrorString(int rc) { return rc == 9 ? "Driver Not Loaded" : "Unknown Error"; }
)";
  const fs::path library = dir / (name + ".so");
  std::vector<std::string> argv = {*compiler, "-shared", "-fPIC", "-o", library.string(), source.string()};
  std::istringstream words(defines);
  for (std::string word; words >> word;) argv.push_back(word);
  SubprocessOptions options;
  options.timeout = std::chrono::seconds(60);
  const auto result = run_subprocess(argv, options);
  if (!result || !result->succeeded()) {
    ADD_FAILURE() << "cc failed: " << (result ? result->stderr_text : result.error().message);
    return std::nullopt;
  }
  return library;
}

TEST(NvidiaProbe, FalseWhenTheLibraryIsMissing) {
  FakeHost host;
  expect_unavailable(host.probe(Capability::nvidia_gpu), host.env().nvml_library + " not found");
}

TEST(NvidiaProbe, FalseWhenTheFileIsNotALibrary) {
  FakeHost host;
  write_file(host.env().nvml_library, "not an elf file");
  const auto outcome = host.probe(Capability::nvidia_gpu);
  EXPECT_FALSE(outcome.available);
  EXPECT_EQ(outcome.reason.rfind("dlopen ", 0), 0u) << outcome.reason;
}

TEST(NvidiaProbe, BranchesOfAFakeNvml) {
  FakeHost host;
  const auto gpus = build_fake_nvml(host.root(), "two_gpus", "");
  if (!gpus) GTEST_SKIP() << "no C compiler to build a fake libnvidia-ml";
  host.env().nvml_library = gpus->string();
  expect_available(host.probe(Capability::nvidia_gpu));

  host.env().nvml_library = build_fake_nvml(host.root(), "no_driver", "-DINIT_RC=9").value().string();
  expect_unavailable(host.probe(Capability::nvidia_gpu), "nvmlInit_v2: Driver Not Loaded");

  host.env().nvml_library = build_fake_nvml(host.root(), "no_gpu", "-DDEVICES=0").value().string();
  expect_unavailable(host.probe(Capability::nvidia_gpu), "no nvidia gpu found");

  host.env().nvml_library = build_fake_nvml(host.root(), "count_fails", "-DCOUNT_RC=999").value().string();
  expect_unavailable(host.probe(Capability::nvidia_gpu), "nvmlDeviceGetCount_v2: Unknown Error");

  host.env().nvml_library = build_fake_nvml(host.root(), "old", "-DOMIT_INIT").value().string();
  expect_unavailable(host.probe(Capability::nvidia_gpu),
                     host.env().nvml_library + " lacks nvmlInit_v2, nvmlDeviceGetCount_v2 or nvmlShutdown");
}

struct SudoCase {
  Capability capability;
  std::string program;
  std::string args;
};

class SudoProbe : public ::testing::TestWithParam<SudoCase> {};

TEST_P(SudoProbe, FalseWhenTheProgramIsNotOnPath) {
  FakeHost host;
  host.program("sudo");
  expect_unavailable(host.probe(GetParam().capability), GetParam().program + " not found in PATH");
}

TEST_P(SudoProbe, FalseWhenSudoIsNotOnPath) {
  FakeHost host;
  host.program(GetParam().program);
  expect_unavailable(host.probe(GetParam().capability), "sudo not found in PATH");
}

TEST_P(SudoProbe, FalseWithSudoStderrWhenRefused) {
  FakeHost host;
  host.program(GetParam().program);
  host.program("sudo", "echo 'sudo: a password is required' >&2\nexit 1");
  expect_unavailable(host.probe(GetParam().capability),
                     "sudo -n " + GetParam().program + ": sudo: a password is required");
}

TEST_P(SudoProbe, FalseWithStatusWhenRefusedSilently) {
  FakeHost host;
  host.program(GetParam().program);
  host.program("sudo", "exit 1");
  expect_unavailable(host.probe(GetParam().capability),
                     "sudo -n " + GetParam().program + " " + GetParam().args + " exited with status 1");
}

TEST_P(SudoProbe, FalseWhenSudoHangs) {
  FakeHost host;
  host.env().command_timeout = std::chrono::milliseconds(200);
  host.program(GetParam().program);
  host.program("sudo", "exec /bin/sleep 10");
  expect_unavailable(host.probe(GetParam().capability),
                     "sudo -n " + GetParam().program + " " + GetParam().args + " timed out after 200 ms");
}

TEST_P(SudoProbe, TrueWhenSudoRunsItWithoutPassword) {
  FakeHost host;
  host.program(GetParam().program);
  host.program("sudo", "exit 0");
  expect_available(host.probe(GetParam().capability));
  EXPECT_EQ(host.args_of("sudo"), "-n " + GetParam().program + " " + GetParam().args + "\n");
}

INSTANTIATE_TEST_SUITE_P(Commands, SudoProbe,
                         ::testing::Values(SudoCase{Capability::smart_storage, "smartctl", "--version"},
                                           SudoCase{Capability::raid_storage, "mdadm", "--version"},
                                           SudoCase{Capability::fail2ban, "fail2ban-client", "status"}),
                         [](const auto& test_info) { return std::string(capability_name(test_info.param.capability)); });

TEST(SudoProbeEnvironment, ChildDoesNotSeeDeniedVariables) {
  FakeHost host;
  host.env().env_deny = {"API_URL"};
  ASSERT_EQ(::setenv("API_URL", "api.example.test", 1), 0);
  host.program("smartctl");
  host.program("sudo", "/usr/bin/env > '" + (host.root() / "sudo.env").string() + "'");
  const auto outcome = host.probe(Capability::smart_storage);
  ::unsetenv("API_URL");
  expect_available(outcome);
  const auto env = read_text(host.root() / "sudo.env");
  EXPECT_EQ(env.find("API_URL"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH=" + host.bin().string() + "\n"), std::string::npos) << env;
}

TEST(OnPathProbes, CephAndSnmp) {
  FakeHost host;
  expect_unavailable(host.probe(Capability::ceph), "ceph not found in PATH");
  expect_unavailable(host.probe(Capability::snmp), "snmpget not found in PATH");
  host.program("ceph", "exit 1");  // never run: presence is enough
  host.program("snmpget", "exit 1");
  expect_available(host.probe(Capability::ceph));
  expect_available(host.probe(Capability::snmp));
  EXPECT_FALSE(fs::exists(host.root() / "ceph.args"));
}

TEST(ZfsProbe, FalseWhenZpoolIsNotOnPath) {
  FakeHost host;
  expect_unavailable(host.probe(Capability::zfs), "zpool not found in PATH");
}

TEST(ZfsProbe, TrueWhenPoolsAreListed) {
  FakeHost host;
  host.program("zpool", "printf 'tank\\t100G\\n'\nexit 0");
  expect_available(host.probe(Capability::zfs));
  EXPECT_EQ(host.args_of("zpool"), "list -H\n");
}

TEST(ZfsProbe, TrueWhenNoPoolsAreAvailable) {
  FakeHost host;
  host.program("zpool", "echo 'No pools available' >&2\nexit 1");
  expect_available(host.probe(Capability::zfs));
}

TEST(ZfsProbe, FalseWithStderrWhenRefused) {
  FakeHost host;
  host.program("zpool", "echo 'Permission denied the ZFS utilities must be run as root.' >&2\nexit 1");
  expect_unavailable(host.probe(Capability::zfs), "zpool list -H: Permission denied the ZFS utilities must be run as root.");
}

TEST(ZfsProbe, FalseWithStatusWhenSilent) {
  FakeHost host;
  host.program("zpool", "exit 2");
  expect_unavailable(host.probe(Capability::zfs), "zpool list -H exited with status 2");
}

TEST(ProbeReasons, LongStderrIsClippedOnACharacterBoundary) {
  FakeHost host;
  // 300 two-byte characters on one line.
  std::string line;
  for (int i = 0; i < 300; ++i) line += "\xc3\xa9";
  host.program("zpool", "printf '%s\\n' '" + line + "' >&2\nexit 1");
  const auto outcome = host.probe(Capability::zfs);
  EXPECT_FALSE(outcome.available);
  EXPECT_LE(outcome.reason.size(), 200u);
  EXPECT_GE(outcome.reason.size(), 199u);
  EXPECT_EQ(outcome.reason.rfind("zpool list -H: \xc3\xa9", 0), 0u);
  EXPECT_EQ(outcome.reason.substr(outcome.reason.size() - 2), "\xc3\xa9");  // no torn character
}

TEST(DockerProbe, FalseWhenTheSocketIsMissing) {
  FakeHost host;
  expect_unavailable(host.probe(Capability::docker), host.env().docker_socket + " does not exist");
}

TEST(DockerProbe, TrueWhenReadableAndWritable) {
  FakeHost host;
  write_file(host.env().docker_socket, "");
  expect_available(host.probe(Capability::docker));
}

TEST(DockerProbe, FalseWhenNotWritable) {
  FakeHost host;
  write_file(host.env().docker_socket, "");
  testing::give_to_unprivileged_user(host.root());
  fs::permissions(host.env().docker_socket, fs::perms::owner_read);
  expect_unavailable(host.probe_unprivileged(Capability::docker),
                     host.env().docker_socket + ": permission denied (needs read and write access)");
}

// A listening unix socket at `path`; closes it on destruction.
class UnixListener {
 public:
  explicit UnixListener(const std::string& path) {
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    m_ok = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
           ::listen(m_fd, 4) == 0;
  }
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  ~UnixListener() { close(); }
  void close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }
  [[nodiscard]] bool ok() const { return m_ok; }

 private:
  int m_fd = -1;
  bool m_ok = false;
};

TEST(LibvirtProbe, FalseWhenTheSocketIsMissing) {
  FakeHost host;
  expect_unavailable(host.probe(Capability::qemu),
                     "failed to connect socket to '" + host.env().libvirt_socket + "': no such file or directory");
}

TEST(LibvirtProbe, TrueWhenTheSocketAcceptsConnections) {
  FakeHost host;
  UnixListener listener(host.env().libvirt_socket);
  ASSERT_TRUE(listener.ok());
  expect_available(host.probe(Capability::qemu));
}

TEST(LibvirtProbe, FalseWhenNobodyListens) {
  FakeHost host;
  {
    UnixListener listener(host.env().libvirt_socket);
    ASSERT_TRUE(listener.ok());
  }  // the socket file stays, the daemon is gone
  expect_unavailable(host.probe(Capability::qemu),
                     "failed to connect socket to '" + host.env().libvirt_socket + "': connection refused");
}

TEST(LibvirtProbe, FalseWhenThePathIsTooLong) {
  FakeHost host;
  host.env().libvirt_socket = "/" + std::string(120, 'x');  // sun_path holds 108
  expect_unavailable(host.probe(Capability::qemu),
                     "failed to connect socket to '" + host.env().libvirt_socket + "': file name too long");
}

TEST(ProxmoxProbe, TrueWithPveDirectoryOrPvesh) {
  FakeHost host;
  expect_unavailable(host.probe(Capability::proxmox), host.env().pve_dir + " missing and pvesh not in PATH");
  write_file(host.env().pve_dir, "a file, not a directory");
  EXPECT_FALSE(host.probe(Capability::proxmox).available);
  fs::remove(host.env().pve_dir);
  fs::create_directory(host.env().pve_dir);
  expect_available(host.probe(Capability::proxmox));
  fs::remove(host.env().pve_dir);
  host.program("pvesh");
  expect_available(host.probe(Capability::proxmox));
}

TEST(PackagesProbe, TrueWithAnyKnownPackageManager) {
  for (const char* manager : {"dpkg-query", "rpm", "apk", "pacman", "synopkg"}) {
    FakeHost host;
    expect_unavailable(host.probe(Capability::packages),
                       "no package manager in PATH (dpkg-query, rpm, apk, pacman, synopkg)");
    host.program(manager);
    expect_available(host.probe(Capability::packages));
  }
}

TEST(JournaldProbe, Branches) {
  FakeHost host;
  expect_unavailable(host.probe(Capability::journald), "journalctl not found in PATH");
  host.program("journalctl", "exit 0");
  expect_available(host.probe(Capability::journald));
  EXPECT_EQ(host.args_of("journalctl"), "-n 0 --quiet\n");
  host.program("journalctl", "echo 'No journal files were opened due to insufficient permissions.' >&2\nexit 1");
  expect_unavailable(host.probe(Capability::journald),
                     "journalctl -n 0 --quiet: No journal files were opened due to insufficient permissions.");
}

TEST(SystemdProbe, Branches) {
  FakeHost host;
  host.program("systemctl", "exit 0");
  expect_unavailable(host.probe(Capability::systemd), host.env().systemd_run_dir + " not present");
  fs::create_directory(host.env().systemd_run_dir);
  expect_available(host.probe(Capability::systemd));
  EXPECT_EQ(host.args_of("systemctl"), "--version\n");
  host.program("systemctl", "echo 'Failed to connect to bus' >&2\nexit 1");
  expect_unavailable(host.probe(Capability::systemd), "systemctl --version: Failed to connect to bus");
  fs::remove(host.bin() / "systemctl");
  expect_unavailable(host.probe(Capability::systemd), "systemctl not found in PATH");
}

TEST(CgroupProbe, DetectsV2V1OrNone) {
  FakeHost host;
  const std::string root = host.sys().string() + "/fs/cgroup";
  auto none = probe_cgroup(host.env());
  EXPECT_EQ(none.version, CgroupVersion::none);
  EXPECT_EQ(none.reason, "no " + root + "/cgroup.controllers and no " + root + "/memory directory");
  write_file(host.sys() / "fs/cgroup/memory", "a file is not a v1 hierarchy");
  EXPECT_EQ(probe_cgroup(host.env()).version, CgroupVersion::none);
  fs::remove(host.sys() / "fs/cgroup/memory");
  fs::create_directories(host.sys() / "fs/cgroup/memory");
  EXPECT_EQ(probe_cgroup(host.env()).version, CgroupVersion::v1);
  EXPECT_EQ(probe_cgroup(host.env()).reason, "");
  write_file(host.sys() / "fs/cgroup/cgroup.controllers", "cpu memory io\n");
  EXPECT_EQ(probe_cgroup(host.env()).version, CgroupVersion::v2);
}

TEST(ProbeAll, WritesTheWholeFakeHost) {
  FakeHost host;
  host.core_proc_files();
  host.program("sudo", "echo 'sudo: a password is required' >&2\nexit 1");
  host.program("smartctl");
  host.program("zpool", "echo 'no pools available' >&2\nexit 1");
  host.program("rpm");
  host.program("journalctl");
  fs::create_directories(host.sys() / "fs/cgroup/memory");
  const auto set = probe_all_capabilities(host.env());
  JsonWriter out;
  out.begin_object();
  write_capability_fields(out, set);
  out.end_object();
  const std::string root = host.root().string();
  const std::string expected =
      R"({"capabilities": {"cpu": true, "memory": true, "load_average": true, "io": true, "network": true, )"
      R"("partitions": true, "file_handles": true, "ports": true, "processes": true, "temperatures": false, )"
      R"("fans": false, "nvidia_gpu": false, "smart_storage": false, "raid_storage": false, "ceph": false, )"
      R"("fail2ban": false, "zfs": true, "docker": false, "qemu": false, "proxmox": false, "packages": true, )"
      R"("snmp": false, "journald": true, "systemd": false, "cgroup": "v1"}, )"
      R"("capability_reasons": {"temperatures": ")" + root + R"(/sys/class/hwmon does not exist", )"
      R"("fans": ")" + root + R"(/sys/class/hwmon does not exist", )"
      R"("nvidia_gpu": ")" + root + R"(/libnvidia-ml.so.1 not found", )"
      R"("smart_storage": "sudo -n smartctl: sudo: a password is required", )"
      R"("raid_storage": "mdadm not found in PATH", "ceph": "ceph not found in PATH", )"
      R"("fail2ban": "fail2ban-client not found in PATH", )"
      R"("docker": ")" + root + R"(/docker.sock does not exist", )"
      R"("qemu": "failed to connect socket to ')" + root + R"(/libvirt-sock-ro': no such file or directory", )"
      R"("proxmox": ")" + root + R"(/pve missing and pvesh not in PATH", "snmp": "snmpget not found in PATH", )"
      R"("systemd": ")" + root + R"(/run-systemd-system not present"}})";
  EXPECT_EQ(out.text(), expected);
}

TEST(Reprobe, UpdatesOnlyTheNamedCapabilities) {
  FakeHost host;
  host.core_proc_files();
  auto set = probe_all_capabilities(host.env());
  ASSERT_FALSE(set.has(Capability::smart_storage));
  ASSERT_FALSE(set.has(Capability::ceph));
  ASSERT_EQ(set.cgroup, CgroupVersion::none);
  // The operator fixes sudo and ceph; proc files vanish (not re-probed).
  host.program("smartctl");
  host.program("sudo");
  host.program("ceph");
  fs::create_directories(host.sys() / "fs/cgroup/memory");
  fs::remove(host.proc() / "stat");
  const std::vector<std::string> names = {"smart_storage", "cgroup", "no_such_capability"};
  reprobe_capabilities(host.env(), names, set);
  EXPECT_TRUE(set.has(Capability::smart_storage));
  EXPECT_EQ(set.reason(Capability::smart_storage), "");
  EXPECT_EQ(set.cgroup, CgroupVersion::v1);
  EXPECT_FALSE(set.has(Capability::ceph));  // not named
  EXPECT_TRUE(set.has(Capability::cpu));    // not named
}

TEST(LiveHost, CoreCapabilitiesAreAvailable) {
  const auto env = ProbeEnvironment::for_host(HostPaths{});
  const auto set = probe_all_capabilities(env);
  for (const auto capability : k_core) EXPECT_TRUE(set.has(capability)) << capability_name(capability);
  EXPECT_EQ(set.has(Capability::temperatures), set.has(Capability::fans));
  const bool v2 = fs::exists("/sys/fs/cgroup/cgroup.controllers");
  const bool v1 = fs::is_directory("/sys/fs/cgroup/memory");
  EXPECT_EQ(set.cgroup, v2 ? CgroupVersion::v2 : (v1 ? CgroupVersion::v1 : CgroupVersion::none));
  EXPECT_EQ(set.has(Capability::docker), ::access("/var/run/docker.sock", R_OK | W_OK) == 0);
  EXPECT_EQ(set.has(Capability::snmp), find_in_path("snmpget").has_value());
  if (!fs::exists("/dev/nvidiactl")) {
    EXPECT_FALSE(set.has(Capability::nvidia_gpu));
  }
}

}  // namespace
}  // namespace fivenines
