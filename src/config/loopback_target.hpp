// Loopback hosts and URLs (issue 4, rules 6 and 7): the only places a
// config from the API may point the agent's HTTP, PostgreSQL and Proxmox
// clients at.
//
// A loopback host is exactly `localhost` (ASCII case-insensitive, stored
// lower-case), `127.0.0.1` or `::1`, nothing else: no other 127/8 address,
// no 0.0.0.0, numeric or short IPv4 forms, IPv4-mapped or long IPv6 forms,
// zone ids, trailing dots, subdomains of localhost, and no non-ASCII
// (libcurl maps full-width digits and zero-width characters to loopback).
// Every connection is pinned to the literal 127.0.0.1 or ::1.
#pragma once

#include <string>
#include <string_view>

#include "config/remote_config.hpp"
#include "util/result.hpp"

namespace fivenines {

inline constexpr std::size_t k_config_url_max_bytes = 2048;

// A bare host (postgresql.host, proxmox.host, mysql.host). Brackets are not
// part of a bare host: "[::1]" is refused here. Errors (invalid_config)
// carry the reason only, never the value.
[[nodiscard]] Result<LoopbackHost> parse_loopback_host(std::string_view text);

// An http(s) URL whose host is loopback (nginx, apache, caddy, php_fpm):
//   scheme "://" host [":" port] [path-or-query]
// scheme http or https (any case); host localhost, 127.0.0.1 or [::1];
// port 1..65535 without leading zeros; then nothing, "/..." (not "//") or
// "?..."; ASCII graphic characters only (0x21..0x7E); no '@', '\', '#';
// every '%' followed by two hex digits, none of %00, %0A, %0D, and no '%'
// in the authority; at most 2048 bytes. The canonical string (lower-case
// scheme and host) is then parsed again with libcurl's URL API, which must
// report the same scheme, host and port and no user, password, options,
// fragment or zone id, so the check and the fetch cannot disagree.
[[nodiscard]] Result<LoopbackUrl> parse_loopback_url(std::string_view text);

}  // namespace fivenines
