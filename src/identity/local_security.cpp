#include "identity/local_security.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "platform/file_read.hpp"

namespace fivenines {

namespace {

constexpr mode_t k_group_other_bits = 077;
constexpr mode_t k_group_other_write_bits = 022;
constexpr mode_t k_token_mode = 0600;

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

// "readable", "writable", "readable and writable" or "accessible" (execute
// or search only) by group or others, for the bits of `mode` in `mask`.
std::string exposure(mode_t mode, mode_t mask) {
  const bool readable = (mode & mask & 044) != 0;
  const bool writable = (mode & mask & 022) != 0;
  if (readable && writable) return "readable and writable";
  if (readable) return "readable";
  if (writable) return "writable";
  return "accessible";
}

std::string not_ours(const struct stat& st) {
  return "(owner uid " + std::to_string(st.st_uid) + " is not this process's uid " + std::to_string(::geteuid()) +
         ", so it is not changed)";
}

// "permission denied": the reason part of error_from_errno's message.
std::string errno_reason(int error_number) {
  constexpr std::string_view k_what = "open";
  return error_from_errno(error_number, k_what).message.substr(k_what.size() + 2);
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

Error stat_error(int error_number, const std::string& path) {
  Error error = error_from_errno(error_number, path);
  if (error_number == ENOENT) error.message = path + ": does not exist";
  return error;
}

// Opens `path` (already stat'ed as `expected`) for fchmod. O_RDONLY needs
// the owner's read bit; a file the owner may only write is opened O_WRONLY
// (without O_TRUNC nothing changes). Returns -errno on failure.
int open_same_file(const std::string& path, const struct stat& expected, int extra_flags) {
  const int base = O_CLOEXEC | O_NONBLOCK | O_NOCTTY | extra_flags;
  int fd = ::open(path.c_str(), O_RDONLY | base);
  if (fd < 0 && errno == EACCES && (extra_flags & O_DIRECTORY) == 0) fd = ::open(path.c_str(), O_WRONLY | base);
  if (fd < 0) return -errno;
  struct stat now{};
  if (::fstat(fd, &now) != 0 || !same_file(now, expected) || now.st_uid != expected.st_uid) {
    ::close(fd);
    return -EAGAIN;  // replaced between the lstat and the open
  }
  return fd;
}

// Clears `clear` from the mode of the directory or file behind `fd`; the
// result of fchmod as an Error naming `path`.
Status fchmod_fd(int fd, mode_t mode, const std::string& path) {
  if (::fchmod(fd, mode) != 0) return error_from_errno(errno, "chmod " + path);
  return Ok{};
}

}  // namespace

std::string octal_mode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777U);
  return text;
}

Result<LocalCheck> check_token_file(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return stat_error(errno, path);
  if (S_ISLNK(st.st_mode)) {
    return Error{ErrorKind::invalid_config, path + ": is a symlink, refused (never followed)"};
  }
  if (!S_ISREG(st.st_mode)) {
    return Error{ErrorKind::invalid_config,
                 path + ": is not a regular file (mode " + octal_mode(st.st_mode & 07777) + ")"};
  }
  const mode_t mode = st.st_mode & 07777;
  if ((mode & k_group_other_bits) == 0) return LocalCheck{};
  const std::string problem = path + ": mode " + octal_mode(mode) + " ";
  if (st.st_uid != ::geteuid()) {
    return Error{ErrorKind::permission,
                 problem + "is " + exposure(mode, k_group_other_bits) + " by group or others " + not_ours(st)};
  }
  const int fd = open_same_file(path, st, O_NOFOLLOW);
  if (fd < 0) {
    return Error{ErrorKind::permission, problem + "is " + exposure(mode, k_group_other_bits) +
                                            " by group or others and could not be changed: " +
                                            (fd == -EAGAIN ? std::string("the file was replaced meanwhile")
                                                           : errno_reason(-fd))};
  }
  const FdGuard guard(fd);
  auto changed = fchmod_fd(fd, k_token_mode, path);
  if (!changed) return changed.error();
  return LocalCheck{problem + "was " + exposure(mode, k_group_other_bits) + " by group or others; set to " +
                    octal_mode(k_token_mode)};
}

Result<LocalCheck> check_config_dir(const std::string& path) {
  struct stat link{};
  if (::lstat(path.c_str(), &link) != 0) return stat_error(errno, path);
  const bool symlinked = S_ISLNK(link.st_mode);
  struct stat st = link;
  std::string shown = path;  // the path named in messages
  if (symlinked) {
    if (::stat(path.c_str(), &st) != 0) {
      return Error{ErrorKind::invalid_config, path + ": is a symlink that leads nowhere usable (" +
                                                  errno_reason(errno) + ")"};
    }
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) != nullptr) shown = path + " (symlink to " + resolved + ")";
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error{ErrorKind::invalid_config, shown + ": is not a directory (mode " + octal_mode(st.st_mode) + ")"};
  }
  const mode_t mode = st.st_mode & 07777;
  const bool ours = st.st_uid == ::geteuid();
  if (symlinked && !ours && st.st_uid != 0) {
    return Error{ErrorKind::permission, shown + ": mode " + octal_mode(mode) + ", owned by uid " +
                                            std::to_string(st.st_uid) +
                                            "; a symlinked CONFIG_DIR must lead to a directory owned by root or "
                                            "by this process's uid " +
                                            std::to_string(::geteuid())};
  }
  if ((mode & k_group_other_write_bits) == 0) return LocalCheck{};
  const std::string problem = shown + ": mode " + octal_mode(mode) + " ";
  if (!ours) return Error{ErrorKind::permission, problem + "is writable by group or others " + not_ours(st)};
  // Open the directory the checks were made on: through the link when
  // symlinked (the same-file test below catches a swap), never through a
  // link that appeared after the lstat.
  const int fd = open_same_file(path, st, O_DIRECTORY | (symlinked ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    return Error{ErrorKind::permission,
                 problem + "is writable by group or others and could not be changed: " +
                     (fd == -EAGAIN ? std::string("the directory was replaced meanwhile")
                                    : errno_reason(-fd))};
  }
  const FdGuard guard(fd);
  const mode_t fixed = mode & ~k_group_other_write_bits;
  auto changed = fchmod_fd(fd, fixed, path);
  if (!changed) return changed.error();
  return LocalCheck{problem + "was writable by group or others; set to " + octal_mode(fixed)};
}

Status make_process_non_dumpable() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return error_from_errno(errno, "prctl(PR_SET_DUMPABLE, 0)");
  const int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  if (dumpable != 0) {
    return Error{ErrorKind::internal,
                 "prctl(PR_GET_DUMPABLE): " + std::to_string(dumpable) + " after PR_SET_DUMPABLE 0, expected 0"};
  }
  return Ok{};
}

}  // namespace fivenines
