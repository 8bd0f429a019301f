#include "identity/token_store.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "identity/atomic_file.hpp"
#include "platform/file_read.hpp"
#include "util/log.hpp"
#include "util/text.hpp"

namespace fivenines {

namespace {

std::string token_path(const std::string& config_dir) { return config_dir + "/" + std::string(k_token_file); }

Error token_error(ErrorKind kind, const std::string& path, std::string_view reason) {
  return Error{kind, "token file " + path + ": " + std::string(reason)};
}

// Closes a descriptor on every path out of a function.
class FdGuard {
 public:
  explicit FdGuard(int fd) : m_fd(fd) {}
  ~FdGuard() {
    if (m_fd >= 0) ::close(m_fd);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  [[nodiscard]] int get() const { return m_fd; }

 private:
  int m_fd;
};

}  // namespace

std::optional<std::string> token_problem(std::string_view token) {
  if (token.empty()) return "is empty";
  if (token.size() > k_token_max_bytes) return "is larger than " + std::to_string(k_token_max_bytes) + " bytes";
  for (const char c : token) {
    const auto u = static_cast<unsigned char>(c);
    // Whitespace and controls would break (or forge) the Authorization
    // header; bytes >= 0x80 include the C1 controls and have no business in
    // an HTTP header value either.
    if (u <= 0x20 || u == 0x7F) return "holds whitespace or a control character";
    if (u >= 0x80) return "holds a byte that is not printable ascii";
  }
  return std::nullopt;
}

Result<std::string_view> parse_token_text(std::string_view text) {
  const std::string_view token = trim(text);
  if (auto problem = token_problem(token)) return Error{ErrorKind::invalid_config, std::move(*problem)};
  return token;
}

Result<SharedSecret> read_token_file(const std::string& config_dir) {
  const std::string path = token_path(config_dir);
  // O_NONBLOCK: a FIFO planted as TOKEN must not block the start; O_NOFOLLOW:
  // a symlink is refused rather than read through.
  const FdGuard fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    const int error_number = errno;
    if (error_number == ENOENT || error_number == ENOTDIR) return token_error(ErrorKind::absent, path, "does not exist");
    if (error_number == ELOOP) return token_error(ErrorKind::invalid_config, path, "is a symlink (not followed)");
    if (error_number == ENXIO) return token_error(ErrorKind::invalid_config, path, "is not a regular file");
    if (error_number == EACCES || error_number == EPERM) {
      return token_error(ErrorKind::permission, path, "permission denied");
    }
    return token_error(ErrorKind::io, path, std::strerror(error_number));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return token_error(ErrorKind::io, path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return token_error(ErrorKind::invalid_config, path, "is not a regular file");

  // One byte more than the cap tells "too large" from "exactly the cap";
  // a little room for surrounding whitespace (an editor's newline).
  std::array<char, k_token_max_bytes + 64> buffer{};
  std::size_t size = 0;
  bool failed = false;
  int error_number = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failed = true;
      error_number = errno;
      break;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  Result<SharedSecret> out = token_error(ErrorKind::io, path, "unreadable");
  if (failed) {
    out = token_error(error_number == EISDIR ? ErrorKind::invalid_config : ErrorKind::io, path,
                      error_number == EISDIR ? "is not a regular file" : std::strerror(error_number));
  } else if (size == buffer.size()) {
    out = token_error(ErrorKind::invalid_config, path,
                      "is larger than " + std::to_string(k_token_max_bytes) + " bytes");
  } else if (auto token = parse_token_text(std::string_view(buffer.data(), size))) {
    out = SharedSecret(std::make_shared<const Secret>(*token));
  } else {
    out = token_error(ErrorKind::invalid_config, path, token.error().message);
  }
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return out;
}

Status write_token_file(const std::string& config_dir, std::string_view token) {
  return write_file_atomically(config_dir, k_token_file, token, 0600);
}

SharedSecret TokenHolder::current() const {
  const std::lock_guard lock(m_mutex);
  return m_current;
}

void TokenHolder::replace(SharedSecret next) {
  SharedSecret old;
  {
    const std::lock_guard lock(m_mutex);
    old = std::exchange(m_current, std::move(next));
  }
  // `old` is released here, outside the lock; its bytes are wiped once the
  // last request that still uses it lets go.
}

TokenStore::TokenStore(std::string config_dir, SharedSecret initial, TokenRotation rotation)
    : m_config_dir(std::move(config_dir)),
      m_path(token_path(m_config_dir)),
      m_holder(std::move(initial)),
      m_gate(m_config_dir, rotation, m_holder.current() ? m_holder.current()->view() : std::string_view{}) {}

EnrollmentState TokenStore::enrollment_state() const {
  const std::lock_guard lock(m_write_mutex);
  return m_gate.state();
}

TokenAcceptance TokenStore::accept_token(std::string_view new_token, std::optional<std::string_view> binding) {
  const std::lock_guard lock(m_write_mutex);
  TokenReview review;
  {
    const SharedSecret current = m_holder.current();
    review = m_gate.review(current ? current->view() : std::string_view{}, new_token, binding);
  }
  switch (review.verdict) {
    case TokenVerdict::no_op:
      return TokenAcceptance::unchanged;
    case TokenVerdict::refuse:
      return TokenAcceptance::refused;  // logged by the gate
    case TokenVerdict::accept:
      break;
  }
  // §9.3: every later request uses the new token at once.
  m_holder.replace(std::make_shared<const Secret>(new_token));
  if (review.persistence == TokenPersistence::memory_only) return TokenAcceptance::kept_in_memory_only;
  auto written = write_token_file(m_config_dir, new_token);
  if (!written) {
    log_error(written.error().message + " (the new token is kept in memory only and is lost on restart)");
    return TokenAcceptance::kept_in_memory_only;
  }
  log_info("token swap done: new token stored in " + m_path);
  return TokenAcceptance::stored;
}

}  // namespace fivenines
