// Ping targets after resolution (issue 4, rule 13). The validator accepts
// a host name or an IP literal; what a name resolves to is only known when
// the ping runs, so the ping collector asks here, and only the global
// unicast addresses that come back are ever pinged: a name that resolves
// to 127.0.0.1, 10.x, 169.254.169.254 (cloud metadata), fd00::/8 (ULA),
// 100.64/10 (CGNAT) and the like is refused (util/ip_address.hpp lists
// every block).
#pragma once

#include <string_view>
#include <vector>

#include "util/ip_address.hpp"
#include "util/result.hpp"

namespace fivenines {

// The global unicast addresses of `resolved`, in order, without repeats.
[[nodiscard]] std::vector<IpAddress> global_unicast_only(const std::vector<IpAddress>& resolved);

// An IP literal is used as it is (no lookup); a host name is resolved with
// getaddrinfo (the system resolver; its own timeout and attempts bound the
// wait, see resolv.conf(5)). Returns the global unicast addresses, at
// least one. Errors: ErrorKind::invalid_config when the host resolves
// only to other addresses (or is a non-global literal), ErrorKind::absent
// when it does not resolve. Messages name the host and the reason.
[[nodiscard]] Result<std::vector<IpAddress>> resolve_ping_target(std::string_view host);

}  // namespace fivenines
