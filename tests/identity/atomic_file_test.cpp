#include "identity/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/scratch_dir.hpp"
#include "support/unprivileged.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

mode_t mode_of(const fs::path& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

ino_t inode_of(const fs::path& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

TEST(WriteFileAtomically, WritesExactlyTheBytesWithTheMode) {
  ScratchDir dir;
  ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", "abc", 0600));
  EXPECT_EQ(read_text(dir.path() / "TOKEN"), "abc");
  EXPECT_EQ(mode_of(dir.path() / "TOKEN"), 0600u);
  const std::string binary("a\0b\nc", 5);
  ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", binary, 0640));
  EXPECT_EQ(read_text(dir.path() / "TOKEN"), binary);
  EXPECT_EQ(mode_of(dir.path() / "TOKEN"), 0640u);
  ASSERT_TRUE(write_file_atomically(dir.str(), "EMPTY", "", 0600));
  EXPECT_EQ(read_text(dir.path() / "EMPTY"), "");
  EXPECT_EQ(entries(dir.path()), (std::set<std::string>{"EMPTY", "TOKEN"}));
}

TEST(WriteFileAtomically, ModeIgnoresTheUmaskAndTheOldFile) {
  ScratchDir dir;
  std::ofstream(dir.path() / "TOKEN") << "old";
  fs::permissions(dir.path() / "TOKEN", fs::perms::all);
  const ino_t old_inode = inode_of(dir.path() / "TOKEN");
  const mode_t previous = ::umask(0);
  const auto written = write_file_atomically(dir.str(), "TOKEN", "new", 0600);
  ::umask(previous);
  ASSERT_TRUE(written);
  EXPECT_EQ(mode_of(dir.path() / "TOKEN"), 0600u);
  EXPECT_NE(inode_of(dir.path() / "TOKEN"), old_inode);  // replaced by rename, not rewritten in place
}

TEST(WriteFileAtomically, ReplacesASymlinkWithoutWritingThroughIt) {
  ScratchDir dir;
  ScratchDir elsewhere;
  const fs::path target = elsewhere.path() / "victim";
  std::ofstream(target) << "untouched";
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
  fs::create_symlink(target, dir.path() / "TOKEN");
  ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", "new", 0600));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.path() / "TOKEN")));
  EXPECT_EQ(read_text(dir.path() / "TOKEN"), "new");
  EXPECT_EQ(read_text(target), "untouched");
  EXPECT_EQ(mode_of(target), 0644u);
}

TEST(WriteFileAtomically, FailureNamesThePathAndLeavesNothingBehind) {
  ScratchDir dir;
  fs::create_directory(dir.path() / "TOKEN");
  fs::create_directory(dir.path() / "TOKEN" / "inside");
  const auto written = write_file_atomically(dir.str(), "TOKEN", "x", 0600);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message.rfind("write " + dir.str() + "/TOKEN: ", 0), 0u) << written.error().message;
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"TOKEN"});

  const auto missing = write_file_atomically(dir.str() + "/nope", "TOKEN", "x", 0600);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "write " + dir.str() + "/nope/TOKEN: no such file or directory");
  EXPECT_EQ(missing.error().kind, ErrorKind::absent);
}

TEST(WriteFileAtomically, ReadOnlyDirectoryIsPermissionDenied) {
  ScratchDir dir;
  testing::give_to_unprivileged_user(dir.path());
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  const auto text = testing::run_unprivileged([&] {
    const auto written = write_file_atomically(dir.str(), "TOKEN", "x", 0600);
    return written ? std::string("written") : written.error().message;
  });
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "write " + dir.str() + "/TOKEN: permission denied");
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(RemoveStaleTempFiles, RemovesOnlyOurOwnLeftovers) {
  ScratchDir dir;
  const auto touch = [&](const std::string& name) { std::ofstream(dir.path() / name) << "secret"; };
  touch(atomic_temp_name("TOKEN", "0123456789ab"));
  touch(atomic_temp_name("TOKEN", "ffffffffffff"));
  touch(atomic_temp_name("TOKEN_STATE", "0123456789ab"));  // another name's
  touch(".TOKEN.0123456789AB.tmp");                         // not our spelling
  touch(".TOKEN.0123456789a.tmp");                          // too short
  touch("TOKEN");
  fs::create_directory(dir.path() / atomic_temp_name("TOKEN", "aaaaaaaaaaaa"));  // not a regular file
  fs::create_symlink("/etc/hostname", dir.path() / atomic_temp_name("TOKEN", "bbbbbbbbbbbb"));
  EXPECT_EQ(atomic_temp_name("TOKEN", "0123456789ab"), ".TOKEN.0123456789ab.tmp");

  EXPECT_EQ(remove_stale_temp_files(dir.str(), "TOKEN"), 2u);
  EXPECT_EQ(entries(dir.path()),
            (std::set<std::string>{".TOKEN_STATE.0123456789ab.tmp", ".TOKEN.0123456789AB.tmp", ".TOKEN.0123456789a.tmp",
                                   "TOKEN", ".TOKEN.aaaaaaaaaaaa.tmp", ".TOKEN.bbbbbbbbbbbb.tmp"}));
  EXPECT_EQ(remove_stale_temp_files(dir.str() + "/nope", "TOKEN"), 0u);
}

TEST(RemoveStaleTempFiles, LeavesAnotherUsersFile) {
  if (!testing::running_as_root()) GTEST_SKIP() << "needs root to create a file owned by another user";
  ScratchDir dir;
  const fs::path theirs = dir.path() / atomic_temp_name("TOKEN", "cccccccccccc");
  std::ofstream(theirs) << "x";
  ASSERT_EQ(::chown(theirs.c_str(), testing::k_unprivileged_uid, testing::k_unprivileged_gid), 0);
  EXPECT_EQ(remove_stale_temp_files(dir.str(), "TOKEN"), 0u);
  EXPECT_TRUE(fs::exists(theirs));
}

}  // namespace
}  // namespace fivenines
