// Where the agent sends its payloads: API_URL parsed (wire contract §1.1).
//
// API_URL is `host` or `host:port`: no scheme, no path, no user info. The
// host is a DNS name, a dotted-quad IPv4 address, or an IPv6 address in
// brackets (`[2001:db8::1]:8443`). The port is a decimal integer 1-65535
// without leading zeros.
//
// Plain HTTP only when the host is exactly `localhost` (any ASCII case),
// `127.0.0.1` or `::1`. The reference tests a prefix, so
// `localhost.example.com` would go out in clear text; here every other host
// uses TLS. Default ports: 80 for plain HTTP, 443 for TLS.
//
// Pure: no I/O, no allocation beyond the result. Fuzzed (fuzz/transport_fuzz.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

inline constexpr std::size_t k_api_url_max_bytes = 300;

enum class ApiScheme { http, https };

enum class HostKind {
  name,  // a DNS name, resolved with c-ares (except `localhost`)
  ipv4,  // a literal: no DNS
  ipv6,  // a literal: no DNS
};

struct ApiEndpoint {
  std::string host;  // lower-case; an IPv6 literal without its brackets
  std::uint16_t port = 443;
  ApiScheme scheme = ApiScheme::https;
  HostKind host_kind = HostKind::name;

  // `localhost`: pinned to 127.0.0.1, never looked up.
  [[nodiscard]] bool is_localhost() const { return host_kind == HostKind::name && host == "localhost"; }
  // The host as it appears in a URL: IPv6 literals in brackets.
  [[nodiscard]] std::string url_host() const;
  // `scheme://url_host:port` followed by `path` (which starts with '/').
  [[nodiscard]] std::string url(std::string_view path) const;
  // `url_host:port`, for log lines.
  [[nodiscard]] std::string authority() const;
};

// Parses API_URL. Errors: ErrorKind::invalid_config with a one-line reason
// that quotes the value ("api_url \"x:0\": port must be 1-65535").
[[nodiscard]] Result<ApiEndpoint> parse_api_endpoint(std::string_view api_url);

// Strict literal parsers, shared with the NO_PROXY rules and the resolver.
// Dotted-quad with four decimal parts 0-255 and no leading zeros.
[[nodiscard]] bool is_ipv4_literal(std::string_view text);
// An IPv6 address without brackets and without a zone id ("fe80::1%eth0").
[[nodiscard]] bool is_ipv6_literal(std::string_view text);
// Empty when `host` is a DNS name (letters, digits, '-' inside labels, dots
// between labels, no trailing dot, last label not all digits), else the reason.
[[nodiscard]] std::string_view host_name_problem(std::string_view host);

}  // namespace fivenines
