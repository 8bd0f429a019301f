// Errors as values: every fallible function returns Result<T>.
// Collectors never throw into the loop; they return one of these instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace fivenines {

enum class ErrorKind {
  absent,          // the thing is not on this host (ENOENT, no such interface)
  permission,      // EACCES / EPERM
  parse,           // malformed outside input
  timeout,         // a deadline passed
  io,              // any other system error
  invalid_config,  // a setting or config value was refused
  internal,        // a bug: an invariant did not hold
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;  // lower-case, names the path or thing and the reason
};

// Minimal expected<T, Error>: g++ 12 and clang 14 disagree on <expected>.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const { return m_state.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(m_state); }
  const T& value() const& { return std::get<0>(m_state); }
  T&& value() && { return std::get<0>(std::move(m_state)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Error& error() const { return std::get<1>(m_state); }

 private:
  std::variant<T, Error> m_state;
};

// Result of an operation that yields nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

}  // namespace fivenines
