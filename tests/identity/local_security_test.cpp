#include "identity/local_security.hpp"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/scratch_dir.hpp"
#include "support/unprivileged.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

constexpr const char* k_token = "acct_enrollment.Token-0123456789";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

ino_t inode_of(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

// A TOKEN file with `mode` (set with chmod, so the umask plays no part).
std::string make_token(const ScratchDir& dir, mode_t mode, const std::string& content = k_token) {
  const std::string path = dir.file("TOKEN");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) {}
  ~UmaskGuard() { ::umask(m_old); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t m_old;
};

std::string uid_text() { return std::to_string(::geteuid()); }

// ---------------------------------------------------------------- TOKEN

TEST(CheckTokenFile, PrivateFileIsFine) {
  ScratchDir dir;
  for (const mode_t mode : {0600, 0400, 0200, 0000, 0700}) {
    const auto path = make_token(dir, mode);
    const auto checked = check_token_file(path);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_FALSE(checked->warning);
    EXPECT_EQ(mode_of(path), mode);
  }
}

TEST(CheckTokenFile, OursIsFixedTo0600WithAWarning) {
  const std::vector<std::pair<mode_t, std::string>> cases = {
      {0644, "mode 0644 was readable by group or others; set to 0600"},
      {0640, "mode 0640 was readable by group or others; set to 0600"},
      {0604, "mode 0604 was readable by group or others; set to 0600"},
      {0620, "mode 0620 was writable by group or others; set to 0600"},
      {0666, "mode 0666 was readable and writable by group or others; set to 0600"},
      {0601, "mode 0601 was accessible by group or others; set to 0600"},
      {0244, "mode 0244 was readable by group or others; set to 0600"},  // owner cannot read: opened for writing
  };
  for (const auto& [mode, message] : cases) {
    ScratchDir dir;
    const auto path = make_token(dir, mode);
    const ino_t inode = inode_of(path);
    const auto checked = check_token_file(path);
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->warning, path + ": " + message);
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(inode_of(path), inode);  // the same file, changed in place
    EXPECT_EQ(read_text(path), k_token);
  }
}

TEST(CheckTokenFile, Umask000InstallIsFixed) {
  ScratchDir dir;
  std::string path;
  {
    const UmaskGuard umask(0);
    path = dir.file("TOKEN");
    std::ofstream(path) << k_token;  // 0666 under umask 000
  }
  ASSERT_EQ(mode_of(path), 0666u);
  const auto checked = check_token_file(path);
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(checked->warning, path + ": mode 0666 was readable and writable by group or others; set to 0600");
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST(CheckTokenFile, SomebodyElsesIsRefusedAndLeftAlone) {
  if (!testing::running_as_root()) GTEST_SKIP() << "needs root to give TOKEN to another user (65534)";
  ScratchDir dir;
  const auto path = make_token(dir, 0644);
  ASSERT_EQ(::chown(path.c_str(), testing::k_unprivileged_uid, testing::k_unprivileged_gid), 0);
  const auto checked = check_token_file(path);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().kind, ErrorKind::permission);
  EXPECT_EQ(checked.error().message, path + ": mode 0644 is readable by group or others (owner uid 65534 is not this "
                                            "process's uid 0, so it is not changed)");
  EXPECT_EQ(mode_of(path), 0644u);
  // Private, but somebody else's: fine here (reading it is the reader's
  // business).
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(check_token_file(path));
}

TEST(CheckTokenFile, SomebodyElsesSeenByAnOrdinaryUser) {
  // The agent as an ordinary user (nobody), TOKEN left by root with 0644.
  if (!testing::running_as_root()) GTEST_SKIP() << "needs root to leave a root-owned TOKEN";
  ScratchDir dir;
  const auto path = make_token(dir, 0644);
  testing::give_to_unprivileged_user(dir.path());
  ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
  const auto text = testing::run_unprivileged([&] {
    const auto checked = check_token_file(path);
    return checked ? std::string("ok") : checked.error().message;
  });
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, path + ": mode 0644 is readable by group or others (owner uid 0 is not this process's uid 65534, "
                          "so it is not changed)");
  EXPECT_EQ(mode_of(path), 0644u);
}

TEST(CheckTokenFile, SymlinkIsRefusedAndItsTargetUntouched) {
  ScratchDir dir;
  ScratchDir elsewhere;
  for (const mode_t target_mode : {0644, 0600}) {
    const std::string target = elsewhere.file("victim");
    std::ofstream(target, std::ios::trunc) << "victim content";
    ::chmod(target.c_str(), target_mode);
    const std::string path = dir.file("TOKEN");
    fs::remove(path);
    fs::create_symlink(target, path);
    const auto checked = check_token_file(path);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().message, path + ": is a symlink, refused (never followed)");
    EXPECT_EQ(mode_of(target), target_mode);  // never chmod'ed through the link
    EXPECT_EQ(read_text(target), "victim content");
    EXPECT_TRUE(fs::is_symlink(path));
  }
  fs::remove(dir.file("TOKEN"));
  fs::create_symlink(elsewhere.file("does-not-exist"), dir.file("TOKEN"));
  EXPECT_FALSE(check_token_file(dir.file("TOKEN")));
  EXPECT_FALSE(fs::exists(elsewhere.file("does-not-exist")));
}

TEST(CheckTokenFile, AnythingButARegularFileIsRefused) {
  ScratchDir dir;
  ASSERT_EQ(::mkfifo(dir.file("TOKEN").c_str(), 0644), 0);  // must not block
  auto checked = check_token_file(dir.file("TOKEN"));
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, dir.file("TOKEN") + ": is not a regular file (mode 0644)");
  fs::remove(dir.file("TOKEN"));
  fs::create_directory(dir.file("TOKEN"));
  ::chmod(dir.file("TOKEN").c_str(), 0700);
  checked = check_token_file(dir.file("TOKEN"));
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, dir.file("TOKEN") + ": is not a regular file (mode 0700)");
}

TEST(CheckTokenFile, MissingIsAbsent) {
  ScratchDir dir;
  const auto checked = check_token_file(dir.file("TOKEN"));
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().kind, ErrorKind::absent);
  EXPECT_EQ(checked.error().message, dir.file("TOKEN") + ": does not exist");
}

// ---------------------------------------------------------------- CONFIG_DIR

TEST(CheckConfigDir, NotWritableByOthersIsFine) {
  for (const mode_t mode : {0700, 0750, 0755, 0555, 01755}) {
    ScratchDir dir;
    ::chmod(dir.str().c_str(), mode);
    const auto checked = check_config_dir(dir.str());
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_FALSE(checked->warning);
    EXPECT_EQ(mode_of(dir.str()), mode);
  }
}

TEST(CheckConfigDir, OursIsFixedKeepingTheOtherBits) {
  const std::vector<std::pair<mode_t, mode_t>> cases = {{0777, 0755}, {0775, 0755}, {0757, 0755},
                                                        {0730, 0710}, {01777, 01755}, {02770, 02750}};
  for (const auto& [mode, fixed] : cases) {
    ScratchDir dir;
    ::chmod(dir.str().c_str(), mode);
    const auto checked = check_config_dir(dir.str());
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_EQ(checked->warning,
              dir.str() + ": mode " + octal_mode(mode) + " was writable by group or others; set to " + octal_mode(fixed));
    EXPECT_EQ(mode_of(dir.str()), fixed);
  }
}

TEST(CheckConfigDir, SomebodyElsesWritableIsRefused) {
  if (!testing::running_as_root()) GTEST_SKIP() << "needs root to give the directory to another user (65534)";
  ScratchDir dir;
  ASSERT_EQ(::chown(dir.str().c_str(), testing::k_unprivileged_uid, testing::k_unprivileged_gid), 0);
  ::chmod(dir.str().c_str(), 0777);
  const auto checked = check_config_dir(dir.str());
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, dir.str() + ": mode 0777 is writable by group or others (owner uid 65534 is not "
                                                 "this process's uid 0, so it is not changed)");
  EXPECT_EQ(mode_of(dir.str()), 0777u);
  // A plain directory owned by someone else but closed to others is fine.
  ::chmod(dir.str().c_str(), 0755);
  EXPECT_TRUE(check_config_dir(dir.str()));
}

TEST(CheckConfigDir, SymlinkToASafeDirectoryIsAccepted) {
  ScratchDir holder;
  ScratchDir real;
  ::chmod(real.str().c_str(), 0700);
  const std::string link = holder.file("fivenines_agent");
  fs::create_symlink(real.path(), link);
  const auto checked = check_config_dir(link);
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_FALSE(checked->warning);
}

TEST(CheckConfigDir, SymlinkToOurWritableDirectoryFixesTheTarget) {
  ScratchDir holder;
  ScratchDir real;
  ::chmod(real.str().c_str(), 0777);
  const std::string link = holder.file("fivenines_agent");
  fs::create_symlink(real.path(), link);
  const auto checked = check_config_dir(link);
  ASSERT_TRUE(checked) << checked.error().message;
  const std::string resolved = fs::canonical(real.path()).string();
  EXPECT_EQ(checked->warning,
            link + " (symlink to " + resolved + "): mode 0777 was writable by group or others; set to 0755");
  EXPECT_EQ(mode_of(real.str()), 0755u);
}

TEST(CheckConfigDir, SymlinkToSomebodyElsesDirectoryIsRefused) {
  if (!testing::running_as_root()) GTEST_SKIP() << "needs root to give the directory to another user (65534)";
  ScratchDir holder;
  ScratchDir real;
  ::chmod(real.str().c_str(), 0700);
  ASSERT_EQ(::chown(real.str().c_str(), testing::k_unprivileged_uid, testing::k_unprivileged_gid), 0);
  const std::string link = holder.file("fivenines_agent");
  fs::create_symlink(real.path(), link);
  const auto checked = check_config_dir(link);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, link + " (symlink to " + fs::canonical(real.path()).string() +
                                         "): mode 0700, owned by uid 65534; a symlinked CONFIG_DIR must lead to a "
                                         "directory owned by root or by this process's uid " +
                                         uid_text());
  EXPECT_EQ(mode_of(real.str()), 0700u);
}

TEST(CheckConfigDir, NotADirectoryOrMissingIsRefused) {
  ScratchDir dir;
  std::ofstream(dir.file("file")) << "x";
  ::chmod(dir.file("file").c_str(), 0600);
  auto checked = check_config_dir(dir.file("file"));
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, dir.file("file") + ": is not a directory (mode 0600)");
  checked = check_config_dir(dir.file("missing"));
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().kind, ErrorKind::absent);
  EXPECT_EQ(checked.error().message, dir.file("missing") + ": does not exist");
  fs::create_symlink(dir.file("missing"), dir.file("dangling"));
  checked = check_config_dir(dir.file("dangling"));
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message,
            dir.file("dangling") + ": is a symlink that leads nowhere usable (no such file or directory)");
}

TEST(OctalMode, FourDigits) {
  EXPECT_EQ(octal_mode(0644), "0644");
  EXPECT_EQ(octal_mode(0), "0000");
  EXPECT_EQ(octal_mode(01777), "1777");
  EXPECT_EQ(octal_mode(S_IFREG | 0600), "0600");
}

// ---------------------------------------------------------------- non-dumpable

TEST(NonDumpable, SetsTheFlag) {
  // In a child, so the test process itself stays dumpable.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1) ::_exit(2);
    if (!make_process_non_dumpable()) ::_exit(3);
    ::_exit(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: not dumpable to begin with, 3: the call failed, 4: still dumpable";
}

bool write_all(int fd, const void* data, std::size_t size) {
  return ::write(fd, data, size) == static_cast<ssize_t>(size);
}

bool read_all(int fd, void* data, std::size_t size) {
  auto* out = static_cast<char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool drop_to_nobody() {
  return ::setgroups(0, nullptr) == 0 &&
         ::setresgid(testing::k_unprivileged_gid, testing::k_unprivileged_gid, testing::k_unprivileged_gid) == 0 &&
         ::setresuid(testing::k_unprivileged_uid, testing::k_unprivileged_uid, testing::k_unprivileged_uid) == 0 &&
         ::geteuid() != 0;
}

constexpr char k_marker[] = "fivenines-token-in-memory-0123456789";

// A process holding k_marker in its memory, run as an ordinary user
// (nobody when the suite runs as root), that makes itself non-dumpable on
// request.
class TargetProcess {
 public:
  TargetProcess() {
    int commands[2];
    int reports[2];
    if (::pipe(commands) != 0 || ::pipe(reports) != 0) return;
    m_pid = ::fork();
    if (m_pid == 0) {
      ::close(commands[1]);
      ::close(reports[0]);
      run(commands[0], reports[1]);
    }
    ::close(commands[0]);
    ::close(reports[1]);
    m_commands = commands[1];
    m_reports = reports[0];
    char status = 0;
    m_ready = m_pid > 0 && read_all(m_reports, &status, 1) && status == 'r' &&
              read_all(m_reports, &m_address, sizeof m_address);
  }
  ~TargetProcess() {
    if (m_commands >= 0) ::close(m_commands);  // EOF: the target exits
    if (m_reports >= 0) ::close(m_reports);
    if (m_pid > 0) {
      int status = 0;
      while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  TargetProcess(const TargetProcess&) = delete;
  TargetProcess& operator=(const TargetProcess&) = delete;

  [[nodiscard]] bool ready() const { return m_ready; }
  [[nodiscard]] pid_t pid() const { return m_pid; }
  [[nodiscard]] std::uintptr_t address() const { return m_address; }

  // Asks the target to call make_process_non_dumpable(); true when it
  // reports success.
  bool make_non_dumpable() {
    char answer = 0;
    return write_all(m_commands, "n", 1) && read_all(m_reports, &answer, 1) && answer == '1';
  }

 private:
  [[noreturn]] static void run(int commands, int reports) {
    if (testing::running_as_root() && !drop_to_nobody()) ::_exit(3);
    // What an ordinary process of this user is (changing ids above cleared
    // the flag), and allow any process of the user to attach where Yama's
    // ptrace_scope would otherwise limit that to ancestors: so only the
    // dumpable flag decides.
    ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    char* secret = new char[sizeof k_marker];
    std::memcpy(secret, k_marker, sizeof k_marker);
    const auto address = reinterpret_cast<std::uintptr_t>(secret);
    if (!write_all(reports, "r", 1) || !write_all(reports, &address, sizeof address)) ::_exit(4);
    char command = 0;
    while (read_all(commands, &command, 1)) {
      if (command == 'n') {
        const bool done = static_cast<bool>(make_process_non_dumpable());
        if (!write_all(reports, done ? "1" : "0", 1)) ::_exit(5);
      }
    }
    ::_exit(secret[0] == 'f' ? 0 : 6);
  }

  pid_t m_pid = -1;
  int m_commands = -1;
  int m_reports = -1;
  std::uintptr_t m_address = 0;
  bool m_ready = false;
};

// From another process of the same ordinary user: reads the target's
// memory at `address` through /proc/<pid>/mem and opens its environ.
// "mem=marker environ=ok" when both work, else the errno numbers.
std::string probe_from_sibling(pid_t pid, std::uintptr_t address) {
  const auto text = testing::run_unprivileged([&] {
    std::string out = "mem=";
    const std::string base = "/proc/" + std::to_string(pid);
    const int mem = ::open((base + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (mem < 0) {
      out += std::to_string(errno);
    } else {
      char buffer[sizeof k_marker] = {};
      const ssize_t n = ::pread(mem, buffer, sizeof buffer, static_cast<off_t>(address));
      out += n == static_cast<ssize_t>(sizeof buffer) && std::memcmp(buffer, k_marker, sizeof k_marker) == 0
                 ? std::string("marker")
                 : "read-" + std::to_string(n < 0 ? errno : 0);
      ::close(mem);
    }
    out += " environ=";
    const int environ_fd = ::open((base + "/environ").c_str(), O_RDONLY | O_CLOEXEC);
    out += environ_fd < 0 ? std::to_string(errno) : std::string("ok");
    if (environ_fd >= 0) ::close(environ_fd);
    return out;
  });
  return text ? *text : std::string("probe failed");
}

TEST(NonDumpable, AnotherProcessOfTheSameUserCannotReadItsMemory) {
  TargetProcess target;
  ASSERT_TRUE(target.ready()) << "the target process did not start";
  // Control: while the target is dumpable, the sibling reads the marker.
  // Without that, the check below would prove nothing.
  const std::string before = probe_from_sibling(target.pid(), target.address());
  if (before != "mem=marker environ=ok") {
    GTEST_SKIP() << "this host denies /proc/<pid>/mem to a process of the same user even for a dumpable target ("
                 << before << "), so the effect cannot be shown here";
  }
  ASSERT_TRUE(target.make_non_dumpable());
  const std::string after = probe_from_sibling(target.pid(), target.address());
  const std::string denied = std::to_string(EACCES);
  const std::string refused = std::to_string(EPERM);
  EXPECT_TRUE(after == "mem=" + denied + " environ=" + denied || after == "mem=" + refused + " environ=" + denied ||
              after == "mem=" + refused + " environ=" + refused)
      << after;
  EXPECT_EQ(after.find("marker"), std::string::npos);
}

}  // namespace
}  // namespace fivenines
