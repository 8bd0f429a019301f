// Token rotation policy (issue 5, wire contract §9): whether a `token` in an
// API answer may replace the one the agent holds.
//
// Setting TOKEN_ROTATION (env or CONFIG_DIR/.env):
//   enrollment (default) a token is accepted only while the agent still holds
//                        its enrollment token (the one the installer wrote);
//                        once a per-host token is held, further ones are
//                        refused.
//   bound                accepted only with `token_binding` = lower-case hex
//                        HMAC-SHA256(key = current token, message = new
//                        token), compared in constant time.
//   always               accepted (the reference agent's behaviour).
// Whatever the policy, a token must match ^[A-Za-z0-9._~+/=-]{16,512}$
// (checked first; its length before any byte is looked at), and a token
// equal to the current one is a silent no-op.
//
// Logging: a refusal at warn with the token's fingerprint (first 8 hex
// digits of its SHA-256), an accepted swap at info with the old and new
// fingerprints. A token itself is never logged.
//
// Enrollment state, CONFIG_DIR/TOKEN_STATE (0600, written with
// write_file_atomically): absent (or "enrolled") on a fresh install; after
// a swap, "per-host <H1>[ <H2>]\n", H = lower-case hex SHA-256 of a token:
// H1 of the token accepted last, H2 of the per-host token it replaced (only
// when it replaced one). At start the agent holds a per-host token exactly
// when the SHA-256 of the token read from TOKEN is H1 or H2.
//
// Crash safety of a swap (the order the caller must keep):
//   step 1  TokenRotationGate::review() writes TOKEN_STATE naming the new
//           token (and the current one when that is per-host already);
//   step 2  the caller writes TOKEN (TokenStore).
// Invariant, true at every instant: whenever TOKEN holds a per-host token,
// TOKEN_STATE names its hash. So after a crash
//   - before step 1 completes: TOKEN_STATE is the old one and TOKEN the old
//     token: the state before the swap, unchanged;
//   - between the steps: TOKEN still holds the old token. If that is the
//     enrollment token, no hash matches, so the agent is still enrolled and
//     accepts the per-host token again when the server re-sends it (the new
//     token is not lost, and it was never on disk); if the old token was a
//     per-host one, H2 matches it, so no further token is accepted under
//     `enrollment`;
//   - after step 2: TOKEN holds the new token, H1 matches: per-host.
// The reverse order (TOKEN first) would, after a crash between the steps,
// leave a per-host TOKEN with a state saying "enrolled", and a further
// token would be accepted. A hash that matches nothing also covers a
// re-install: the installer writes a new enrollment token into TOKEN, and
// the agent enrolls again without anyone removing TOKEN_STATE.
//
// An unreadable or malformed TOKEN_STATE (never produced by a crash: the
// file is replaced atomically) fails closed: per-host, with a warning that
// names the file.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fivenines {

enum class TokenRotation { enrollment, bound, always };

inline constexpr std::string_view k_token_state_file = "TOKEN_STATE";
inline constexpr std::size_t k_offered_token_min_bytes = 16;
inline constexpr std::size_t k_offered_token_max_bytes = 512;
inline constexpr std::size_t k_token_binding_hex_digits = 64;

struct TokenRotationSetting {
  TokenRotation rotation = TokenRotation::enrollment;
  // Set for an unknown value: log it at warn once the logger is set up, e.g.
  // "TOKEN_ROTATION: unknown value 'sometimes' (expected enrollment, bound
  // or always); using enrollment".
  std::optional<std::string> warning;
};

// `value`: TOKEN_ROTATION as the agent sees it (Environment::get), nullopt
// when unset. Unset or empty gives the default silently; the names are
// matched without regard to ASCII case.
[[nodiscard]] TokenRotationSetting parse_token_rotation(std::optional<std::string_view> value);
[[nodiscard]] std::string_view token_rotation_name(TokenRotation rotation);

// Why `token` does not match ^[A-Za-z0-9._~+/=-]{16,512}$ ("is 15 bytes,
// fewer than 16", "is 10485760 bytes, more than 512", "holds a byte outside
// [A-Za-z0-9._~+/=-]"), or nullopt when it does. Never quotes the token.
[[nodiscard]] std::optional<std::string> offered_token_problem(std::string_view token);

// The first 8 lower-case hex digits of SHA-256(token): names a token in a
// log line without revealing it.
[[nodiscard]] std::string token_fingerprint(std::string_view token);

// Lower-case hex SHA-256(token), 64 digits (TOKEN_STATE's hashes).
[[nodiscard]] std::string token_sha256_hex(std::string_view token);

// Lower-case hex HMAC-SHA256(key = current, message = offered): the
// `token_binding` a server sends with a token under `bound`.
[[nodiscard]] std::string token_binding_for(std::string_view current, std::string_view offered);

// nullopt when `binding` is exactly 64 lower-case hex digits equal (in
// constant time) to token_binding_for(current, offered); else the reason:
// "no token_binding", "token_binding is not 64 lower-case hex digits",
// "token_binding does not verify".
[[nodiscard]] std::optional<std::string> token_binding_problem(std::string_view current, std::string_view offered,
                                                               std::optional<std::string_view> binding);

enum class EnrollmentState {
  enrollment_token,  // still the installer's token: a per-host one may come
  per_host_token,    // a per-host token has been accepted
};

enum class TokenVerdict {
  accept,  // switch to it and persist it
  refuse,  // log (warn) and drop it; TOKEN untouched
  no_op,   // the token already held: nothing to do, nothing logged
};

struct TokenDecision {
  TokenVerdict verdict = TokenVerdict::refuse;
  std::string reason;  // refuse only; never quotes a token
};

// The pure rule. `offered` is the answer's `token` string; `binding` its
// `token_binding` (nullopt when absent; pass "" when present but not a
// string, which is then refused as malformed). Order: the format of
// `offered` (whatever the policy), equality with `current` (no-op), then
// the policy. Touches nothing, logs nothing.
[[nodiscard]] TokenDecision decide_token(TokenRotation policy, EnrollmentState state, std::string_view current,
                                         std::string_view offered, std::optional<std::string_view> binding);

// TOKEN_STATE's content, parsed (surrounding whitespace ignored; fields
// separated by spaces or tabs): "enrolled", or "per-host" and one or two
// 64-digit lower-case hex hashes. Anything else is malformed.
struct TokenStateText {
  enum class Kind { enrolled, per_host, malformed } kind = Kind::malformed;
  std::vector<std::string> hashes;  // per_host: one or two
  std::string problem;              // malformed: why, e.g. "is empty"
};
[[nodiscard]] TokenStateText parse_token_state(std::string_view text);

struct LoadedEnrollmentState {
  EnrollmentState state = EnrollmentState::enrollment_token;
  // For the log at warn: the file was unusable (failed closed); names the
  // path and the reason.
  std::optional<std::string> warning;
  // For the log at info: the file names a token other than `current_token`
  // (a re-install, or a crash between the two steps of a swap).
  std::optional<std::string> note;
};

// Reads CONFIG_DIR/TOKEN_STATE (bounded, no symlink followed) and decides
// whether `current_token` (the token read from TOKEN) is per-host. See the
// top of this file.
[[nodiscard]] LoadedEnrollmentState load_enrollment_state(const std::string& config_dir,
                                                          std::string_view current_token);

// What review() tells the caller to do with an accepted token.
enum class TokenPersistence {
  write_token_file,  // TOKEN_STATE names the new token: write TOKEN now
  memory_only,       // TOKEN_STATE could not be written (logged at error):
                     // use the token in memory, do NOT write TOKEN
};

struct TokenReview {
  TokenVerdict verdict = TokenVerdict::refuse;
  TokenPersistence persistence = TokenPersistence::memory_only;  // accept only
  std::string reason;                                            // refuse only
};

// The policy, the enrollment state and its file, for the agent loop.
// Not thread-safe: review() and the TOKEN write that follows it must run on
// one thread (the one handling API answers) or under the caller's lock.
class TokenRotationGate {
 public:
  // Loads the enrollment state for `current_token` (logs its warning, if
  // any). `config_dir` is CONFIG_DIR; TOKEN_STATE lives there.
  TokenRotationGate(std::string config_dir, TokenRotation policy, std::string_view current_token);

  [[nodiscard]] TokenRotation policy() const { return m_policy; }
  [[nodiscard]] EnrollmentState state() const { return m_state; }

  // Decides on a `token` from an answer and, when it is accepted, performs
  // step 1 of the swap (TOKEN_STATE) before returning; the caller performs
  // step 2. Logs refusals (warn, fingerprint and reason) and acceptances
  // (info, old and new fingerprints); a no-op is silent. After an accept the
  // state is per_host_token in memory even when the file write failed.
  [[nodiscard]] TokenReview review(std::string_view current, std::string_view offered,
                                   std::optional<std::string_view> binding);

 private:
  std::string m_config_dir;
  TokenRotation m_policy;
  EnrollmentState m_state;
};

}  // namespace fivenines
