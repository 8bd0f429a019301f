#include "config/dotenv.hpp"

#include "util/text.hpp"

namespace fivenines {

namespace {

bool is_valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (digit && i > 0))) return false;
  }
  return true;
}

bool has_control_character(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) return true;
  }
  return false;
}

// Parses the value part; returns false with `reason` when malformed.
bool parse_value(std::string_view raw, std::string& value, std::string& reason) {
  raw = trim(raw);
  value.clear();
  if (raw.empty()) return true;
  const char quote = raw.front();
  if (quote == '"' || quote == '\'') {
    std::size_t i = 1;
    bool closed = false;
    for (; i < raw.size(); ++i) {
      const char c = raw[i];
      if (c == quote) {
        closed = true;
        break;
      }
      if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
        const char next = raw[++i];
        switch (next) {
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          case '"': value += '"'; break;
          case '\\': value += '\\'; break;
          default: value += '\\'; value += next;
        }
        continue;
      }
      value += c;
    }
    if (!closed) {
      reason = "unterminated quoted value";
      return false;
    }
    const std::string_view rest = trim(raw.substr(i + 1));
    if (!rest.empty() && rest.front() != '#') {
      reason = "text after the closing quote";
      return false;
    }
    return true;
  }
  // Unquoted: a " #" starts a comment.
  const std::size_t comment = raw.find(" #");
  value = std::string(trim(comment == std::string_view::npos ? raw : raw.substr(0, comment)));
  if (has_control_character(value)) {
    reason = "control character in value";
    return false;
  }
  return true;
}

}  // namespace

DotenvResult parse_dotenv(std::string_view text) {
  DotenvResult result;
  LineSplitter lines(text);
  std::string_view line;
  int line_number = 0;
  while (lines.next(line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    if (content.substr(0, 7) == "export " || content.substr(0, 7) == "export\t") content = trim(content.substr(7));
    const std::size_t equals = content.find('=');
    const std::string where = "line " + std::to_string(line_number) + ": ";
    if (equals == std::string_view::npos) {
      result.warnings.push_back(where + "expected KEY=VALUE");
      continue;
    }
    const std::string_view key = trim(content.substr(0, equals));
    if (!is_valid_key(key)) {
      result.warnings.push_back(where + "invalid variable name");
      continue;
    }
    std::string value;
    std::string reason;
    if (!parse_value(content.substr(equals + 1), value, reason)) {
      result.warnings.push_back(where + reason);
      continue;
    }
    result.values.emplace_back(std::string(key), std::move(value));
  }
  return result;
}

}  // namespace fivenines
