#include "identity/token_store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/scratch_dir.hpp"
#include "support/unprivileged.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

void write_text(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  ::chmod(path.c_str(), mode);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

ino_t inode_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

// Files left in the directory besides TOKEN and TOKEN_STATE (temp files
// must not stay).
std::vector<std::string> stray_files(const ScratchDir& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const auto name = entry.path().filename();
    if (name != "TOKEN" && name != "TOKEN_STATE") out.push_back(name.string());
  }
  return out;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) {}
  ~UmaskGuard() { ::umask(m_old); }

 private:
  mode_t m_old;
};

TEST(TokenProblem, AcceptsPrintableAscii) {
  EXPECT_FALSE(token_problem("abc-DEF_123.~!").has_value());
  EXPECT_FALSE(token_problem(std::string(k_token_max_bytes, 'x')).has_value());
}

TEST(TokenProblem, RefusesEmptyOversizedWhitespaceAndControls) {
  EXPECT_EQ(token_problem(""), "is empty");
  EXPECT_EQ(token_problem(std::string(k_token_max_bytes + 1, 'x')), "is larger than 4096 bytes");
  const std::vector<std::string> bad_tokens = {"ab cd", "ab\tcd", "ab\ncd", "ab\rcd", std::string("ab\0cd", 5), "ab\x01",
                                               "ab\x7f"};
  for (const auto& bad : bad_tokens) {
    EXPECT_EQ(token_problem(bad), "holds whitespace or a control character") << bad;
  }
  EXPECT_EQ(token_problem("ab\xc3\xa9"), "holds a byte that is not printable ascii");
}

TEST(ParseTokenText, StripsSurroundingWhitespaceOnly) {
  auto token = parse_token_text("  \t tok-123\r\n\n");
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(*token, "tok-123");
  EXPECT_FALSE(parse_token_text(" tok 123 \n"));
  EXPECT_FALSE(parse_token_text(" \n\t "));
}

TEST(ReadTokenFile, ReadsAndStripsTheToken) {
  ScratchDir dir;
  write_text(dir.file("TOKEN"), "  secret-token-value\n");
  auto token = read_token_file(dir.str());
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ((*token)->view(), "secret-token-value");
}

TEST(ReadTokenFile, AcceptsExactlyTheCapWithATrailingNewline) {
  ScratchDir dir;
  write_text(dir.file("TOKEN"), std::string(k_token_max_bytes, 'a') + "\n");
  auto token = read_token_file(dir.str());
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ((*token)->view().size(), k_token_max_bytes);
}

struct BadTokenCase {
  const char* name;
  std::string content;
  const char* reason;
};

class ReadTokenFileRefuses : public ::testing::TestWithParam<BadTokenCase> {};

TEST_P(ReadTokenFileRefuses, WithThePathAndTheReason) {
  ScratchDir dir;
  write_text(dir.file("TOKEN"), GetParam().content);
  auto token = read_token_file(dir.str());
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().message, "token file " + dir.file("TOKEN") + ": " + GetParam().reason);
  EXPECT_EQ(token.error().kind, ErrorKind::invalid_config);
  // The message never repeats the file's content.
  if (GetParam().content.size() > 3) {
    EXPECT_EQ(token.error().message.find(GetParam().content), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReadTokenFileRefuses,
    ::testing::Values(BadTokenCase{"empty", "", "is empty"}, BadTokenCase{"blank", " \n\t\n", "is empty"},
                      BadTokenCase{"inner_space", "abc def\n", "holds whitespace or a control character"},
                      BadTokenCase{"inner_newline", "abc\ndef\n", "holds whitespace or a control character"},
                      BadTokenCase{"inner_tab", "abc\tdef", "holds whitespace or a control character"},
                      BadTokenCase{"control", "abc\x01" "def", "holds whitespace or a control character"},
                      BadTokenCase{"nul", std::string("abc\0def", 7), "holds whitespace or a control character"},
                      BadTokenCase{"too_large", std::string(5000, 'a'), "is larger than 4096 bytes"},
                      BadTokenCase{"huge", std::string(1 << 20, 'a'), "is larger than 4096 bytes"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ReadTokenFile, MissingFileIsAbsent) {
  ScratchDir dir;
  auto token = read_token_file(dir.str());
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().kind, ErrorKind::absent);
  EXPECT_EQ(token.error().message, "token file " + dir.file("TOKEN") + ": does not exist");
}

TEST(ReadTokenFile, MissingDirectoryIsAbsent) {
  ScratchDir dir;
  auto token = read_token_file(dir.file("nowhere"));
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().kind, ErrorKind::absent);
}

TEST(ReadTokenFile, RefusesASymlink) {
  ScratchDir dir;
  write_text(dir.file("real"), "tok");
  fs::create_symlink(dir.file("real"), dir.file("TOKEN"));
  auto token = read_token_file(dir.str());
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().message, "token file " + dir.file("TOKEN") + ": is a symlink (not followed)");
}

TEST(ReadTokenFile, RefusesADirectoryAndAFifoWithoutBlocking) {
  ScratchDir dir;
  fs::create_directory(dir.file("TOKEN"));
  auto as_directory = read_token_file(dir.str());
  ASSERT_FALSE(as_directory);
  EXPECT_EQ(as_directory.error().message, "token file " + dir.file("TOKEN") + ": is not a regular file");

  ScratchDir fifo_dir;
  ASSERT_EQ(::mkfifo(fifo_dir.file("TOKEN").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  auto as_fifo = read_token_file(fifo_dir.str());
  ASSERT_FALSE(as_fifo);
  EXPECT_EQ(as_fifo.error().message, "token file " + fifo_dir.file("TOKEN") + ": is not a regular file");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(ReadTokenFile, UnreadableFileIsPermissionDenied) {
  // Root reads a mode-0000 file anyway: the read runs as 'nobody' then.
  ScratchDir dir;
  write_text(dir.file("TOKEN"), "tok", 0600);
  testing::give_to_unprivileged_user(dir.path());
  ::chmod(dir.file("TOKEN").c_str(), 0000);
  const auto outcome = testing::run_unprivileged([&] {
    auto token = read_token_file(dir.str());
    if (token) return std::string("read: ") + std::string((*token)->view());
    return std::string(token.error().kind == ErrorKind::permission ? "permission|" : "other|") +
           token.error().message;
  });
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, "permission|token file " + dir.file("TOKEN") + ": permission denied");
}

TEST(WriteTokenFile, CreatesTokenWithMode0600EvenWithUmask000) {
  ScratchDir dir;
  const UmaskGuard umask_zero(0);
  auto written = write_token_file(dir.str(), "new-token");
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(read_text(dir.file("TOKEN")), "new-token");  // exactly, no newline
  EXPECT_EQ(mode_of(dir.file("TOKEN")), 0600u);
  EXPECT_TRUE(stray_files(dir).empty());
}

TEST(WriteTokenFile, ReplacesA0644TokenWithANewFileOfMode0600) {
  ScratchDir dir;
  const UmaskGuard umask_zero(0);
  write_text(dir.file("TOKEN"), "old-token\n", 0644);
  ASSERT_EQ(mode_of(dir.file("TOKEN")), 0644u);
  const ino_t old_inode = inode_of(dir.file("TOKEN"));
  // A reader holding the old file keeps reading the old content.
  const int old_fd = ::open(dir.file("TOKEN").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(old_fd, 0);

  auto written = write_token_file(dir.str(), "new-token");
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(read_text(dir.file("TOKEN")), "new-token");
  EXPECT_EQ(mode_of(dir.file("TOKEN")), 0600u);
  EXPECT_NE(inode_of(dir.file("TOKEN")), old_inode);
  char buffer[32] = {};
  EXPECT_EQ(::read(old_fd, buffer, sizeof buffer), 10);
  EXPECT_EQ(std::string(buffer), "old-token\n");
  ::close(old_fd);
  EXPECT_TRUE(stray_files(dir).empty());
}

TEST(WriteTokenFile, FailureRemovesTheTempFileAndKeepsTheOldToken) {
  ScratchDir dir;
  // A non-empty directory named TOKEN: rename() over it fails (EISDIR),
  // also for root.
  fs::create_directory(dir.file("TOKEN"));
  write_text(dir.file("TOKEN") + "/keep", "x");
  auto written = write_token_file(dir.str(), "new-token");
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("write " + dir.file("TOKEN") + ": "), std::string::npos)
      << written.error().message;
  EXPECT_EQ(written.error().message.find("new-token"), std::string::npos);
  EXPECT_TRUE(stray_files(dir).empty()) << stray_files(dir).front();
}

TEST(WriteTokenFile, MissingDirectoryFails) {
  ScratchDir dir;
  auto written = write_token_file(dir.file("gone"), "new-token");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().kind, ErrorKind::absent);
}

TEST(TokenHolder, SwitchesAtOnceAndKeepsTheOldSecretAliveForItsReaders) {
  TokenHolder holder(std::make_shared<const Secret>("first"));
  const SharedSecret in_flight = holder.current();
  holder.replace(std::make_shared<const Secret>("second"));
  EXPECT_EQ(holder.current()->view(), "second");
  EXPECT_EQ(in_flight->view(), "first");
}

TEST(TokenHolder, ConcurrentReadersAndWriterSeeWholeTokens) {
  TokenHolder holder(std::make_shared<const Secret>("token-a"));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!done.load()) {
      const auto token = holder.current();
      if (token->view() != "token-a" && token->view() != "token-b") ++torn;
    }
  });
  for (int i = 0; i < 2000; ++i) holder.replace(std::make_shared<const Secret>(i % 2 ? "token-a" : "token-b"));
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
}

constexpr const char* k_per_host = "per-host-token-0001";
constexpr const char* k_second = "second-token-00002";

TEST(TokenStore, AcceptTokenSwitchesMemoryThenStoresIt) {
  ScratchDir dir;
  const UmaskGuard umask_zero(0);
  write_text(dir.file("TOKEN"), "old-token", 0644);
  const ino_t old_inode = inode_of(dir.file("TOKEN"));
  TokenStore store(dir.str(), std::make_shared<const Secret>("old-token"), TokenRotation::enrollment);
  EXPECT_EQ(store.enrollment_state(), EnrollmentState::enrollment_token);
  EXPECT_EQ(store.accept_token(k_per_host), TokenAcceptance::stored);
  EXPECT_EQ(store.current()->view(), k_per_host);
  EXPECT_EQ(store.enrollment_state(), EnrollmentState::per_host_token);
  EXPECT_EQ(read_text(dir.file("TOKEN")), k_per_host);
  EXPECT_EQ(mode_of(dir.file("TOKEN")), 0600u);
  EXPECT_EQ(mode_of(dir.file("TOKEN_STATE")), 0600u);
  EXPECT_EQ(read_text(dir.file("TOKEN_STATE")), "per-host " + token_sha256_hex(k_per_host) + "\n");
  EXPECT_NE(inode_of(dir.file("TOKEN")), old_inode);
  EXPECT_TRUE(stray_files(dir).empty());
  // And a fresh start reads the new one, as a per-host token.
  auto reread = read_token_file(dir.str());
  ASSERT_TRUE(reread);
  EXPECT_EQ((*reread)->view(), k_per_host);
  TokenStore restarted(dir.str(), std::move(*reread), TokenRotation::enrollment);
  EXPECT_EQ(restarted.enrollment_state(), EnrollmentState::per_host_token);
}

TEST(TokenStore, EnrollmentRefusesASecondTokenAndLeavesTokenAlone) {
  ScratchDir dir;
  write_text(dir.file("TOKEN"), "old-token");
  TokenStore store(dir.str(), std::make_shared<const Secret>("old-token"), TokenRotation::enrollment);
  ASSERT_EQ(store.accept_token(k_per_host), TokenAcceptance::stored);
  const ino_t inode = inode_of(dir.file("TOKEN"));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(store.accept_token(k_second), TokenAcceptance::refused);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(store.current()->view(), k_per_host);
  EXPECT_EQ(read_text(dir.file("TOKEN")), k_per_host);
  EXPECT_EQ(inode_of(dir.file("TOKEN")), inode);
  EXPECT_NE(log.find("[WARNING]"), std::string::npos) << log;
  EXPECT_NE(log.find(token_fingerprint(k_second)), std::string::npos) << log;
  EXPECT_EQ(log.find(k_second), std::string::npos) << log;
}

TEST(TokenStore, BoundAcceptsOnlyAVerifyingBinding) {
  ScratchDir dir;
  write_text(dir.file("TOKEN"), "enrollment-token-0");
  TokenStore store(dir.str(), std::make_shared<const Secret>("enrollment-token-0"), TokenRotation::bound);
  EXPECT_EQ(store.accept_token(k_per_host), TokenAcceptance::refused);  // no binding
  EXPECT_EQ(store.accept_token(k_per_host, token_binding_for("another-key-000000", k_per_host)),
            TokenAcceptance::refused);
  EXPECT_EQ(read_text(dir.file("TOKEN")), "enrollment-token-0");
  EXPECT_EQ(store.accept_token(k_per_host, token_binding_for("enrollment-token-0", k_per_host)),
            TokenAcceptance::stored);
  EXPECT_EQ(read_text(dir.file("TOKEN")), k_per_host);
  // The next one is bound to the per-host token now held.
  EXPECT_EQ(store.accept_token(k_second, token_binding_for(k_per_host, k_second)), TokenAcceptance::stored);
  EXPECT_EQ(store.current()->view(), k_second);
}

TEST(TokenStore, SameTokenAgainIsNotRewrittenNorLogged) {
  ScratchDir dir;
  write_text(dir.file("TOKEN"), "same-token-0123456");
  const ino_t inode = inode_of(dir.file("TOKEN"));
  TokenStore store(dir.str(), std::make_shared<const Secret>("same-token-0123456"), TokenRotation::always);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(store.accept_token("same-token-0123456"), TokenAcceptance::unchanged);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(inode_of(dir.file("TOKEN")), inode);
  EXPECT_FALSE(fs::exists(dir.file("TOKEN_STATE")));
}

TEST(TokenStore, MalformedTokenChangesNothingWhateverThePolicy) {
  for (const auto rotation : {TokenRotation::enrollment, TokenRotation::bound, TokenRotation::always}) {
    ScratchDir dir;
    write_text(dir.file("TOKEN"), "good-token");
    const ino_t inode = inode_of(dir.file("TOKEN"));
    TokenStore store(dir.str(), std::make_shared<const Secret>("good-token"), rotation);
    ::testing::internal::CaptureStderr();
    const std::string injected = "evil-token-000000\r\nX-Injected: 1";
    EXPECT_EQ(store.accept_token(injected, token_binding_for("good-token", injected)), TokenAcceptance::refused);
    EXPECT_EQ(store.accept_token(""), TokenAcceptance::refused);
    EXPECT_EQ(store.accept_token(std::string("nul-token-000000\0x", 18)), TokenAcceptance::refused);
    EXPECT_EQ(store.accept_token(std::string(10 * 1024 * 1024, 'a')), TokenAcceptance::refused);
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(store.current()->view(), "good-token");
    EXPECT_EQ(read_text(dir.file("TOKEN")), "good-token");
    EXPECT_EQ(inode_of(dir.file("TOKEN")), inode);
    EXPECT_FALSE(fs::exists(dir.file("TOKEN_STATE")));
    EXPECT_NE(log.find("token in the api answer refused"), std::string::npos) << log;
    EXPECT_EQ(log.find("X-Injected"), std::string::npos) << log;
  }
}

TEST(TokenStore, FailedWriteKeepsTheNewTokenInMemoryAndLogsNoSecret) {
  ScratchDir dir;
  fs::create_directory(dir.file("TOKEN"));
  write_text(dir.file("TOKEN") + "/keep", "x");
  TokenStore store(dir.str(), std::make_shared<const Secret>("old-token"), TokenRotation::always);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(store.accept_token("new-token-value-0001"), TokenAcceptance::kept_in_memory_only);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(store.current()->view(), "new-token-value-0001");
  EXPECT_NE(log.find("[ERROR]"), std::string::npos) << log;
  EXPECT_NE(log.find(dir.file("TOKEN")), std::string::npos) << log;
  EXPECT_EQ(log.find("new-token-value-0001"), std::string::npos) << log;
  EXPECT_EQ(log.find("old-token"), std::string::npos) << log;
  EXPECT_TRUE(stray_files(dir).empty());
}

}  // namespace
}  // namespace fivenines
