#include "identity/machine_id.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/unprivileged.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_valid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "fivenines-machine-id-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) m_path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::permissions(m_path, fs::perms::owner_all, ignored);
    fs::remove_all(m_path, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return m_path; }
  [[nodiscard]] std::string str() const { return m_path.string(); }
  [[nodiscard]] fs::path id_file() const { return m_path / "MACHINE_ID"; }

 private:
  fs::path m_path;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

bool is_lower_uuid_v4(const std::string& text) {
  if (!is_canonical_uuid(text) || text[14] != '4') return false;
  if (std::string("89ab").find(text[19]) == std::string::npos) return false;
  for (const char c : text) {
    if (c >= 'A' && c <= 'F') return false;
  }
  return true;
}

unsigned file_mode(const fs::path& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0xFFFF;
  return st.st_mode & 07777;
}

TEST(UuidFormat, CanonicalFormOnly) {
  EXPECT_TRUE(is_canonical_uuid(k_valid));
  EXPECT_TRUE(is_canonical_uuid("3F2504E0-4F89-41D3-9A0C-0305E82C3301"));
  EXPECT_FALSE(is_canonical_uuid("3f2504e04f8941d39a0c0305e82c3301"));        // no dashes
  EXPECT_FALSE(is_canonical_uuid("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}"));  // braces
  EXPECT_FALSE(is_canonical_uuid("3f2504e0-4f89-41d3-9a0c-0305e82c330"));     // short
  EXPECT_FALSE(is_canonical_uuid("3f2504e0-4f89-41d3-9a0c-0305e82c3301a"));   // long
  EXPECT_FALSE(is_canonical_uuid("3f2504e0x4f89-41d3-9a0c-0305e82c3301"));    // dash misplaced
  EXPECT_FALSE(is_canonical_uuid("3f2504e0-4f89-41d3-9a0c-0305e82c33g1"));    // not hex
  EXPECT_FALSE(is_canonical_uuid(""));
}

TEST(UuidFormat, SetsVersionAndVariantBits) {
  std::array<std::uint8_t, 16> zeros{};
  EXPECT_EQ(format_uuid_v4(zeros), "00000000-0000-4000-8000-000000000000");
  std::array<std::uint8_t, 16> ones{};
  ones.fill(0xFF);
  EXPECT_EQ(format_uuid_v4(ones), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  std::array<std::uint8_t, 16> counting{};
  for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<std::uint8_t>(i * 17);
  EXPECT_EQ(format_uuid_v4(counting), "00112233-4455-4677-8899-aabbccddeeff");
}

TEST(UuidFormat, RandomIdsDiffer) {
  const auto a = random_bytes_16();
  const auto b = random_bytes_16();
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(is_lower_uuid_v4(format_uuid_v4(*a)));
}

TEST(MachineId, ReusesAValidIdVerbatim) {
  TempDir dir;
  std::ofstream(dir.id_file()) << "  " << k_valid << "\n\n";
  const auto outcome = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  EXPECT_EQ(outcome.machine_id, k_valid);
  EXPECT_EQ(outcome.source, MachineIdSource::reused);
  EXPECT_EQ(read_text(dir.id_file()), std::string("  ") + k_valid + "\n\n");  // untouched
}

TEST(MachineId, ReusesUpperCaseVerbatim) {
  TempDir dir;
  std::ofstream(dir.id_file()) << "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
  EXPECT_EQ(resolve_machine_id(dir.str(), MachineIdMode::create_if_missing).machine_id,
            "3F2504E0-4F89-41D3-9A0C-0305E82C3301");
}

TEST(MachineId, GeneratesAndPersistsWhenMissing) {
  TempDir dir;
  const auto first = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  ASSERT_TRUE(first.machine_id) << first.detail;
  EXPECT_EQ(first.source, MachineIdSource::generated);
  EXPECT_TRUE(is_lower_uuid_v4(*first.machine_id)) << *first.machine_id;
  EXPECT_EQ(read_text(dir.id_file()), *first.machine_id);  // no trailing newline
  EXPECT_EQ(file_mode(dir.id_file()), 0600u);
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"MACHINE_ID"});  // no temp file left
  const auto second = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  EXPECT_EQ(second.machine_id, first.machine_id);
  EXPECT_EQ(second.source, MachineIdSource::reused);
}

TEST(MachineId, ReplacesInvalidContent) {
  for (const std::string& content : {std::string("not-a-uuid\n"), std::string(""),
                                    std::string("3f2504e04f8941d39a0c0305e82c3301"),
                                    std::string(k_valid) + std::string(300, ' ')}) {
    TempDir dir;
    std::ofstream(dir.id_file()) << content;
    const auto outcome = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
    ASSERT_TRUE(outcome.machine_id) << outcome.detail;
    EXPECT_EQ(outcome.source, MachineIdSource::generated);
    EXPECT_NE(*outcome.machine_id, k_valid);
    EXPECT_EQ(read_text(dir.id_file()), *outcome.machine_id);
    EXPECT_EQ(file_mode(dir.id_file()), 0600u);
  }
}

TEST(MachineId, ModeIs0600WhateverTheUmask) {
  TempDir dir;
  const mode_t previous = ::umask(0);
  const auto outcome = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  ::umask(previous);
  ASSERT_TRUE(outcome.machine_id) << outcome.detail;
  EXPECT_EQ(file_mode(dir.id_file()), 0600u);
  // A replaced world-readable file ends up 0600 too.
  fs::permissions(dir.id_file(), fs::perms::all);
  std::ofstream(dir.id_file(), std::ios::trunc) << "garbage";
  const mode_t again = ::umask(0);
  const auto replaced = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  ::umask(again);
  ASSERT_TRUE(replaced.machine_id) << replaced.detail;
  EXPECT_EQ(file_mode(dir.id_file()), 0600u);
}

// resolve_machine_id(dir, create_if_missing) run as an ordinary user, also
// under root (support/unprivileged.hpp). A child that failed gives an id,
// so that the tests' "no id" expectations fail.
MachineIdOutcome resolve_unprivileged(const std::string& dir) {
  const auto text = testing::run_unprivileged([&] {
    const MachineIdOutcome outcome = resolve_machine_id(dir, MachineIdMode::create_if_missing);
    // '1' and the id on the first line, or '0'; then the detail.
    return (outcome.machine_id ? "1" + *outcome.machine_id : std::string("0")) + "\n" +
           std::to_string(static_cast<int>(outcome.source)) + "\n" + outcome.detail;
  });
  if (!text) return {std::string("child failed"), MachineIdSource::none, "no outcome from the unprivileged child"};
  const std::size_t first = text->find('\n');
  const std::size_t second = text->find('\n', first + 1);
  MachineIdOutcome outcome;
  if (text->front() == '1') outcome.machine_id = text->substr(1, first - 1);
  outcome.source = static_cast<MachineIdSource>(std::stoi(text->substr(first + 1, second - first - 1)));
  outcome.detail = text->substr(second + 1);
  return outcome;
}

TEST(MachineId, NullWhenTheDirectoryCannotBeWritten) {
  TempDir dir;
  // A directory that does not exist, a path through a regular file, and a
  // file system not even root may create files in.
  const auto missing = resolve_machine_id((dir.path() / "nope").string(), MachineIdMode::create_if_missing);
  EXPECT_FALSE(missing.machine_id);
  EXPECT_EQ(missing.source, MachineIdSource::none);
  EXPECT_NE(missing.detail.find("MACHINE_ID"), std::string::npos) << missing.detail;
  std::ofstream(dir.path() / "file") << "x";
  EXPECT_FALSE(resolve_machine_id((dir.path() / "file").string(), MachineIdMode::create_if_missing).machine_id);
  EXPECT_FALSE(resolve_machine_id("/proc", MachineIdMode::create_if_missing).machine_id);
  EXPECT_FALSE(fs::exists("/proc/MACHINE_ID"));
}

TEST(MachineId, NullInAReadOnlyDirectory) {
  TempDir dir;
  // Root writes into a 0500 directory: resolve as an ordinary user.
  testing::give_to_unprivileged_user(dir.path());
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  const auto outcome = resolve_unprivileged(dir.str());
  EXPECT_FALSE(outcome.machine_id);
  EXPECT_NE(outcome.detail.find("permission denied"), std::string::npos) << outcome.detail;
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(MachineId, UnreadableFileIsLeftAlone) {
  TempDir dir;
  std::ofstream(dir.id_file()) << k_valid;
  // Root reads a 0000 file: resolve as an ordinary user that owns the
  // directory and the file, as the agent's user would.
  testing::give_to_unprivileged_user(dir.path());
  fs::permissions(dir.id_file(), fs::perms::none);
  const auto outcome = resolve_unprivileged(dir.str());
  EXPECT_FALSE(outcome.machine_id);
  fs::permissions(dir.id_file(), fs::perms::owner_read);
  EXPECT_EQ(read_text(dir.id_file()), k_valid);
}

TEST(MachineId, DryRunNeverWrites) {
  TempDir dir;
  const auto none = resolve_machine_id(dir.str(), MachineIdMode::read_only);
  EXPECT_FALSE(none.machine_id);
  EXPECT_EQ(none.source, MachineIdSource::none);
  EXPECT_TRUE(entries(dir.path()).empty());

  std::ofstream(dir.id_file()) << "garbage";
  EXPECT_FALSE(resolve_machine_id(dir.str(), MachineIdMode::read_only).machine_id);
  EXPECT_EQ(read_text(dir.id_file()), "garbage");
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"MACHINE_ID"});

  std::ofstream(dir.id_file(), std::ios::trunc) << k_valid << "\n";
  const auto reused = resolve_machine_id(dir.str(), MachineIdMode::read_only);
  EXPECT_EQ(reused.machine_id, k_valid);
  EXPECT_EQ(reused.source, MachineIdSource::reused);
}

TEST(MachineId, SymlinkIsNotFollowed) {
  TempDir dir;
  TempDir elsewhere;
  const fs::path target = elsewhere.path() / "victim";
  std::ofstream(target) << k_valid;
  fs::create_symlink(target, dir.id_file());

  // Dry run: not read through the link, nothing written.
  EXPECT_FALSE(resolve_machine_id(dir.str(), MachineIdMode::read_only).machine_id);
  EXPECT_TRUE(fs::is_symlink(dir.id_file()));

  // Normal run: the link itself is replaced by a regular file; the target
  // is neither read nor written.
  const auto outcome = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  ASSERT_TRUE(outcome.machine_id) << outcome.detail;
  EXPECT_NE(*outcome.machine_id, k_valid);
  EXPECT_FALSE(fs::is_symlink(dir.id_file()));
  EXPECT_TRUE(fs::is_regular_file(dir.id_file()));
  EXPECT_EQ(read_text(dir.id_file()), *outcome.machine_id);
  EXPECT_EQ(read_text(target), k_valid);
}

TEST(MachineId, DanglingSymlinkIsNotWrittenThrough) {
  TempDir dir;
  TempDir elsewhere;
  const fs::path target = elsewhere.path() / "created-by-attacker";
  fs::create_symlink(target, dir.id_file());
  const auto outcome = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  ASSERT_TRUE(outcome.machine_id) << outcome.detail;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.id_file())));
}

TEST(MachineId, FifoDoesNotBlockAndIsReplaced) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.id_file().c_str(), 0600), 0);
  EXPECT_FALSE(resolve_machine_id(dir.str(), MachineIdMode::read_only).machine_id);
  const auto outcome = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  ASSERT_TRUE(outcome.machine_id) << outcome.detail;
  EXPECT_TRUE(fs::is_regular_file(dir.id_file()));
}

TEST(MachineId, DirectoryInTheWayGivesNull) {
  TempDir dir;
  fs::create_directory(dir.id_file());
  const auto outcome = resolve_machine_id(dir.str(), MachineIdMode::create_if_missing);
  EXPECT_FALSE(outcome.machine_id);
  EXPECT_TRUE(fs::is_directory(dir.id_file()));
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"MACHINE_ID"});  // temp file removed
}

}  // namespace
}  // namespace fivenines
