// libFuzzer target for the .env parser (CONFIG_DIR/.env is outside bytes:
// written by an installer or by hand). Invariants: every accepted key is a
// valid shell variable name; each accepted line or warning accounts for one
// line of input; warnings name a line that exists; the values serialise to
// JSON that reads back; and writing every pair back as KEY="escaped value"
// parses to the same pairs with no warning.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config/dotenv.hpp"
#include "util/json_writer.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool valid_key(std::string_view key) {
  if (key.empty() || (key.front() >= '0' && key.front() <= '9')) return false;
  for (const char c : key) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::size_t count_lines(std::string_view text) {
  if (text.empty()) return 0;
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n';
  return text.back() == '\n' ? lines : lines + 1;
}

// The value as a double-quoted .env value: only \\ \" and \n need escaping.
std::string double_quoted(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += '"';
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const DotenvResult result = parse_dotenv(text);
  const std::size_t lines = count_lines(text);
  check(result.values.size() + result.warnings.size() <= lines);

  for (const std::string& warning : result.warnings) {
    check(warning.compare(0, 5, "line ") == 0);
    const std::size_t colon = warning.find(": ");
    check(colon != std::string::npos && colon > 5);
    const std::size_t number = std::stoul(warning.substr(5, colon - 5));
    check(number >= 1 && number <= lines);
  }

  JsonWriter out;
  out.begin_array();
  for (const auto& [key, value] : result.values) {
    check(valid_key(key));
    out.begin_array();
    out.string(key);
    out.string(value);
    out.end_array();
  }
  out.end_array();
  const auto parsed = nlohmann::json::parse(out.text(), nullptr, false);
  check(!parsed.is_discarded() && parsed.is_array() && parsed.size() == result.values.size());
  for (std::size_t i = 0; i < result.values.size(); ++i) {
    check(parsed[i][0].get<std::string>() == result.values[i].first);
  }

  std::string rewritten;
  for (const auto& [key, value] : result.values) rewritten += key + "=" + double_quoted(value) + "\n";
  const DotenvResult again = parse_dotenv(rewritten);
  check(again.warnings.empty() && again.values == result.values);
  return 0;
}
