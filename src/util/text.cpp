#include "util/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace fivenines {

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (result.ec != std::errc{} || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_i64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const bool negative = text.front() == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.front() < '0' || digits.front() > '9') return std::nullopt;
  std::int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (result.ec != std::errc{} || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_hex_u64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (result.ec != std::errc{} || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-')) return std::nullopt;
  }
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (result.ec != std::errc{} || result.ptr != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool FieldSplitter::next(std::string_view& field) {
  std::size_t start = 0;
  while (start < m_rest.size() && (m_rest[start] == ' ' || m_rest[start] == '\t')) ++start;
  if (start == m_rest.size()) {
    m_rest = {};
    return false;
  }
  std::size_t end = start;
  while (end < m_rest.size() && m_rest[end] != ' ' && m_rest[end] != '\t') ++end;
  field = m_rest.substr(start, end - start);
  m_rest.remove_prefix(end);
  return true;
}

bool LineSplitter::next(std::string_view& line) {
  if (m_rest.empty()) return false;
  const std::size_t newline = m_rest.find('\n');
  if (newline == std::string_view::npos) {
    line = m_rest;
    m_rest = {};
  } else {
    line = m_rest.substr(0, newline);
    m_rest.remove_prefix(newline + 1);
  }
  return true;
}

std::string ascii_lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string printable_excerpt(std::string_view value, std::size_t max_chars) {
  std::string out;
  out.reserve(std::min(value.size(), max_chars) + 3);
  for (std::size_t i = 0; i < value.size() && i < max_chars; ++i) {
    const auto u = static_cast<unsigned char>(value[i]);
    out += (u >= 0x20 && u < 0x7F) ? value[i] : '?';
  }
  if (value.size() > max_chars) out += "...";
  return out;
}

std::string quoted_excerpt(std::string_view value, std::size_t max_chars) {
  // Appended, not "'" + ... + "'": GCC 12 at -O3 reports a false
  // -Wrestrict overlap in that operator+ form (warnings are errors).
  std::string out = "'";
  out += printable_excerpt(value, max_chars);
  out += '\'';
  return out;
}

}  // namespace fivenines
