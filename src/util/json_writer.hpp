// A streaming JSON writer producing exactly the text of Python's
// json.dumps() with default settings: ", " and ": " separators, non-ASCII as
// \uXXXX escapes, floats as repr(). Payloads are written straight to text,
// with no document tree in between, to keep a collection cheap.
//
// Not thread-safe; one writer per value being built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fivenines {

class JsonWriter {
 public:
  static constexpr int k_max_depth = 64;

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // Writes an object key; the next call writes its value.
  void key(std::string_view name);

  void string(std::string_view utf8);
  void integer(std::int64_t value);
  void unsigned_integer(std::uint64_t value);
  // A Python float. Non-finite values have no JSON form and become null.
  void number(double value);
  void boolean(bool value);
  void null();
  // A value that is already serialised JSON text.
  void raw(std::string_view json);

  [[nodiscard]] const std::string& text() const { return m_out; }
  [[nodiscard]] std::string take() { return std::move(m_out); }
  void reserve(std::size_t bytes) { m_out.reserve(bytes); }

 private:
  void before_value();
  void open(char bracket);
  void close(char bracket);

  std::string m_out;
  // Whether the container at each depth already holds an element.
  bool m_has_element[k_max_depth + 1] = {};
  int m_depth = 0;
  bool m_after_key = false;
};

// Appends `utf8` as a JSON string literal (quotes included) the way Python
// writes it with ensure_ascii: invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view utf8);

}  // namespace fivenines
