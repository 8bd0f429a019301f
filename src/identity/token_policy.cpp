#include "identity/token_policy.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <vector>

#include "identity/atomic_file.hpp"
#include "identity/secret.hpp"
#include "platform/file_read.hpp"
#include "util/log.hpp"
#include "util/text.hpp"

namespace fivenines {

namespace {

constexpr char k_hex_digits[] = "0123456789abcdef";
constexpr std::size_t k_sha256_bytes = 32;
// "per-host " + two 64-digit hashes, a space and a newline: 139 bytes.
constexpr std::size_t k_state_file_max_bytes = 256;
constexpr std::string_view k_state_per_host = "per-host";
constexpr std::string_view k_state_enrolled = "enrolled";

bool is_token_byte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/' || c == '=' || c == '-';
}

bool is_lower_hex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string out;
  out.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    out += k_hex_digits[bytes[i] >> 4];
    out += k_hex_digits[bytes[i] & 0xF];
  }
  return out;
}

// Names a refused token in a log line: its fingerprint, or only its length
// when it is too long to be a token (hashing megabytes to name garbage is
// not worth it).
std::string describe_offered(std::string_view token) {
  if (token.size() > k_offered_token_max_bytes) return "(" + std::to_string(token.size()) + " bytes)";
  return "(fingerprint " + token_fingerprint(token) + ")";
}

// "permission denied": the reason part of error_from_errno's message.
std::string errno_reason(int error_number) {
  constexpr std::string_view k_what = "read";
  return error_from_errno(error_number, k_what).message.substr(k_what.size() + 2);
}

// Ignores EINTR; false on any other error (errno set).
bool read_bounded(int fd, char* buffer, std::size_t capacity, std::size_t& size) {
  size = 0;
  while (size < capacity) {
    const ssize_t n = ::read(fd, buffer + size, capacity - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  return true;
}

struct StateFile {
  enum class Kind { missing, parsed, unusable } kind = Kind::missing;
  TokenStateText text;  // parsed
  std::string problem;  // unusable: why
};

StateFile read_state_file(const std::string& path) {
  StateFile out;
  // O_NOFOLLOW: a planted link is not read through; O_NONBLOCK: a FIFO
  // does not block the start.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int error_number = errno;
    if (error_number == ENOENT) return out;
    out.kind = StateFile::Kind::unusable;
    out.problem = error_number == ELOOP ? "is a symlink (not followed)"
                                        : errno_reason(error_number);
    return out;
  }
  struct stat st{};
  std::array<char, k_state_file_max_bytes + 1> buffer{};
  std::size_t size = 0;
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const bool read_ok = regular && read_bounded(fd, buffer.data(), buffer.size(), size);
  const int error_number = errno;
  ::close(fd);
  out.kind = StateFile::Kind::unusable;
  if (!regular) {
    out.problem = "is not a regular file";
    return out;
  }
  if (!read_ok) {
    out.problem = errno_reason(error_number);
    return out;
  }
  if (size > k_state_file_max_bytes) {
    out.problem = "is larger than " + std::to_string(k_state_file_max_bytes) + " bytes";
    return out;
  }
  out.text = parse_token_state(std::string_view(buffer.data(), size));
  if (out.text.kind == TokenStateText::Kind::malformed) {
    out.problem = out.text.problem;
    return out;
  }
  out.kind = StateFile::Kind::parsed;
  return out;
}

}  // namespace

TokenRotationSetting parse_token_rotation(std::optional<std::string_view> value) {
  TokenRotationSetting out;
  if (!value) return out;
  const std::string_view text = trim(*value);
  if (text.empty()) return out;
  for (const TokenRotation rotation : {TokenRotation::enrollment, TokenRotation::bound, TokenRotation::always}) {
    if (equals_ignoring_ascii_case(text, token_rotation_name(rotation))) {
      out.rotation = rotation;
      return out;
    }
  }
  out.warning = "TOKEN_ROTATION: unknown value " + quoted_excerpt(text) +
                " (expected enrollment, bound or always); using enrollment";
  return out;
}

std::string_view token_rotation_name(TokenRotation rotation) {
  switch (rotation) {
    case TokenRotation::enrollment:
      return "enrollment";
    case TokenRotation::bound:
      return "bound";
    case TokenRotation::always:
      return "always";
  }
  return "enrollment";
}

TokenStateText parse_token_state(std::string_view text) {
  TokenStateText out;
  const auto malformed = [&out](std::string problem) {
    out.kind = TokenStateText::Kind::malformed;
    out.hashes.clear();
    out.problem = std::move(problem);
    return out;
  };
  FieldSplitter fields(trim(text));
  std::string_view word;
  if (!fields.next(word)) return malformed("is empty");
  if (word == k_state_enrolled) {
    if (fields.next(word)) return malformed("has extra text after 'enrolled'");
    out.kind = TokenStateText::Kind::enrolled;
    return out;
  }
  if (word != k_state_per_host) return malformed("does not start with 'enrolled' or 'per-host'");
  while (fields.next(word)) {
    if (out.hashes.size() == 2 || word.size() != 2 * k_sha256_bytes || !is_lower_hex(word)) {
      return malformed("holds something other than one or two sha-256 hashes after 'per-host'");
    }
    out.hashes.emplace_back(word);
  }
  if (out.hashes.empty()) return malformed("names no token hash after 'per-host'");
  out.kind = TokenStateText::Kind::per_host;
  return out;
}

std::optional<std::string> offered_token_problem(std::string_view token) {
  // Length first: a 10 MB string is refused without looking at its bytes.
  if (token.empty()) return "is empty";
  if (token.size() < k_offered_token_min_bytes) {
    return "is " + std::to_string(token.size()) + " bytes, fewer than " + std::to_string(k_offered_token_min_bytes);
  }
  if (token.size() > k_offered_token_max_bytes) {
    return "is " + std::to_string(token.size()) + " bytes, more than " + std::to_string(k_offered_token_max_bytes);
  }
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (!is_token_byte(token[i])) return "holds a byte outside [A-Za-z0-9._~+/=-] at offset " + std::to_string(i);
  }
  return std::nullopt;
}

std::string token_sha256_hex(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &digest_size, EVP_sha256(), nullptr) != 1 ||
      digest_size != k_sha256_bytes) {
    return std::string(2 * k_sha256_bytes, '0');  // not reached: sha-256 is built into libcrypto
  }
  return to_hex(digest.data(), digest_size);
}

std::string token_fingerprint(std::string_view token) { return token_sha256_hex(token).substr(0, 8); }

std::string token_binding_for(std::string_view current, std::string_view offered) {
  static constexpr unsigned char k_no_key = 0;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  const void* key = current.empty() ? static_cast<const void*>(&k_no_key) : current.data();
  const auto* message = reinterpret_cast<const unsigned char*>(offered.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(current.size()), message, offered.size(), mac.data(), &mac_size) ==
          nullptr ||
      mac_size != k_sha256_bytes) {
    return {};  // never equal to a 64-digit binding
  }
  return to_hex(mac.data(), mac_size);
}

std::optional<std::string> token_binding_problem(std::string_view current, std::string_view offered,
                                                 std::optional<std::string_view> binding) {
  if (!binding) return "no token_binding";
  // Length first, then the alphabet: upper-case hex is refused rather than
  // folded, so exactly one spelling of a binding verifies.
  if (binding->size() != k_token_binding_hex_digits || !is_lower_hex(*binding)) {
    return "token_binding is not 64 lower-case hex digits";
  }
  std::string expected = token_binding_for(current, offered);
  const bool verified = equal_in_constant_time(expected, *binding);
  wipe_string(expected);
  if (!verified) return "token_binding does not verify";
  return std::nullopt;
}

TokenDecision decide_token(TokenRotation policy, EnrollmentState state, std::string_view current,
                           std::string_view offered, std::optional<std::string_view> binding) {
  if (auto problem = offered_token_problem(offered)) return {TokenVerdict::refuse, "it " + *problem};
  if (equal_in_constant_time(current, offered)) return {TokenVerdict::no_op, {}};
  switch (policy) {
    case TokenRotation::enrollment:
      if (state == EnrollmentState::enrollment_token) return {TokenVerdict::accept, {}};
      return {TokenVerdict::refuse, "a per-host token is already held (TOKEN_ROTATION=enrollment)"};
    case TokenRotation::bound:
      if (auto problem = token_binding_problem(current, offered, binding)) {
        return {TokenVerdict::refuse, *problem + " (TOKEN_ROTATION=bound)"};
      }
      return {TokenVerdict::accept, {}};
    case TokenRotation::always:
      return {TokenVerdict::accept, {}};
  }
  return {TokenVerdict::refuse, "unknown rotation policy"};
}

LoadedEnrollmentState load_enrollment_state(const std::string& config_dir, std::string_view current_token) {
  const std::string path = config_dir + "/" + std::string(k_token_state_file);
  const StateFile file = read_state_file(path);
  LoadedEnrollmentState out;
  switch (file.kind) {
    case StateFile::Kind::missing:
      out.state = EnrollmentState::enrollment_token;
      return out;
    case StateFile::Kind::unusable:
      out.state = EnrollmentState::per_host_token;
      out.warning = path + ": " + file.problem +
                    "; treating the current token as per-host, so no token from the api is accepted under "
                    "TOKEN_ROTATION=enrollment (remove the file to enroll again)";
      return out;
    case StateFile::Kind::parsed:
      break;
  }
  if (file.text.kind == TokenStateText::Kind::enrolled) {
    out.state = EnrollmentState::enrollment_token;
    return out;
  }
  const std::string current_hash = token_sha256_hex(current_token);
  for (const auto& hash : file.text.hashes) {
    if (equal_in_constant_time(hash, current_hash)) {
      out.state = EnrollmentState::per_host_token;
      return out;
    }
  }
  // TOKEN holds a token that was never accepted from the api: a re-install
  // wrote a new enrollment token, or a crash came between the two steps of
  // a swap (see the header).
  out.state = EnrollmentState::enrollment_token;
  out.note = path + " names another token than the one in TOKEN: treating TOKEN as an enrollment token";
  return out;
}

TokenRotationGate::TokenRotationGate(std::string config_dir, TokenRotation policy, std::string_view current_token)
    : m_config_dir(std::move(config_dir)), m_policy(policy) {
  const auto loaded = load_enrollment_state(m_config_dir, current_token);
  m_state = loaded.state;
  if (loaded.warning) log_warn(*loaded.warning);
  if (loaded.note) log_info(*loaded.note);
}

TokenReview TokenRotationGate::review(std::string_view current, std::string_view offered,
                                      std::optional<std::string_view> binding) {
  const TokenDecision decision = decide_token(m_policy, m_state, current, offered, binding);
  TokenReview out;
  out.verdict = decision.verdict;
  switch (decision.verdict) {
    case TokenVerdict::no_op:
      return out;
    case TokenVerdict::refuse:
      out.reason = decision.reason;
      log_warn("token in the api answer refused " + describe_offered(offered) + ": " + decision.reason +
               "; the current token stays and TOKEN is untouched");
      return out;
    case TokenVerdict::accept:
      break;
  }
  log_info("token rotation (" + std::string(token_rotation_name(m_policy)) + "): accepting a new token, old " +
           token_fingerprint(current) + ", new " + token_fingerprint(offered));
  // Step 1 of the swap: name the new token (and the per-host one it
  // replaces) before TOKEN changes; see the invariant in the header.
  std::string content = std::string(k_state_per_host) + " " + token_sha256_hex(offered);
  if (m_state == EnrollmentState::per_host_token) content += " " + token_sha256_hex(current);
  content += "\n";
  auto written = write_file_atomically(m_config_dir, k_token_state_file, content, 0600);
  m_state = EnrollmentState::per_host_token;
  if (!written) {
    log_error(written.error().message +
              " (the new token is used in memory only; TOKEN is not rewritten, so it is lost on restart)");
    out.persistence = TokenPersistence::memory_only;
    return out;
  }
  out.persistence = TokenPersistence::write_token_file;
  return out;
}

}  // namespace fivenines
