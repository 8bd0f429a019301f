// SecretString: bytes that must not leak (the API token). Held once, in one
// heap buffer that is wiped (OPENSSL_cleanse, which the optimiser may not
// drop) before it is freed: on destruction, on assign() and on clear().
//
// - Move only: a copy would be a second unwiped-on-our-terms buffer. A move
//   hands the buffer over; the moved-from instance is empty.
// - Never printable: operator<< is deleted and there is no conversion to
//   std::string / std::string_view / const char*; view() is the one door,
//   so every use of the bytes is visible in the code.
// - The bytes a SecretString was built from are the caller's to wipe
//   (wipe_string() for a std::string, e.g. the parsed API answer).
//
// Not thread-safe: share a const SecretString (or a shared_ptr to one), never
// mutate one that another thread reads.
//
// The allocator parameter exists so a test can inspect a buffer at the
// moment it is freed; the agent uses SecretString (std::allocator).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace fivenines {

// OPENSSL_cleanse(data, size): zeroes memory in a way the compiler keeps.
void wipe_bytes(void* data, std::size_t size);

// Wipes every byte `text` owns (its whole capacity, the small-string buffer
// included), then leaves it empty.
void wipe_string(std::string& text);

// Constant-time equality of two byte strings of the same length (the
// length itself is not secret); false when the lengths differ.
[[nodiscard]] bool equal_in_constant_time(std::string_view a, std::string_view b);

template <typename Allocator = std::allocator<char>>
class BasicSecretString {
 public:
  BasicSecretString() = default;
  explicit BasicSecretString(std::string_view value, const Allocator& allocator = Allocator())
      : m_allocator(allocator) {
    adopt(value);
  }
  ~BasicSecretString() { release(); }

  BasicSecretString(const BasicSecretString&) = delete;
  BasicSecretString& operator=(const BasicSecretString&) = delete;

  BasicSecretString(BasicSecretString&& other) noexcept
      : m_allocator(other.m_allocator),
        m_data(std::exchange(other.m_data, nullptr)),
        m_size(std::exchange(other.m_size, 0)) {}
  BasicSecretString& operator=(BasicSecretString&& other) noexcept {
    if (this != &other) {
      release();
      m_allocator = other.m_allocator;
      m_data = std::exchange(other.m_data, nullptr);
      m_size = std::exchange(other.m_size, 0);
    }
    return *this;
  }

  // Replaces the value; the old bytes are wiped before their buffer is freed.
  void assign(std::string_view value) {
    release();
    adopt(value);
  }
  // Wipes and frees the value; empty() afterwards.
  void clear() { release(); }

  [[nodiscard]] std::string_view view() const {
    return m_data == nullptr ? std::string_view() : std::string_view(m_data, m_size);
  }
  [[nodiscard]] bool empty() const { return m_size == 0; }
  [[nodiscard]] std::size_t size() const { return m_size; }
  // Constant-time comparison with a candidate of the same length.
  [[nodiscard]] bool equals(std::string_view candidate) const { return equal_in_constant_time(view(), candidate); }

  // Never printable: a log line or a test failure message must not show it.
  friend std::ostream& operator<<(std::ostream&, const BasicSecretString&) = delete;

 private:
  void adopt(std::string_view value) {
    if (value.empty()) return;
    // One spare byte so view().data() is also a C string for C APIs.
    m_data = std::allocator_traits<Allocator>::allocate(m_allocator, value.size() + 1);
    for (std::size_t i = 0; i < value.size(); ++i) m_data[i] = value[i];
    m_data[value.size()] = '\0';
    m_size = value.size();
  }
  void release() {
    if (m_data == nullptr) return;
    wipe_bytes(m_data, m_size + 1);
    std::allocator_traits<Allocator>::deallocate(m_allocator, m_data, m_size + 1);
    m_data = nullptr;
    m_size = 0;
  }

  [[no_unique_address]] Allocator m_allocator{};
  char* m_data = nullptr;
  std::size_t m_size = 0;
};

using SecretString = BasicSecretString<>;

}  // namespace fivenines
