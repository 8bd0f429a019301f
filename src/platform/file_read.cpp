#include "platform/file_read.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fivenines {

namespace {

// Opens read-only without following into FIFOs or ttys; returns -errno.
int open_for_read(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -errno;
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    const int saved = errno;
    ::close(fd);
    return -saved;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
  }
  return fd;
}

}  // namespace

Error error_from_errno(int error_number, std::string_view what) {
  ErrorKind kind = ErrorKind::io;
  if (error_number == ENOENT || error_number == ENOTDIR || error_number == ESRCH) kind = ErrorKind::absent;
  if (error_number == EACCES || error_number == EPERM) kind = ErrorKind::permission;
  std::string message(what);
  message += ": ";
  if (error_number == EINVAL) {
    message += "not a regular file";
  } else {
    message += std::strerror(error_number);
    // strerror gives "No such file or directory"; log style is lower-case.
    if (!message.empty()) {
      const std::size_t at = what.size() + 2;
      if (at < message.size()) message[at] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[at])));
    }
  }
  return Error{kind, std::move(message)};
}

Status read_file_into(const char* path, std::string& out, std::size_t max_bytes) {
  out.clear();
  const int fd = open_for_read(path);
  if (fd < 0) return error_from_errno(-fd, std::string("read ") + path);
  // /proc files report size 0, so read in chunks. A stack chunk appended to
  // `out` copies only the bytes read; resizing `out` first would zero-fill
  // it on every call (a third of a collection's user time, measured).
  char chunk[8192];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      out.clear();
      return error_from_errno(saved, std::string("read ") + path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      out.clear();
      return make_error(ErrorKind::parse,
                        std::string("read ") + path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return Ok{};
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  std::string out;
  auto status = read_file_into(path.c_str(), out, max_bytes);
  if (!status) return status.error();
  return out;
}

Result<std::size_t> read_small_file(const char* path, char* buffer, std::size_t capacity) {
  const int fd = open_for_read(path);
  if (fd < 0) return error_from_errno(-fd, std::string("read ") + path);
  std::size_t size = 0;
  for (;;) {
    if (size == capacity) {
      // One more byte tells "exactly full" from "truncated".
      char probe = 0;
      ssize_t extra = 0;
      do {
        extra = ::read(fd, &probe, 1);
      } while (extra < 0 && errno == EINTR);
      ::close(fd);
      if (extra > 0) {
        return make_error(ErrorKind::parse, std::string("read ") + path + ": larger than " + std::to_string(capacity) + " bytes");
      }
      return size;
    }
    const ssize_t n = ::read(fd, buffer + size, capacity - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      return error_from_errno(saved, std::string("read ") + path);
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return size;
}

}  // namespace fivenines
