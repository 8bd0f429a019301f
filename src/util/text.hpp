// Small helpers for reading kernel text formats and other outside text.
// Every parser of outside text uses these instead of sscanf/stoul, which
// accept signs, spaces and overflow silently.
#pragma once

#include <cstdint>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fivenines {

// Parses a whole string_view as an unsigned decimal; nullopt on empty
// input, any non-digit, or overflow.
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view text);
// Signed decimal with an optional leading '-'.
[[nodiscard]] std::optional<std::int64_t> parse_i64(std::string_view text);
// Unsigned hexadecimal digits only (no 0x).
[[nodiscard]] std::optional<std::uint64_t> parse_hex_u64(std::string_view text);
// A decimal number with an optional fraction ("0.26", "12").
[[nodiscard]] std::optional<double> parse_decimal(std::string_view text);

[[nodiscard]] std::string_view trim(std::string_view text);

// ASCII-only case folding: host names, schemes and keywords are compared
// this way, never through the locale (which would map non-ASCII letters).
[[nodiscard]] constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
[[nodiscard]] std::string ascii_lowered(std::string_view text);
[[nodiscard]] bool equals_ignoring_ascii_case(std::string_view a, std::string_view b);

// An outside value for a one-line message: printable ASCII only (anything
// else becomes '?', so it cannot forge log lines), at most `max_chars`
// characters then "...". Never for a secret.
[[nodiscard]] std::string printable_excerpt(std::string_view value, std::size_t max_chars);
// The same in single quotes.
[[nodiscard]] std::string quoted_excerpt(std::string_view value, std::size_t max_chars = 32);

// Splits on runs of spaces and tabs. Call next() until it returns false.
class FieldSplitter {
 public:
  explicit FieldSplitter(std::string_view text) : m_rest(text) {}
  bool next(std::string_view& field);

 private:
  std::string_view m_rest;
};

// Iterates over the lines of a text (the last one may lack '\n').
class LineSplitter {
 public:
  explicit LineSplitter(std::string_view text) : m_rest(text) {}
  bool next(std::string_view& line);

 private:
  std::string_view m_rest;
};

}  // namespace fivenines
