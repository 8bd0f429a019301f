#include "identity/machine_id.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "identity/atomic_file.hpp"
#include "platform/file_read.hpp"
#include "util/text.hpp"

namespace fivenines {

namespace {

// A UUID with surrounding whitespace fits easily; anything larger is not one.
constexpr std::size_t k_max_file_bytes = 256;
constexpr char k_hex_digits[] = "0123456789abcdef";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

enum class FileState { valid, missing, invalid, unreadable };

struct FileOutcome {
  FileState state = FileState::missing;
  std::string value;   // the UUID, when valid
  std::string detail;  // for the log
};

// Reads MACHINE_ID without following a symlink and without blocking on a
// FIFO someone planted there.
FileOutcome read_machine_id_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int error_number = errno;
    if (error_number == ENOENT || error_number == ENOTDIR) return {FileState::missing, {}, path + " does not exist"};
    if (error_number == ELOOP) return {FileState::invalid, {}, path + " is a symlink, not followed"};
    if (error_number == ENXIO) return {FileState::invalid, {}, path + " is not a regular file"};  // a socket
    return {FileState::unreadable, {}, error_from_errno(error_number, "read " + path).message};
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return {FileState::invalid, {}, path + " is not a regular file"};
  }
  char buffer[k_max_file_bytes + 1];
  std::size_t size = 0;
  while (size < sizeof buffer) {
    const ssize_t n = ::read(fd, buffer + size, sizeof buffer - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error_number = errno;
      ::close(fd);
      return {FileState::unreadable, {}, error_from_errno(error_number, "read " + path).message};
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (size > k_max_file_bytes) return {FileState::invalid, {}, path + " is too large to hold a uuid"};
  const std::string_view content = trim(std::string_view(buffer, size));
  if (!is_canonical_uuid(content)) return {FileState::invalid, {}, path + " does not hold a valid uuid"};
  return {FileState::valid, std::string(content), "machine_id read from " + path};
}

bool fill_random(void* data, std::size_t size) {
  auto* out = static_cast<std::uint8_t*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::getrandom(out + done, size - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool is_canonical_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

std::string format_uuid_v4(std::array<std::uint8_t, 16> bytes) {
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += k_hex_digits[bytes[i] >> 4];
    out += k_hex_digits[bytes[i] & 0xF];
  }
  return out;
}

std::optional<std::array<std::uint8_t, 16>> random_bytes_16() {
  std::array<std::uint8_t, 16> bytes{};
  if (!fill_random(bytes.data(), bytes.size())) return std::nullopt;
  return bytes;
}

MachineIdOutcome resolve_machine_id(const std::string& config_dir, MachineIdMode mode) {
  const std::string path = config_dir + "/" + std::string(k_machine_id_file);
  auto existing = read_machine_id_file(path);
  if (existing.state == FileState::valid) {
    return {std::move(existing.value), MachineIdSource::reused, std::move(existing.detail)};
  }
  // A file we may not read is left alone: replacing it would change the
  // identity of a host whose id is merely hidden from us.
  if (existing.state == FileState::unreadable) return {std::nullopt, MachineIdSource::none, std::move(existing.detail)};
  if (mode == MachineIdMode::read_only) {
    return {std::nullopt, MachineIdSource::none, existing.detail + " (dry run: not written)"};
  }
  const auto bytes = random_bytes_16();
  if (!bytes) return {std::nullopt, MachineIdSource::none, "getrandom failed"};
  std::string value = format_uuid_v4(*bytes);
  auto written = write_file_atomically(config_dir, k_machine_id_file, value, 0600);
  if (!written) return {std::nullopt, MachineIdSource::none, written.error().message};
  return {std::move(value), MachineIdSource::generated, "machine_id generated and written to " + path};
}

}  // namespace fivenines
