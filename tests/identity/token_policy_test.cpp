#include "identity/token_policy.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "identity/atomic_file.hpp"
#include "support/scratch_dir.hpp"
#include "util/log.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// An enrollment token as an installer writes it, and per-host tokens.
const std::string k_enrollment = "acct_enrollment.Token-0123456789";
const std::string k_per_host = "host~per/host+token=ABCDEFabcdef0123";
const std::string k_next = "host~next-token_9876543210zyxwvuts";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

mode_t mode_of(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::set<std::string> entries(const ScratchDir& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) names.insert(entry.path().filename().string());
  return names;
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

class LogLevelGuard {
 public:
  explicit LogLevelGuard(LogLevel level) : m_old(log_level()) { set_log_level(level); }
  ~LogLevelGuard() { set_log_level(m_old); }
  LogLevelGuard(const LogLevelGuard&) = delete;
  LogLevelGuard& operator=(const LogLevelGuard&) = delete;

 private:
  LogLevel m_old;
};

// `size` bytes of which only the first page can be read: a function that
// looks at any byte past it crashes the test. Shows that a check of a huge
// input decides from its length alone.
class FirstPageOnly {
 public:
  explicit FirstPageOnly(std::size_t size) : m_size(size) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    m_mapped = ((size + page - 1) / page) * page;
    void* base = ::mmap(nullptr, m_mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return;
    m_base = static_cast<char*>(base);
    std::fill(m_base, m_base + page, 'A');
    if (m_mapped > page) ::mprotect(m_base + page, m_mapped - page, PROT_NONE);
  }
  ~FirstPageOnly() {
    if (m_base != nullptr) ::munmap(m_base, m_mapped);
  }
  FirstPageOnly(const FirstPageOnly&) = delete;
  FirstPageOnly& operator=(const FirstPageOnly&) = delete;
  [[nodiscard]] bool ok() const { return m_base != nullptr; }
  [[nodiscard]] std::string_view view() const { return {m_base, m_size}; }

 private:
  std::size_t m_size;
  std::size_t m_mapped = 0;
  char* m_base = nullptr;
};

constexpr std::size_t k_ten_megabytes = 10 * 1024 * 1024;

// ---------------------------------------------------------------- setting

TEST(TokenRotationSetting, DefaultsToEnrollmentSilently) {
  for (const auto& value : {std::optional<std::string_view>(), std::optional<std::string_view>(""),
                            std::optional<std::string_view>("  ")}) {
    const auto setting = parse_token_rotation(value);
    EXPECT_EQ(setting.rotation, TokenRotation::enrollment);
    EXPECT_FALSE(setting.warning);
  }
}

TEST(TokenRotationSetting, KnownNamesInAnyCase) {
  EXPECT_EQ(parse_token_rotation("enrollment").rotation, TokenRotation::enrollment);
  EXPECT_EQ(parse_token_rotation("bound").rotation, TokenRotation::bound);
  EXPECT_EQ(parse_token_rotation("always").rotation, TokenRotation::always);
  EXPECT_EQ(parse_token_rotation("ALWAYS").rotation, TokenRotation::always);
  EXPECT_EQ(parse_token_rotation(" Bound\n").rotation, TokenRotation::bound);
  EXPECT_FALSE(parse_token_rotation("Bound").warning);
  EXPECT_EQ(token_rotation_name(TokenRotation::bound), "bound");
}

TEST(TokenRotationSetting, UnknownValueFallsBackWithAWarning) {
  const auto setting = parse_token_rotation("sometimes");
  EXPECT_EQ(setting.rotation, TokenRotation::enrollment);
  EXPECT_EQ(setting.warning,
            "TOKEN_ROTATION: unknown value 'sometimes' (expected enrollment, bound or always); using enrollment");
  // Outside text in a log line: controls replaced, length capped.
  const auto odd = parse_token_rotation(std::string("al\x1b[31mways") + std::string(100, 'x'));
  EXPECT_EQ(odd.rotation, TokenRotation::enrollment);
  ASSERT_TRUE(odd.warning);
  EXPECT_EQ(odd.warning->find('\x1b'), std::string::npos);
  EXPECT_NE(odd.warning->find("'al?[31mways" + std::string(21, 'x') + "...'"), std::string::npos) << *odd.warning;
}

// ---------------------------------------------------------------- format

TEST(OfferedTokenFormat, AcceptsTheWholeAlphabetAtBothLengthBounds) {
  EXPECT_FALSE(offered_token_problem("ABCXYZabcxyz0189"));  // 16
  EXPECT_FALSE(offered_token_problem("a.b_c~d+e/f=g-h0"));
  EXPECT_FALSE(offered_token_problem(std::string(512, 'z')));
  EXPECT_FALSE(offered_token_problem(k_enrollment));
  EXPECT_FALSE(offered_token_problem(k_per_host));
}

TEST(OfferedTokenFormat, RefusesWithTheReason) {
  EXPECT_EQ(offered_token_problem(""), "is empty");
  EXPECT_EQ(offered_token_problem(std::string(15, 'a')), "is 15 bytes, fewer than 16");
  EXPECT_EQ(offered_token_problem(std::string(513, 'a')), "is 513 bytes, more than 512");
  EXPECT_EQ(offered_token_problem(k_per_host + "\n"), "holds a byte outside [A-Za-z0-9._~+/=-] at offset 36");
  EXPECT_EQ(offered_token_problem(std::string("abcdefgh\0ijklmnop", 17)),
            "holds a byte outside [A-Za-z0-9._~+/=-] at offset 8");
  for (const std::string& bad : {std::string("abcdefgh ijklmnop"), std::string("abcdefgh\tijklmnop"),
                                 std::string("abcdefgh\rijklmnop"), std::string("abcdefgh,ijklmnop"),
                                 std::string("abcdefgh\"ijklmnop"), std::string("abcdefgh:ijklmnop"),
                                 std::string("abcdefgh\xc3\xa9ijklmnop"), std::string("abcdefgh\x7fijklmnop")}) {
    EXPECT_TRUE(offered_token_problem(bad)) << bad;
  }
}

TEST(OfferedTokenFormat, TenMegabytesIsRefusedFromItsLengthAlone) {
  const FirstPageOnly huge(k_ten_megabytes);
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(offered_token_problem(huge.view()), "is 10485760 bytes, more than 512");
  const auto decision = decide_token(TokenRotation::always, EnrollmentState::enrollment_token, k_enrollment,
                                     huge.view(), std::nullopt);
  EXPECT_EQ(decision.verdict, TokenVerdict::refuse);
  EXPECT_EQ(decision.reason, "it is 10485760 bytes, more than 512");
}

// ---------------------------------------------------------------- hashes

TEST(TokenFingerprint, IsTheStartOfSha256) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(token_sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(token_sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(token_fingerprint("abc"), "ba7816bf");
  EXPECT_EQ(token_fingerprint(k_per_host).size(), 8u);
  EXPECT_NE(token_fingerprint(k_per_host), token_fingerprint(k_next));
}

TEST(TokenBinding, IsHmacSha256WithTheCurrentTokenAsKey) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(token_binding_for("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(token_binding_for(k_enrollment, k_per_host), token_binding_for(k_per_host, k_enrollment));
}

TEST(TokenBinding, ChecksFormatThenValueInConstantTime) {
  const std::string good = token_binding_for(k_per_host, k_next);
  EXPECT_FALSE(token_binding_problem(k_per_host, k_next, good));
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, std::nullopt), "no token_binding");
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, ""), "token_binding is not 64 lower-case hex digits");
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, good);
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, upper), "token_binding is not 64 lower-case hex digits");
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, good.substr(0, 63)),
            "token_binding is not 64 lower-case hex digits");
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, good + "0"), "token_binding is not 64 lower-case hex digits");
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, good + "\n"), "token_binding is not 64 lower-case hex digits");
  // Right format, wrong value: keyed with another token, or for another one.
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, token_binding_for(k_enrollment, k_next)),
            "token_binding does not verify");
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, token_binding_for(k_per_host, k_enrollment)),
            "token_binding does not verify");
  std::string flipped = good;
  flipped[63] = flipped[63] == '0' ? '1' : '0';
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, flipped), "token_binding does not verify");
  const FirstPageOnly huge(k_ten_megabytes);
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(token_binding_problem(k_per_host, k_next, huge.view()), "token_binding is not 64 lower-case hex digits");
}

// ---------------------------------------------------------------- decide_token

TEST(DecideToken, EnrollmentAcceptsOnlyWhileEnrolled) {
  const auto first =
      decide_token(TokenRotation::enrollment, EnrollmentState::enrollment_token, k_enrollment, k_per_host, std::nullopt);
  EXPECT_EQ(first.verdict, TokenVerdict::accept);
  EXPECT_EQ(first.reason, "");
  const auto later =
      decide_token(TokenRotation::enrollment, EnrollmentState::per_host_token, k_per_host, k_next, std::nullopt);
  EXPECT_EQ(later.verdict, TokenVerdict::refuse);
  EXPECT_EQ(later.reason, "a per-host token is already held (TOKEN_ROTATION=enrollment)");
  // A binding changes nothing under enrollment.
  EXPECT_EQ(decide_token(TokenRotation::enrollment, EnrollmentState::per_host_token, k_per_host, k_next,
                         token_binding_for(k_per_host, k_next))
                .verdict,
            TokenVerdict::refuse);
}

TEST(DecideToken, BoundNeedsAVerifyingBinding) {
  for (const auto state : {EnrollmentState::enrollment_token, EnrollmentState::per_host_token}) {
    EXPECT_EQ(decide_token(TokenRotation::bound, state, k_per_host, k_next, token_binding_for(k_per_host, k_next))
                  .verdict,
              TokenVerdict::accept);
    const auto missing = decide_token(TokenRotation::bound, state, k_per_host, k_next, std::nullopt);
    EXPECT_EQ(missing.verdict, TokenVerdict::refuse);
    EXPECT_EQ(missing.reason, "no token_binding (TOKEN_ROTATION=bound)");
    const auto wrong =
        decide_token(TokenRotation::bound, state, k_per_host, k_next, token_binding_for(k_enrollment, k_next));
    EXPECT_EQ(wrong.verdict, TokenVerdict::refuse);
    EXPECT_EQ(wrong.reason, "token_binding does not verify (TOKEN_ROTATION=bound)");
    std::string upper = token_binding_for(k_per_host, k_next);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(decide_token(TokenRotation::bound, state, k_per_host, k_next, upper).reason,
              "token_binding is not 64 lower-case hex digits (TOKEN_ROTATION=bound)");
  }
}

TEST(DecideToken, AlwaysAccepts) {
  for (const auto state : {EnrollmentState::enrollment_token, EnrollmentState::per_host_token}) {
    EXPECT_EQ(decide_token(TokenRotation::always, state, k_per_host, k_next, std::nullopt).verdict,
              TokenVerdict::accept);
  }
}

TEST(DecideToken, MalformedIsRefusedWhateverThePolicy) {
  const std::vector<std::string> malformed = {"",
                                              std::string(15, 'a'),
                                              std::string(513, 'a'),
                                              k_per_host + "\n",
                                              k_per_host.substr(0, 10) + std::string(1, '\0') + k_per_host.substr(10),
                                              "Bearer " + k_per_host,
                                              k_per_host + "\r\nX-Injected: 1"};
  for (const auto policy : {TokenRotation::enrollment, TokenRotation::bound, TokenRotation::always}) {
    for (const auto& token : malformed) {
      // Even a binding that verifies does not make a malformed token usable.
      const auto decision = decide_token(policy, EnrollmentState::enrollment_token, k_enrollment, token,
                                         token_binding_for(k_enrollment, token));
      EXPECT_EQ(decision.verdict, TokenVerdict::refuse) << token_rotation_name(policy) << " " << token.size();
      EXPECT_EQ(decision.reason.rfind("it ", 0), 0u) << decision.reason;
    }
  }
}

TEST(DecideToken, TheCurrentTokenIsANoOpUnderEveryPolicy) {
  for (const auto policy : {TokenRotation::enrollment, TokenRotation::bound, TokenRotation::always}) {
    for (const auto state : {EnrollmentState::enrollment_token, EnrollmentState::per_host_token}) {
      const auto decision = decide_token(policy, state, k_per_host, k_per_host, std::nullopt);
      EXPECT_EQ(decision.verdict, TokenVerdict::no_op);
      EXPECT_EQ(decision.reason, "");
    }
  }
}

// ---------------------------------------------------------------- state file

TEST(TokenStateText, ParsesTheTwoForms) {
  const std::string h1(64, 'a');
  const std::string h2 = token_sha256_hex("x");
  EXPECT_EQ(parse_token_state("enrolled").kind, TokenStateText::Kind::enrolled);
  EXPECT_EQ(parse_token_state("enrolled\n").kind, TokenStateText::Kind::enrolled);
  const auto one = parse_token_state("per-host " + h1 + "\n");
  EXPECT_EQ(one.kind, TokenStateText::Kind::per_host);
  EXPECT_EQ(one.hashes, std::vector<std::string>{h1});
  const auto two = parse_token_state("per-host " + h1 + " " + h2 + "\n");
  EXPECT_EQ(two.hashes, (std::vector<std::string>{h1, h2}));
}

TEST(TokenStateText, RefusesEverythingElse) {
  const std::string h(64, 'b');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "is empty"},
      {" \n", "is empty"},
      {"per-host", "names no token hash after 'per-host'"},
      {"enrolled " + h, "has extra text after 'enrolled'"},
      {"per-host " + h + " " + h + " " + h, "holds something other than one or two sha-256 hashes after 'per-host'"},
      {"per-host " + std::string(64, 'B'), "holds something other than one or two sha-256 hashes after 'per-host'"},
      {"per-host " + h.substr(1), "holds something other than one or two sha-256 hashes after 'per-host'"},
      {"per-host " + h + "\n" + h, "holds something other than one or two sha-256 hashes after 'per-host'"},
      {"PER-HOST " + h, "does not start with 'enrolled' or 'per-host'"},
      {"garbage", "does not start with 'enrolled' or 'per-host'"},
  };
  for (const auto& [text, problem] : cases) {
    const auto parsed = parse_token_state(text);
    EXPECT_EQ(parsed.kind, TokenStateText::Kind::malformed) << text;
    EXPECT_EQ(parsed.problem, problem) << text;
    EXPECT_TRUE(parsed.hashes.empty());
  }
}

TEST(EnrollmentStateFile, MissingOrEnrolledMeansEnrollmentToken) {
  ScratchDir dir;
  auto loaded = load_enrollment_state(dir.str(), k_enrollment);
  EXPECT_EQ(loaded.state, EnrollmentState::enrollment_token);
  EXPECT_FALSE(loaded.warning);
  EXPECT_FALSE(loaded.note);
  write_text(dir.file("TOKEN_STATE"), "enrolled\n");
  loaded = load_enrollment_state(dir.str(), k_enrollment);
  EXPECT_EQ(loaded.state, EnrollmentState::enrollment_token);
  EXPECT_FALSE(loaded.warning);
}

TEST(EnrollmentStateFile, PerHostOnlyWhenItNamesTheCurrentToken) {
  ScratchDir dir;
  write_text(dir.file("TOKEN_STATE"), "per-host " + token_sha256_hex(k_per_host) + "\n");
  EXPECT_EQ(load_enrollment_state(dir.str(), k_per_host).state, EnrollmentState::per_host_token);
  // TOKEN rewritten by a re-install (or a crash before TOKEN was replaced).
  const auto other = load_enrollment_state(dir.str(), k_enrollment);
  EXPECT_EQ(other.state, EnrollmentState::enrollment_token);
  EXPECT_FALSE(other.warning);
  EXPECT_EQ(other.note, dir.file("TOKEN_STATE") +
                            " names another token than the one in TOKEN: treating TOKEN as an enrollment token");
  // Either of two hashes counts.
  write_text(dir.file("TOKEN_STATE"),
             "per-host " + token_sha256_hex(k_next) + " " + token_sha256_hex(k_per_host) + "\n");
  EXPECT_EQ(load_enrollment_state(dir.str(), k_per_host).state, EnrollmentState::per_host_token);
  EXPECT_EQ(load_enrollment_state(dir.str(), k_next).state, EnrollmentState::per_host_token);
  EXPECT_EQ(load_enrollment_state(dir.str(), k_enrollment).state, EnrollmentState::enrollment_token);
}

TEST(EnrollmentStateFile, UnusableFailsClosedWithAWarning) {
  const std::string reason_tail =
      "; treating the current token as per-host, so no token from the api is accepted under "
      "TOKEN_ROTATION=enrollment (remove the file to enroll again)";
  {
    ScratchDir dir;
    write_text(dir.file("TOKEN_STATE"), "garbage");
    const auto loaded = load_enrollment_state(dir.str(), k_enrollment);
    EXPECT_EQ(loaded.state, EnrollmentState::per_host_token);
    EXPECT_EQ(loaded.warning, dir.file("TOKEN_STATE") + ": does not start with 'enrolled' or 'per-host'" + reason_tail);
  }
  {
    ScratchDir dir;
    write_text(dir.file("TOKEN_STATE"), "per-host " + token_sha256_hex(k_enrollment) + std::string(300, ' '));
    EXPECT_EQ(load_enrollment_state(dir.str(), k_enrollment).warning,
              dir.file("TOKEN_STATE") + ": is larger than 256 bytes" + reason_tail);
  }
  {
    ScratchDir dir;
    ScratchDir elsewhere;
    write_text(elsewhere.file("state"), "enrolled");
    fs::create_symlink(elsewhere.file("state"), dir.file("TOKEN_STATE"));
    const auto loaded = load_enrollment_state(dir.str(), k_enrollment);
    EXPECT_EQ(loaded.state, EnrollmentState::per_host_token);
    EXPECT_EQ(loaded.warning, dir.file("TOKEN_STATE") + ": is a symlink (not followed)" + reason_tail);
  }
  {
    ScratchDir dir;
    ASSERT_EQ(::mkfifo(dir.file("TOKEN_STATE").c_str(), 0600), 0);  // must not block
    EXPECT_EQ(load_enrollment_state(dir.str(), k_enrollment).warning,
              dir.file("TOKEN_STATE") + ": is not a regular file" + reason_tail);
  }
  {
    ScratchDir dir;
    fs::create_directory(dir.file("TOKEN_STATE"));
    EXPECT_EQ(load_enrollment_state(dir.str(), k_enrollment).state, EnrollmentState::per_host_token);
  }
}

// ---------------------------------------------------------------- the gate

TEST(TokenRotationGate, EnrollmentAcceptsOnceAndTheStateSurvivesARestart) {
  ScratchDir dir;
  {
    TokenRotationGate gate(dir.str(), TokenRotation::enrollment, k_enrollment);
    EXPECT_EQ(gate.state(), EnrollmentState::enrollment_token);
    const auto review = gate.review(k_enrollment, k_per_host, std::nullopt);
    EXPECT_EQ(review.verdict, TokenVerdict::accept);
    EXPECT_EQ(review.persistence, TokenPersistence::write_token_file);
    EXPECT_EQ(gate.state(), EnrollmentState::per_host_token);
    EXPECT_EQ(read_text(dir.file("TOKEN_STATE")), "per-host " + token_sha256_hex(k_per_host) + "\n");
    EXPECT_EQ(mode_of(dir.file("TOKEN_STATE")), 0600u);
    ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", k_per_host, 0600));  // step 2, as TokenStore does

    // In the same run, a further token is refused and nothing is written.
    const auto before = read_text(dir.file("TOKEN_STATE"));
    const auto again = gate.review(k_per_host, k_next, std::nullopt);
    EXPECT_EQ(again.verdict, TokenVerdict::refuse);
    EXPECT_EQ(again.reason, "a per-host token is already held (TOKEN_ROTATION=enrollment)");
    EXPECT_EQ(read_text(dir.file("TOKEN_STATE")), before);
  }
  // Restart: new objects reading the same directory.
  const std::string token = read_text(dir.file("TOKEN"));
  ASSERT_EQ(token, k_per_host);
  TokenRotationGate restarted(dir.str(), TokenRotation::enrollment, token);
  EXPECT_EQ(restarted.state(), EnrollmentState::per_host_token);
  EXPECT_EQ(restarted.review(token, k_next, std::nullopt).verdict, TokenVerdict::refuse);
  EXPECT_EQ(restarted.review(token, k_per_host, std::nullopt).verdict, TokenVerdict::no_op);
  EXPECT_EQ(entries(dir), (std::set<std::string>{"TOKEN", "TOKEN_STATE"}));
}

TEST(TokenRotationGate, CrashBetweenTheStepsOfTheFirstSwap) {
  ScratchDir dir;
  ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", k_enrollment, 0600));
  {
    TokenRotationGate gate(dir.str(), TokenRotation::enrollment, k_enrollment);
    ASSERT_EQ(gate.review(k_enrollment, k_per_host, std::nullopt).verdict, TokenVerdict::accept);
    // Crash here: TOKEN_STATE names the per-host token, TOKEN was not
    // rewritten.
  }
  ASSERT_EQ(read_text(dir.file("TOKEN")), k_enrollment);
  TokenRotationGate restarted(dir.str(), TokenRotation::enrollment, k_enrollment);
  EXPECT_EQ(restarted.state(), EnrollmentState::enrollment_token);
  // The server sends the per-host token again: it is not lost.
  const auto review = restarted.review(k_enrollment, k_per_host, std::nullopt);
  EXPECT_EQ(review.verdict, TokenVerdict::accept);
  EXPECT_EQ(review.persistence, TokenPersistence::write_token_file);
  ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", k_per_host, 0600));
  TokenRotationGate after(dir.str(), TokenRotation::enrollment, k_per_host);
  EXPECT_EQ(after.state(), EnrollmentState::per_host_token);
  EXPECT_EQ(after.review(k_per_host, k_next, std::nullopt).verdict, TokenVerdict::refuse);
}

TEST(TokenRotationGate, CrashBetweenTheStepsOfALaterSwapStillRefusesUnderEnrollment) {
  ScratchDir dir;
  write_text(dir.file("TOKEN_STATE"), "per-host " + token_sha256_hex(k_per_host) + "\n");
  {
    TokenRotationGate gate(dir.str(), TokenRotation::always, k_per_host);
    ASSERT_EQ(gate.state(), EnrollmentState::per_host_token);
    ASSERT_EQ(gate.review(k_per_host, k_next, std::nullopt).verdict, TokenVerdict::accept);
    EXPECT_EQ(read_text(dir.file("TOKEN_STATE")),
              "per-host " + token_sha256_hex(k_next) + " " + token_sha256_hex(k_per_host) + "\n");
    // Crash here: TOKEN still holds k_per_host.
  }
  // The administrator meanwhile switched to enrollment: the old per-host
  // token is still known as per-host, so no further token is accepted.
  TokenRotationGate restarted(dir.str(), TokenRotation::enrollment, k_per_host);
  EXPECT_EQ(restarted.state(), EnrollmentState::per_host_token);
  EXPECT_EQ(restarted.review(k_per_host, k_next, std::nullopt).verdict, TokenVerdict::refuse);
  // And had the crash come after step 2, the new token is per-host too.
  EXPECT_EQ(TokenRotationGate(dir.str(), TokenRotation::enrollment, k_next).state(), EnrollmentState::per_host_token);
}

TEST(TokenRotationGate, BoundRotatesWithAGoodBindingOnly) {
  ScratchDir dir;
  TokenRotationGate gate(dir.str(), TokenRotation::bound, k_enrollment);
  EXPECT_EQ(gate.review(k_enrollment, k_per_host, token_binding_for(k_per_host, k_enrollment)).verdict,
            TokenVerdict::refuse);  // key and message swapped
  EXPECT_FALSE(fs::exists(dir.file("TOKEN_STATE")));
  EXPECT_EQ(gate.review(k_enrollment, k_per_host, token_binding_for(k_enrollment, k_per_host)).verdict,
            TokenVerdict::accept);
  EXPECT_EQ(gate.review(k_per_host, k_next, token_binding_for(k_per_host, k_next)).verdict, TokenVerdict::accept);
  EXPECT_EQ(gate.review(k_next, k_per_host, std::nullopt).verdict, TokenVerdict::refuse);
}

TEST(TokenRotationGate, StateWriteFailureMeansMemoryOnly) {
  ScratchDir dir;
  // A directory in the way: the rename over it fails, even for root.
  fs::create_directory(dir.file("TOKEN_STATE"));
  fs::create_directory(dir.path() / "TOKEN_STATE" / "keep");
  TokenRotationGate gate(dir.str(), TokenRotation::always, k_enrollment);
  ::testing::internal::CaptureStderr();
  const auto review = gate.review(k_enrollment, k_per_host, std::nullopt);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(review.verdict, TokenVerdict::accept);
  EXPECT_EQ(review.persistence, TokenPersistence::memory_only);
  EXPECT_EQ(gate.state(), EnrollmentState::per_host_token);
  EXPECT_NE(log.find("[ERROR]"), std::string::npos) << log;
  EXPECT_NE(log.find("write " + dir.file("TOKEN_STATE")), std::string::npos) << log;
  EXPECT_NE(log.find("used in memory only"), std::string::npos) << log;
  EXPECT_EQ(entries(dir), std::set<std::string>{"TOKEN_STATE"});  // the temp file is gone
}

TEST(TokenRotationGate, StateFileIs0600WhateverTheUmask) {
  ScratchDir dir;
  const UmaskGuard umask(0);
  TokenRotationGate gate(dir.str(), TokenRotation::enrollment, k_enrollment);
  ASSERT_EQ(gate.review(k_enrollment, k_per_host, std::nullopt).persistence, TokenPersistence::write_token_file);
  EXPECT_EQ(mode_of(dir.file("TOKEN_STATE")), 0600u);
}

TEST(TokenRotationGate, LogsFingerprintsNeverTokens) {
  ScratchDir dir;
  const LogLevelGuard debug(LogLevel::debug);
  ::testing::internal::CaptureStderr();
  {
    TokenRotationGate gate(dir.str(), TokenRotation::enrollment, k_enrollment);
    (void)gate.review(k_enrollment, k_enrollment, std::nullopt);  // no-op: silent
    const std::string silent = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(silent, "");
    ::testing::internal::CaptureStderr();
    (void)gate.review(k_enrollment, k_per_host, std::nullopt);
    (void)gate.review(k_per_host, k_next, std::nullopt);
    (void)gate.review(k_per_host, k_next + "\n", std::nullopt);
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("[INFO]"), std::string::npos) << log;
  EXPECT_NE(log.find("token rotation (enrollment): accepting a new token, old " + token_fingerprint(k_enrollment) +
                     ", new " + token_fingerprint(k_per_host)),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("[WARNING]"), std::string::npos) << log;
  EXPECT_NE(log.find("token in the api answer refused (fingerprint " + token_fingerprint(k_next) +
                     "): a per-host token is already held (TOKEN_ROTATION=enrollment); the current token stays and "
                     "TOKEN is untouched"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("token in the api answer refused (fingerprint " + token_fingerprint(k_next + "\n") +
                     "): it holds a byte outside [A-Za-z0-9._~+/=-] at offset 34"),
            std::string::npos)
      << log;
  for (const auto& token : {k_enrollment, k_per_host, k_next}) {
    EXPECT_EQ(log.find(token), std::string::npos) << "a token leaked into the log";
    EXPECT_EQ(log.find(token.substr(0, 12)), std::string::npos) << "part of a token leaked into the log";
  }
}

TEST(TokenRotationGate, TenMegabyteTokenIsNamedByLengthOnly) {
  ScratchDir dir;
  const FirstPageOnly huge(k_ten_megabytes);
  ASSERT_TRUE(huge.ok());
  TokenRotationGate gate(dir.str(), TokenRotation::always, k_enrollment);
  ::testing::internal::CaptureStderr();
  const auto review = gate.review(k_enrollment, huge.view(), std::nullopt);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(review.verdict, TokenVerdict::refuse);
  EXPECT_NE(log.find("token in the api answer refused (10485760 bytes): it is 10485760 bytes, more than 512"),
            std::string::npos)
      << log;
  EXPECT_FALSE(fs::exists(dir.file("TOKEN_STATE")));
}

// ---------------------------------------------------------------- kill -9

// The token a swapping child writes as its `index`th (fixed length, so a
// torn write shows as a wrong length or a wrong pattern).
std::string numbered_token(unsigned index) {
  char text[40];
  std::snprintf(text, sizeof text, "per-host-token-%016u", index);
  return text;
}

bool is_numbered_token(const std::string& text) {
  if (text.size() != 31 || text.rfind("per-host-token-", 0) != 0) return false;
  for (std::size_t i = 15; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// Forks a child that loads the gate from `dir` like a restarted agent and
// swaps tokens (review, then TOKEN) as fast as it can, numbering them from
// `first_index`; waits until it is swapping, lets it run `delay`, kills it
// with SIGKILL. False when the child could not be started.
bool run_and_kill(const ScratchDir& dir, TokenRotation policy, unsigned first_index, std::chrono::microseconds delay) {
  int ready[2];
  if (::pipe(ready) != 0) return false;
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    ::close(ready[0]);
    set_log_level(LogLevel::critical);  // hundreds of swaps: keep the test output short
    std::ifstream in(dir.file("TOKEN"), std::ios::binary);
    std::string current((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    TokenRotationGate gate(dir.str(), policy, current);
    if (::write(ready[1], "r", 1) != 1) ::_exit(2);
    for (unsigned index = first_index;; ++index) {
      const std::string next = numbered_token(index);
      const auto review = gate.review(current, next, std::nullopt);
      if (review.verdict != TokenVerdict::accept) continue;  // enrollment after the first: refused, keep offering
      if (review.persistence != TokenPersistence::write_token_file) ::_exit(3);
      if (!write_file_atomically(dir.str(), "TOKEN", next, 0600)) ::_exit(4);
      current = next;
    }
  }
  ::close(ready[1]);
  char byte = 0;
  const bool started = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (started) std::this_thread::sleep_for(delay);
  ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return started && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// How long one swap (two atomic writes) takes on this file system.
std::chrono::microseconds one_swap_duration() {
  ScratchDir dir;
  const LogLevelGuard quiet(LogLevel::critical);
  TokenRotationGate gate(dir.str(), TokenRotation::always, k_enrollment);
  const auto start = std::chrono::steady_clock::now();
  constexpr int k_swaps = 20;
  std::string current = k_enrollment;
  for (unsigned i = 0; i < k_swaps; ++i) {
    const std::string next = numbered_token(i);
    (void)gate.review(current, next, std::nullopt);
    (void)write_file_atomically(dir.str(), "TOKEN", next, 0600);
    current = next;
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start) / k_swaps;
}

// After any kill: TOKEN is whole, 0600, and the state file agrees with it.
void expect_consistent_after_kill(const ScratchDir& dir, const std::string& enrollment, int round) {
  struct stat st{};
  ASSERT_EQ(::lstat(dir.file("TOKEN").c_str(), &st), 0) << "round " << round << ": TOKEN missing";
  ASSERT_TRUE(S_ISREG(st.st_mode)) << "round " << round;
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "round " << round;
  const std::string token = read_text(dir.file("TOKEN"));
  ASSERT_TRUE(token == enrollment || is_numbered_token(token))
      << "round " << round << ": TOKEN holds " << token.size() << " bytes that are no whole token";
  const auto loaded = load_enrollment_state(dir.str(), token);
  EXPECT_FALSE(loaded.warning) << *loaded.warning;
  EXPECT_EQ(loaded.state,
            token == enrollment ? EnrollmentState::enrollment_token : EnrollmentState::per_host_token)
      << "round " << round;
  if (fs::exists(dir.file("TOKEN_STATE"))) {
    EXPECT_EQ(mode_of(dir.file("TOKEN_STATE")), 0600u);
  }
  // What a crash left behind is cleared at the next start.
  remove_stale_temp_files(dir.str(), "TOKEN");
  remove_stale_temp_files(dir.str(), "TOKEN_STATE");
  for (const auto& name : entries(dir)) {
    EXPECT_TRUE(name == "TOKEN" || name == "TOKEN_STATE") << "round " << round << ": left behind " << name;
  }
}

TEST(TokenSwapKill9, RotatingUnderAlwaysNeverLeavesABrokenToken) {
  ScratchDir dir;
  ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", k_enrollment, 0600));
  const auto swap = one_swap_duration();
  std::mt19937 random(20240611);
  // Kill anywhere within a few swaps after the child is ready.
  std::uniform_int_distribution<long> delay_us(0, 4 * swap.count() + 200);
  constexpr int k_rounds = 300;
  unsigned next_index = 0;
  for (int round = 0; round < k_rounds; ++round) {
    ASSERT_TRUE(run_and_kill(dir, TokenRotation::always, next_index, std::chrono::microseconds(delay_us(random))));
    next_index += 1000000;  // later rounds never reuse a token
    expect_consistent_after_kill(dir, k_enrollment, round);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf("one swap takes about %lld us; %d rounds killed at random\n", static_cast<long long>(swap.count()),
              k_rounds);
}

TEST(TokenSwapKill9, FirstSwapUnderEnrollmentIsAllOrNothing) {
  const auto swap = one_swap_duration();
  const LogLevelGuard quiet(LogLevel::critical);  // each restart logs a line
  std::mt19937 random(7);
  std::uniform_int_distribution<long> delay_us(0, 2 * swap.count() + 100);
  constexpr int k_rounds = 200;
  int still_enrolled = 0;
  int per_host = 0;
  for (int round = 0; round < k_rounds; ++round) {
    ScratchDir dir;
    ASSERT_TRUE(write_file_atomically(dir.str(), "TOKEN", k_enrollment, 0600));
    ASSERT_TRUE(run_and_kill(dir, TokenRotation::enrollment, 1, std::chrono::microseconds(delay_us(random))));
    expect_consistent_after_kill(dir, k_enrollment, round);
    if (::testing::Test::HasFatalFailure()) return;
    const std::string token = read_text(dir.file("TOKEN"));
    TokenRotationGate restarted(dir.str(), TokenRotation::enrollment, token);
    if (token == k_enrollment) {
      ++still_enrolled;
      EXPECT_EQ(restarted.review(token, numbered_token(1), std::nullopt).verdict, TokenVerdict::accept);
    } else {
      ++per_host;
      EXPECT_EQ(token, numbered_token(1));  // never a second token
      EXPECT_EQ(restarted.review(token, numbered_token(2), std::nullopt).verdict, TokenVerdict::refuse);
    }
  }
  std::printf("killed %d times: %d still enrolled, %d per-host\n", k_rounds, still_enrolled, per_host);
}

}  // namespace
}  // namespace fivenines
