#include "config/loopback_target.hpp"

#include <curl/curl.h>

#include <memory>
#include <optional>

#include "util/text.hpp"

namespace fivenines {

namespace {



bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

Error refused(std::string reason) { return make_error(ErrorKind::invalid_config, std::move(reason)); }

constexpr std::string_view k_host_reason = "host is not localhost, 127.0.0.1 or ::1";

// The port text after ':' in an authority: 1..65535, no leading zero.
std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.front() == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

struct CurlUrlDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

// One part of a libcurl-parsed URL; nullopt when libcurl says it is absent.
std::optional<std::string> url_part(CURLU* handle, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(handle, part, &raw, 0) != CURLUE_OK || raw == nullptr) return std::nullopt;
  std::unique_ptr<char, CurlStringDeleter> owned(raw);
  return std::string(raw);
}

// libcurl must read the canonical URL exactly as we did.
Status same_as_libcurl(const LoopbackUrl& url, std::string_view url_host, bool explicit_port) {
  std::unique_ptr<CURLU, CurlUrlDeleter> handle(curl_url());
  if (!handle) return make_error(ErrorKind::internal, "libcurl url handle unavailable");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.url.c_str(), 0) != CURLUE_OK) {
    return refused("libcurl does not parse the URL");
  }
  const auto scheme = url_part(handle.get(), CURLUPART_SCHEME);
  const auto host = url_part(handle.get(), CURLUPART_HOST);
  const auto port = url_part(handle.get(), CURLUPART_PORT);
  const bool extra = url_part(handle.get(), CURLUPART_USER) || url_part(handle.get(), CURLUPART_PASSWORD) ||
                     url_part(handle.get(), CURLUPART_OPTIONS) || url_part(handle.get(), CURLUPART_FRAGMENT) ||
                     url_part(handle.get(), CURLUPART_ZONEID);
  const bool port_matches = explicit_port ? port == std::to_string(url.port) : !port.has_value();
  if (scheme != url.scheme || host != std::string(url_host) || !port_matches || extra) {
    return refused("libcurl reads the URL differently");
  }
  return Ok{};
}

}  // namespace

Result<LoopbackHost> parse_loopback_host(std::string_view text) {
  // Compared as exact bytes after ASCII lower-casing: anything non-ASCII,
  // any other spelling of an address, a trailing dot or a suffix fails.
  const std::string lowered = ascii_lowered(text);
  if (lowered == "localhost") return LoopbackHost{"localhost", "127.0.0.1"};
  if (lowered == "127.0.0.1") return LoopbackHost{"127.0.0.1", "127.0.0.1"};
  if (lowered == "::1") return LoopbackHost{"::1", "::1"};
  return refused(std::string(k_host_reason));
}

Result<LoopbackUrl> parse_loopback_url(std::string_view text) {
  if (text.size() > k_config_url_max_bytes) {
    return refused("longer than " + std::to_string(k_config_url_max_bytes) + " bytes");
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7E) return refused("has a character that is not printable ASCII");
  }
  if (text.find('@') != std::string_view::npos) return refused("has '@' (user-info)");
  if (text.find('\\') != std::string_view::npos) return refused("has '\\'");
  if (text.find('#') != std::string_view::npos) return refused("has '#' (fragment)");

  LoopbackUrl url;
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) return refused("scheme is not http or https");
  url.scheme = ascii_lowered(text.substr(0, separator));
  if (url.scheme != "http" && url.scheme != "https") return refused("scheme is not http or https");
  std::string_view rest = text.substr(separator + 3);

  const auto authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('%') != std::string_view::npos) return refused("has '%' in the host part");

  std::string_view host_text;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return refused(std::string(k_host_reason));
    host_text = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return refused(std::string(k_host_reason));
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    host_text = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  const std::string host_lowered = ascii_lowered(host_text);
  if (host_lowered == "localhost") {
    url.host = LoopbackHost{"localhost", "127.0.0.1"};
  } else if (host_lowered == "127.0.0.1") {
    url.host = LoopbackHost{"127.0.0.1", "127.0.0.1"};
  } else if (host_lowered == "[::1]") {
    url.host = LoopbackHost{"::1", "::1"};
  } else {
    return refused(std::string(k_host_reason));
  }
  if (has_port) {
    const auto port = parse_port(port_text);
    if (!port) return refused("port is not 1..65535 without leading zeros");
    url.port = *port;
  } else {
    url.port = url.scheme == "https" ? 443 : 80;
  }

  if (tail.size() >= 2 && tail[0] == '/' && tail[1] == '/') return refused("path starts with //");
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (tail[i] != '%') continue;
    if (i + 2 >= tail.size() || !is_hex(tail[i + 1]) || !is_hex(tail[i + 2])) {
      return refused("has '%' not followed by two hex digits");
    }
    const char high = tail[i + 1];
    const char low = ascii_lower(tail[i + 2]);
    if (high == '0' && (low == '0' || low == 'a' || low == 'd')) return refused("has an encoded NUL, CR or LF");
  }
  url.target = tail.empty() ? "/" : (tail.front() == '?' ? "/" + std::string(tail) : std::string(tail));

  url.url = url.scheme + "://" + host_lowered;
  if (has_port) url.url += ":" + std::string(port_text);
  url.url += tail;

  if (auto same = same_as_libcurl(url, host_lowered, has_port); !same) return same.error();
  return url;
}

}  // namespace fivenines
