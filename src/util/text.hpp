// Small, allocation-free helpers for reading kernel text formats.
// Every parser of outside text uses these instead of sscanf/stoul, which
// accept signs, spaces and overflow silently.
#pragma once

#include <cstdint>
#include <optional>
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
