#include "util/json_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "util/python_float.hpp"

namespace fivenines {

namespace {

constexpr char k_hex[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  out += k_hex[(unit >> 12) & 0xF];
  out += k_hex[(unit >> 8) & 0xF];
  out += k_hex[(unit >> 4) & 0xF];
  out += k_hex[unit & 0xF];
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i.
// An invalid or truncated sequence yields U+FFFD and consumes one byte.
std::uint32_t decode_utf8(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  int length = 0;
  std::uint32_t cp = 0;
  std::uint32_t min_cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F, min_cp = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F, min_cp = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07, min_cp = 0x10000;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + static_cast<std::size_t>(length) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k < length; ++k) {
    const unsigned char c = byte(i + static_cast<std::size_t>(k));
    if ((c & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += static_cast<std::size_t>(length);
  return cp;
}

}  // namespace

void append_json_string(std::string& out, std::string_view utf8) {
  out += '"';
  // Fast path: most keys and values are plain printable ASCII.
  const bool plain = std::all_of(utf8.begin(), utf8.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u >= 0x20 && u < 0x7F && ch != '"' && ch != '\\';
  });
  if (plain) {
    out += utf8;
    out += '"';
    return;
  }
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          // ensure_ascii escapes everything outside ' '..'~', DEL included.
          if (c < 0x20 || c == 0x7F) {
            append_u_escape(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::uint32_t cp = decode_utf8(utf8, i);
    if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      append_u_escape(out, 0xD800 + (v >> 10));
      append_u_escape(out, 0xDC00 + (v & 0x3FF));
    } else {
      append_u_escape(out, cp);
    }
  }
  out += '"';
}

void JsonWriter::before_value() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (m_depth > 0) {
    if (m_has_element[m_depth]) m_out += ", ";
    m_has_element[m_depth] = true;
  }
}

void JsonWriter::open(char bracket) {
  before_value();
  m_out += bracket;
  // Deeper nesting than any payload has is a programming error; keep writing
  // valid text but stop tracking commas past the bound rather than overflow.
  if (m_depth < k_max_depth) ++m_depth;
  m_has_element[m_depth] = false;
}

void JsonWriter::close(char bracket) {
  m_out += bracket;
  if (m_depth > 0) --m_depth;
}

void JsonWriter::key(std::string_view name) {
  if (m_has_element[m_depth]) m_out += ", ";
  m_has_element[m_depth] = true;
  append_json_string(m_out, name);
  m_out += ": ";
  m_after_key = true;
}

void JsonWriter::string(std::string_view utf8) {
  before_value();
  append_json_string(m_out, utf8);
}

void JsonWriter::integer(std::int64_t value) {
  before_value();
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  m_out.append(buffer, result.ptr);
}

void JsonWriter::unsigned_integer(std::uint64_t value) {
  before_value();
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  m_out.append(buffer, result.ptr);
}

void JsonWriter::number(double value) {
  before_value();
  if (!std::isfinite(value)) {
    m_out += "null";
    return;
  }
  append_python_float(m_out, value);
}

void JsonWriter::boolean(bool value) {
  before_value();
  m_out += value ? "true" : "false";
}

void JsonWriter::null() {
  before_value();
  m_out += "null";
}

void JsonWriter::raw(std::string_view json) {
  before_value();
  m_out += json;
}

}  // namespace fivenines
