// HTTPS_PROXY / NO_PROXY, read by our code instead of libcurl's so that the
// rules are ours, tested, and applied explicitly (libcurl is always told the
// proxy to use, or "" for none, and never reads the environment itself).
//
// HTTPS_PROXY (or https_proxy; the lower-case name wins when both are set
// and non-empty, as in libcurl and Python): `http://[user[:password]@]host[:port][/]`
// or `host[:port]`. The default port is 1080 (libcurl's). Only plain-HTTP
// proxies: the API connection goes through a CONNECT tunnel, so TLS stays
// end to end with the API and is verified as without a proxy.
//
// NO_PROXY (or no_proxy, same precedence): entries separated by commas or
// white space, each matched ASCII case-insensitively against the API host:
//   `*`                      every host
//   `example.com`, `.example.com`  that name and every name under it
//   `10.1.2.3`, `::1`, `[::1]`     exactly that address (API_URL a literal)
//   `10.0.0.0/8`, `fd00::/8`       an address inside that network
// A `:port` after a name or IPv4 address is ignored (it matches every port).
// An IP rule never matches a name and a name rule never matches an
// address: no DNS lookup is made to decide.
//
// Pure functions; fuzzed with the API_URL parser (fuzz/transport_fuzz.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace fivenines {

inline constexpr std::size_t k_proxy_env_max_bytes = 4096;

struct ProxyUrl {
  std::string host;  // lower-case; an IPv6 literal without brackets
  std::uint16_t port = 1080;
  std::string username;  // percent-decoded; empty when none
  std::string password;  // percent-decoded; a secret: never log it
  bool ipv6 = false;

  // `http://host:port` (no credentials), what libcurl is given and what logs show.
  [[nodiscard]] std::string url() const;
};

// Parses an HTTPS_PROXY value. Errors: ErrorKind::invalid_config, one line,
// naming the reason but never the credentials.
[[nodiscard]] Result<ProxyUrl> parse_proxy_url(std::string_view text);

struct NoProxyRule {
  enum class Kind { any, domain, ipv4_network, ipv6_network };
  Kind kind = Kind::any;
  std::string domain;                // Kind::domain: lower-case, no leading dot
  std::array<unsigned char, 16> address{};  // network address, 4 or 16 bytes used
  int prefix_bits = 0;
};

struct NoProxyRules {
  std::vector<NoProxyRule> rules;
};

// Parses a NO_PROXY value; entries that are neither a name nor an address
// are skipped (each reported through `on_skipped`, when given).
[[nodiscard]] NoProxyRules parse_no_proxy(std::string_view text,
                                          const std::function<void(std::string_view entry)>& on_skipped = {});

// True when `host` (a name, or an IPv4/IPv6 literal without brackets) must
// be reached directly.
[[nodiscard]] bool no_proxy_matches(const NoProxyRules& rules, std::string_view host);

struct ProxySettings {
  std::optional<ProxyUrl> https_proxy;  // none: connect directly
  NoProxyRules no_proxy;
};

// Picks the value of a variable that has a lower- and an upper-case name.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// Reads HTTPS_PROXY/https_proxy and NO_PROXY/no_proxy through `lookup`
// (tests pass a map; the agent passes getenv). Values longer than 4 KiB are
// refused. Errors: ErrorKind::invalid_config (a proxy URL we cannot use).
[[nodiscard]] Result<ProxySettings> proxy_settings_from(const EnvLookup& lookup);

// The proxy to use for `host`, or nullptr to connect directly.
[[nodiscard]] const ProxyUrl* proxy_for_host(const ProxySettings& settings, std::string_view host);

}  // namespace fivenines
