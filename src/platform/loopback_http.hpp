// The HTTP client for local services (nginx and apache status pages, the
// Caddy admin API, PHP-FPM over HTTP, the Proxmox API): one GET to a
// loopback URL that the config validator has already checked (issue 4,
// rules 6 and 7), made so that a hostile config cannot turn it into a way
// to reach anything else:
//   - protocols limited to http and https (libcurl would otherwise speak
//     file://, gopher://, dict:// ... to read files or talk to Redis/SMTP);
//   - redirects are never followed (a 3xx is returned as it is);
//   - no proxy, even when HTTP_PROXY / http_proxy / ALL_PROXY are set;
//   - the connection is pinned to the literal 127.0.0.1 or ::1, so a host
//     name ("localhost") is never looked up in DNS or NSS;
//   - the URL is parsed again here and must name localhost, 127.0.0.1 or
//     [::1] with scheme http or https;
//   - the body is capped (1 MiB by default), headers at 64 KiB, nothing is
//     decompressed;
//   - every step ends by the deadline; TLS is always verified.
//
// Thread-safe: each call uses its own handle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace fivenines {

inline constexpr std::size_t k_loopback_http_max_body_bytes = 1024 * 1024;
inline constexpr std::size_t k_loopback_http_max_header_bytes = 64 * 1024;

struct LoopbackHttpRequest {
  std::string url;             // canonical http(s) URL with a loopback host
  std::string pinned_address;  // "127.0.0.1" or "::1": where the connection goes
  std::chrono::steady_clock::time_point deadline;
  std::size_t max_body_bytes = k_loopback_http_max_body_bytes;
  // Extra request headers, "Name: value" (no CR or LF), e.g. an API token.
  std::vector<std::string> headers;
  // A CA bundle for https instead of the system store (tests, Proxmox's own CA).
  std::optional<std::string> ca_file;
  const std::atomic<bool>* stopping = nullptr;  // aborts the transfer when set
};

struct LoopbackHttpResponse {
  long status = 0;
  std::string body;
  // Response headers of the final response, names lower-cased, in order.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header named `name` (lower-case), if any.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

// Errors: ErrorKind::invalid_config (URL or address not loopback, a header
// with CR/LF), ErrorKind::timeout (the deadline passed or `stopping` was
// set), ErrorKind::parse (body or headers over their cap), ErrorKind::io
// (connection refused, TLS failure, other transfer errors). Any HTTP status
// is a response, not an error.
[[nodiscard]] Result<LoopbackHttpResponse> loopback_http_get(const LoopbackHttpRequest& request);

}  // namespace fivenines
