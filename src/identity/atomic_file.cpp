#include "identity/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>

#include "platform/file_read.hpp"

namespace fivenines {

namespace {

constexpr char k_hex_digits[] = "0123456789abcdef";
constexpr std::size_t k_suffix_bytes = 6;  // 12 hex digits
// A CONFIG_DIR holds a handful of files; stop scanning a flooded one.
constexpr std::size_t k_max_entries_scanned = 10000;

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
  // Closes now and returns close()'s own result (it can carry a write error).
  int close_now() {
    const int rc = ::close(m_fd);
    m_fd = -1;
    return rc;
  }

 private:
  int m_fd;
};

std::optional<std::string> random_suffix() {
  std::array<unsigned char, k_suffix_bytes> bytes{};
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + done, bytes.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    done += static_cast<std::size_t>(n);
  }
  std::string out;
  out.reserve(2 * bytes.size());
  for (const auto byte : bytes) {
    out += k_hex_digits[byte >> 4];
    out += k_hex_digits[byte & 0xF];
  }
  return out;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool is_lower_hex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string atomic_temp_name(std::string_view name, std::string_view suffix) {
  std::string out = ".";
  out += name;
  out += '.';
  out += suffix;
  out += ".tmp";
  return out;
}

Status write_file_atomically(const std::string& dir, std::string_view name, std::string_view bytes, mode_t mode) {
  const std::string path = dir + "/" + std::string(name);
  const auto fail = [&](int error_number) { return error_from_errno(error_number, "write " + path); };

  const FdGuard dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return fail(errno);
  const auto suffix = random_suffix();
  if (!suffix) return Error{ErrorKind::io, "write " + path + ": getrandom failed"};
  const std::string temp = atomic_temp_name(name, *suffix);

  // The name is random, so an existing file there is an attack or a bug:
  // O_EXCL refuses it, O_NOFOLLOW refuses a planted link.
  FdGuard fd(::openat(dir_fd.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777));
  if (fd.get() < 0) return fail(errno);
  const auto fail_and_remove = [&](int error_number) {
    ::unlinkat(dir_fd.get(), temp.c_str(), 0);
    return fail(error_number);
  };
  // The umask can only take bits away; set the mode explicitly so the result
  // never depends on it.
  if (::fchmod(fd.get(), mode) != 0) return fail_and_remove(errno);
  if (!write_all(fd.get(), bytes)) return fail_and_remove(errno != 0 ? errno : EIO);
  if (::fsync(fd.get()) != 0) return fail_and_remove(errno);
  if (fd.close_now() != 0) return fail_and_remove(errno);
  if (::renameat(dir_fd.get(), temp.c_str(), dir_fd.get(), std::string(name).c_str()) != 0) {
    return fail_and_remove(errno);
  }
  // Make the rename durable. EINVAL: this file system cannot sync a
  // directory; the rename stands.
  if (::fsync(dir_fd.get()) != 0 && errno != EINVAL) return error_from_errno(errno, "fsync " + dir);
  return Ok{};
}

std::size_t remove_stale_temp_files(const std::string& dir, std::string_view name) {
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return 0;
  DIR* listing = ::fdopendir(dir_fd);  // owns dir_fd from here on
  if (listing == nullptr) {
    ::close(dir_fd);
    return 0;
  }
  // Built with append, not "." + std::string(name): GCC 12 at -O3 reports a
  // false -Wrestrict overlap in the operator+ form (warnings are errors).
  std::string prefix;
  prefix.reserve(name.size() + 2);
  prefix.append(".").append(name).append(".");
  const std::string_view suffix = ".tmp";
  const std::size_t expected_size = prefix.size() + 2 * k_suffix_bytes + suffix.size();
  std::size_t removed = 0;
  std::size_t scanned = 0;
  while (const struct dirent* entry = ::readdir(listing)) {
    if (++scanned > k_max_entries_scanned) break;
    const std::string_view entry_name(entry->d_name);
    if (entry_name.size() != expected_size || entry_name.substr(0, prefix.size()) != prefix ||
        entry_name.substr(entry_name.size() - suffix.size()) != suffix ||
        !is_lower_hex(entry_name.substr(prefix.size(), 2 * k_suffix_bytes))) {
      continue;
    }
    struct stat st{};
    if (::fstatat(dirfd(listing), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) continue;
    if (::unlinkat(dirfd(listing), entry->d_name, 0) == 0) ++removed;
  }
  ::closedir(listing);
  return removed;
}

}  // namespace fivenines
