#include "config/json_gate.hpp"

#include <iterator>
#include <new>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "util/text.hpp"

namespace fivenines {

namespace {

// A key as shown in a message: printable ASCII only, at most 64 bytes, so a
// hostile key cannot forge log lines or flood the log.
std::string shown_key(std::string_view key) { return printable_excerpt(key, 64); }

// An input iterator over the text that records the address of the last
// byte the parser read, so SAX callbacks (which get no position) can name
// the byte offset of what they refuse.
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* position, const char** last_read) : m_position(position), m_last_read(last_read) {}
  reference operator*() const {
    *m_last_read = m_position;
    return *m_position;
  }
  TrackingIterator& operator++() {
    ++m_position;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator before = *this;
    ++m_position;
    return before;
  }
  bool operator==(const TrackingIterator& other) const { return m_position == other.m_position; }
  bool operator!=(const TrackingIterator& other) const { return m_position != other.m_position; }

 private:
  const char* m_position;
  const char** m_last_read;
};

// Builds the document while nlohmann's iterative parser reads it, refusing
// depth > 32 and duplicate keys as soon as they are seen.
class GateSax final : public nlohmann::json_sax<ConfigJson> {
 public:
  GateSax(const char* begin, const char** last_read) : m_begin(begin), m_last_read(last_read) {}

  bool null() override { return add(ConfigJson(nullptr)); }
  bool boolean(bool value) override { return add(ConfigJson(value)); }
  bool number_integer(number_integer_t value) override { return add(ConfigJson(value)); }
  bool number_unsigned(number_unsigned_t value) override { return add(ConfigJson(value)); }
  bool number_float(number_float_t value, const string_t&) override { return add(ConfigJson(value)); }
  bool string(string_t& value) override { return add(ConfigJson(value)); }
  bool binary(binary_t&) override { return refuse("config: binary value"); }

  bool start_object(std::size_t) override {
    if (!open(ConfigJson::object())) return false;
    m_keys.emplace_back();
    return true;
  }
  bool key(string_t& value) override {
    if (!m_keys.back().insert(value).second) {
      return refuse("config: duplicate key \"" + shown_key(value) + "\" at byte " + std::to_string(offset()));
    }
    m_pending_key = value;
    return true;
  }
  bool end_object() override {
    m_keys.pop_back();
    m_stack.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return open(ConfigJson::array()); }
  bool end_array() override {
    m_stack.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) override {
    const std::size_t at = position > 0 ? position - 1 : 0;
    m_error =
        make_error(ErrorKind::parse, "config: not valid JSON at byte " + std::to_string(at) + ": " + reason(error));
    return false;
  }

  [[nodiscard]] const std::optional<Error>& error() const { return m_error; }
  [[nodiscard]] ConfigJson take() { return std::move(m_root); }

 private:
  // The message of nlohmann's exception without its prefix and without the
  // "last read" part, which quotes input bytes.
  static std::string reason(const nlohmann::detail::exception& error) {
    if (error.id == 406) return "number overflows a double";
    std::string text = error.what();
    const auto start = text.find("syntax error");
    if (start == std::string::npos) return "invalid JSON";
    text.erase(0, start);
    const auto quoted = text.find("; last read:");
    if (quoted != std::string::npos) text.resize(quoted);
    return text;
  }

  [[nodiscard]] std::size_t offset() const {
    return *m_last_read == nullptr ? 0 : static_cast<std::size_t>(*m_last_read - m_begin);
  }

  bool refuse(std::string message) {
    m_error = make_error(ErrorKind::parse, std::move(message));
    return false;
  }

  // Places `value` in the current container; returns where it now lives.
  ConfigJson* place(ConfigJson&& value) {
    if (m_stack.empty()) {
      m_root = std::move(value);
      return &m_root;
    }
    ConfigJson& parent = *m_stack.back();
    if (parent.is_array()) {
      auto& array = parent.get_ref<ConfigJson::array_t&>();
      array.push_back(std::move(value));
      return &array.back();
    }
    // The key is known to be new in this object (checked in key()), so the
    // pair is appended without ordered_map's linear search.
    auto& object = parent.get_ref<ConfigJson::object_t&>();
    object.ConfigJson::object_t::Container::emplace_back(std::move(m_pending_key), std::move(value));
    return &object.back().second;
  }

  bool add(ConfigJson&& value) {
    place(std::move(value));
    return true;
  }

  bool open(ConfigJson&& container) {
    if (static_cast<int>(m_stack.size()) >= k_config_max_depth) {
      return refuse("config: nested deeper than " + std::to_string(k_config_max_depth) + " at byte " +
                    std::to_string(offset()));
    }
    m_stack.push_back(place(std::move(container)));
    return true;
  }

  const char* m_begin;
  const char** m_last_read;
  ConfigJson m_root;
  // Open containers; a parent does not grow while a child is open, so the
  // pointers stay valid.
  std::vector<ConfigJson*> m_stack;
  std::vector<std::unordered_set<std::string>> m_keys;
  std::string m_pending_key;
  std::optional<Error> m_error;
};

}  // namespace

Result<ConfigJson> gate_json(std::string_view text) {
  if (text.size() > k_config_max_bytes) {
    return make_error(ErrorKind::parse, "config: larger than " + std::to_string(k_config_max_bytes) + " bytes");
  }
  // nlohmann skips a UTF-8 byte order mark; strict JSON (RFC 8259 §8.1)
  // does not allow one.
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
    return make_error(ErrorKind::parse, "config: not valid JSON at byte 0: starts with a byte order mark");
  }
  // nlohmann's lexer takes a NUL byte for the end of the input, so
  // `{...}\0garbage` would pass; no JSON text holds a raw NUL anywhere.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return make_error(ErrorKind::parse, "config: not valid JSON at byte " + std::to_string(nul) + ": NUL byte");
  }
  const char* last_read = nullptr;
  GateSax sax(text.data(), &last_read);
  try {
    const TrackingIterator first(text.data(), &last_read);
    const TrackingIterator last(text.data() + text.size(), &last_read);
    const bool ok = ConfigJson::sax_parse(first, last, &sax, nlohmann::detail::input_format_t::json,
                                          /*strict=*/true, /*ignore_comments=*/false);
    if (!ok) {
      if (sax.error()) return *sax.error();
      return make_error(ErrorKind::parse, "config: not valid JSON");
    }
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::internal, "config: out of memory while parsing");
  } catch (const std::exception&) {
    // Not expected from the SAX parser; its text may quote input bytes.
    return make_error(ErrorKind::parse, "config: not valid JSON");
  }
  return sax.take();
}

Result<const ConfigJson*> select_config_object(const ConfigJson& root, ConfigEnvelope envelope) {
  if (!root.is_object()) return make_error(ErrorKind::parse, "config: not a JSON object");
  const auto it = root.find("config");
  if (it == root.end()) {
    if (envelope == ConfigEnvelope::api_answer) {
      return make_error(ErrorKind::parse, "config: answer has no \"config\" object");
    }
    return &root;
  }
  if (!it->is_object()) return make_error(ErrorKind::parse, "config: \"config\" is not an object");
  return &*it;
}

}  // namespace fivenines
