#include "transport/api_endpoint.hpp"

#include <arpa/inet.h>

#include <array>

#include "util/text.hpp"

namespace fivenines {
namespace {

constexpr std::size_t k_host_name_max_bytes = 253;
constexpr std::size_t k_label_max_bytes = 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Error refuse(std::string_view api_url, std::string_view reason) {
  // The value is quoted only when it is printable, so a log line stays one line.
  std::string shown;
  for (char c : api_url.substr(0, 80)) {
    const auto byte = static_cast<unsigned char>(c);
    shown += (byte < 0x20 || byte > 0x7e) ? '?' : c;
  }
  return make_error(ErrorKind::invalid_config, "api_url \"" + shown + "\": " + std::string(reason));
}

// A decimal port 1-65535 without sign or leading zero.
bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5 || text[0] == '0') return false;
  std::uint32_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value < 1 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

std::string_view host_name_problem(std::string_view host) {
  if (host.empty()) return "empty host";
  if (host.size() > k_host_name_max_bytes) return "host name longer than 253 bytes";
  if (host.back() == '.') return "host name ends with a dot";
  std::size_t label_start = 0;
  bool last_label_all_digits = true;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      const std::string_view label = host.substr(label_start, i - label_start);
      if (label.empty()) return "empty label in host name";
      if (label.size() > k_label_max_bytes) return "host name label longer than 63 bytes";
      if (label.front() == '-' || label.back() == '-') return "host name label starts or ends with '-'";
      last_label_all_digits = true;
      for (char c : label) last_label_all_digits = last_label_all_digits && is_digit(c);
      label_start = i + 1;
      continue;
    }
    const char c = host[i];
    if (!is_alnum(c) && c != '-') return "host holds a character not allowed in a host name";
  }
  // "127.1" or "1.2.3.4.5" would be read as an address by some resolvers:
  // a name's last label is never all digits (RFC 3696 §2).
  if (last_label_all_digits) return "not a valid ipv4 address";
  return {};
}

bool is_ipv4_literal(std::string_view text) {
  int parts = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.') {
      if (!is_digit(text[i])) return false;
      continue;
    }
    const std::string_view part = text.substr(start, i - start);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
    int value = 0;
    for (char c : part) value = value * 10 + (c - '0');
    if (value > 255) return false;
    ++parts;
    start = i + 1;
  }
  return parts == 4;
}

bool is_ipv6_literal(std::string_view text) {
  // inet_pton wants a NUL-terminated string; the longest textual form is 45.
  if (text.empty() || text.size() > 45) return false;
  std::array<char, 46> buffer{};
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!(is_digit(c) || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f') || c == ':' || c == '.')) return false;
    buffer[i] = c;
  }
  std::array<unsigned char, 16> address{};
  return ::inet_pton(AF_INET6, buffer.data(), address.data()) == 1;
}

std::string ApiEndpoint::url_host() const { return host_kind == HostKind::ipv6 ? "[" + host + "]" : host; }

std::string ApiEndpoint::authority() const { return url_host() + ":" + std::to_string(port); }

std::string ApiEndpoint::url(std::string_view path) const {
  return std::string(scheme == ApiScheme::https ? "https://" : "http://") + authority() + std::string(path);
}

Result<ApiEndpoint> parse_api_endpoint(std::string_view api_url) {
  if (api_url.empty()) return refuse(api_url, "empty");
  if (api_url.size() > k_api_url_max_bytes) return refuse(api_url, "longer than 300 bytes");
  if (api_url.find("://") != std::string_view::npos) return refuse(api_url, "must be host[:port] without a scheme");
  if (api_url.find('/') != std::string_view::npos) return refuse(api_url, "must be host[:port] without a path");
  if (api_url.find('@') != std::string_view::npos) return refuse(api_url, "must be host[:port] without user info");

  ApiEndpoint endpoint;
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (api_url.front() == '[') {
    const std::size_t close = api_url.find(']');
    if (close == std::string_view::npos) return refuse(api_url, "'[' without a closing ']'");
    host = api_url.substr(1, close - 1);
    const std::string_view rest = api_url.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return refuse(api_url, "text after ']' must be :port");
      has_port = true;
      port_text = rest.substr(1);
    }
    if (!is_ipv6_literal(host)) return refuse(api_url, "not a valid ipv6 address in brackets");
    endpoint.host_kind = HostKind::ipv6;
  } else {
    const std::size_t colon = api_url.find(':');
    if (colon != std::string_view::npos && api_url.find(':', colon + 1) != std::string_view::npos) {
      return refuse(api_url, "an ipv6 address must be in brackets, as [::1]:8443");
    }
    host = api_url.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = api_url.substr(colon + 1);
    }
    if (is_ipv4_literal(host)) {
      endpoint.host_kind = HostKind::ipv4;
    } else if (const std::string_view problem = host_name_problem(host); !problem.empty()) {
      return refuse(api_url, problem);
    }
  }

  endpoint.host.reserve(host.size());
  for (char c : host) endpoint.host += ascii_lower(c);
  if (endpoint.host_kind == HostKind::ipv6) {
    // One canonical text per address, so "::1" and "0:0::1" are the same host.
    std::array<unsigned char, 16> address{};
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (::inet_pton(AF_INET6, endpoint.host.c_str(), address.data()) != 1 ||
        ::inet_ntop(AF_INET6, address.data(), text.data(), text.size()) == nullptr) {
      return refuse(api_url, "not a valid ipv6 address in brackets");
    }
    endpoint.host = text.data();
  }

  const bool plain = endpoint.host == "localhost" || endpoint.host == "127.0.0.1" || endpoint.host == "::1";
  endpoint.scheme = plain ? ApiScheme::http : ApiScheme::https;
  endpoint.port = plain ? 80 : 443;
  if (has_port && !parse_port(port_text, endpoint.port)) {
    return refuse(api_url, "port must be an integer 1-65535 without leading zeros");
  }
  return endpoint;
}

}  // namespace fivenines
