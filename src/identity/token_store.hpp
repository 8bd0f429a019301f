// The API token (wire contract §2.1, §9): CONFIG_DIR/TOKEN, read once at
// start, replaced when an answer carries a per-host token.
//
// Reading: a bounded read (4 KiB) that follows no symlink and accepts only a
// regular file; surrounding whitespace is stripped; an empty token, or one
// with whitespace or a control character inside, is refused (the reference
// would send such a value; a newline inside would let a hostile TOKEN file
// forge a second HTTP header, so we exit 2 instead).
//
// Memory: the process keeps one copy of the current token, in a Secret that
// wipes its bytes (OPENSSL_cleanse) when destroyed. Readers share it through
// a shared_ptr, so a request in flight keeps the old token alive until it
// ends, and the old bytes are wiped then.
//
// Writing: write_file_atomically (identity/atomic_file.hpp): a new file in
// CONFIG_DIR (O_CREAT|O_EXCL|O_NOFOLLOW, 0600 and an explicit fchmod, so
// neither the umask nor the old file's mode matters), written, fsynced,
// renamed over TOKEN, the directory fsynced. After a crash TOKEN holds the
// old token or the whole new one; a stale temp file is removed at the next
// start (remove_stale_temp_files).
//
// Replacing: only through the token rotation policy
// (identity/token_policy.hpp): TokenStore owns the TokenRotationGate, so
// there is no path from an answer to TOKEN that skips it.
//
// Never log a token: the messages here name the path and the reason only.
//
// Thread-safety: TokenStore and TokenHolder may be used from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "identity/secret.hpp"
#include "identity/token_policy.hpp"
#include "util/result.hpp"

namespace fivenines {

inline constexpr std::string_view k_token_file = "TOKEN";
inline constexpr std::size_t k_token_max_bytes = 4096;

// The token's bytes: one heap buffer, wiped before it is freed (secret.hpp).
using Secret = SecretString;

using SharedSecret = std::shared_ptr<const Secret>;

// Why `token` cannot be used: "is empty", "is larger than 4096 bytes",
// "holds whitespace or a control character"; nullopt when usable.
[[nodiscard]] std::optional<std::string> token_problem(std::string_view token);

// The token in the text of a TOKEN file: surrounding whitespace stripped,
// then checked with token_problem(). The error is the reason only.
[[nodiscard]] Result<std::string_view> parse_token_text(std::string_view text);

// Reads CONFIG_DIR/TOKEN. Errors name the path and the reason, e.g.
// "token file /etc/fivenines_agent/TOKEN: does not exist"
// (ErrorKind::absent), ": permission denied" (::permission), ": is a
// symlink (not followed)", ": is not a regular file", ": is empty",
// ": holds whitespace or a control character" (::invalid_config).
[[nodiscard]] Result<SharedSecret> read_token_file(const std::string& config_dir);

// Writes `token` to dir/TOKEN crash-safely (see above). The error names the
// path and the reason. No check of the value: see TokenStore::accept_token.
[[nodiscard]] Status write_token_file(const std::string& config_dir, std::string_view token);

// The in-memory token; replace() switches every later request at once.
class TokenHolder {
 public:
  explicit TokenHolder(SharedSecret initial) : m_current(std::move(initial)) {}
  [[nodiscard]] SharedSecret current() const;
  void replace(SharedSecret next);

 private:
  mutable std::mutex m_mutex;
  SharedSecret m_current;
};

enum class TokenAcceptance {
  stored,     // switched in memory and written to TOKEN
  unchanged,  // the same token as now: nothing to do, nothing logged
  kept_in_memory_only,  // switched, but TOKEN_STATE or TOKEN could not be written (logged)
  refused,    // malformed, or not allowed by the rotation policy (logged at
              // warn with its fingerprint); the current one stays, TOKEN untouched
};

// The token of this process, its file, and the rotation policy that guards
// both.
class TokenStore {
 public:
  // Loads the enrollment state for `initial` from CONFIG_DIR/TOKEN_STATE
  // (logging a warning when that file is unusable).
  TokenStore(std::string config_dir, SharedSecret initial, TokenRotation rotation);

  [[nodiscard]] SharedSecret current() const { return m_holder.current(); }
  [[nodiscard]] const std::string& path() const { return m_path; }
  [[nodiscard]] EnrollmentState enrollment_state() const;

  // The one hook for a token that arrived in an API answer (§9.3, issue 5):
  // TokenRotationGate::review() decides (and, on accept, records
  // TOKEN_STATE first); only then is the in-memory token switched and TOKEN
  // written. `binding`: the answer's `token_binding` (nullopt when absent,
  // "" when present but not a string). The old token's bytes are wiped once
  // the last request using them ends.
  TokenAcceptance accept_token(std::string_view new_token, std::optional<std::string_view> binding = std::nullopt);

 private:
  std::string m_config_dir;
  std::string m_path;
  TokenHolder m_holder;
  mutable std::mutex m_write_mutex;  // one review + write of TOKEN at a time; guards m_gate
  TokenRotationGate m_gate;
};

}  // namespace fivenines
