#include "config/ping_target.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "config/config_validator.hpp"

namespace fivenines {

namespace {

bool same_address(const IpAddress& a, const IpAddress& b) {
  if (a.index() != b.index()) return false;
  if (const auto* v4 = std::get_if<in_addr>(&a)) return v4->s_addr == std::get<in_addr>(b).s_addr;
  return std::memcmp(&std::get<in6_addr>(a), &std::get<in6_addr>(b), sizeof(in6_addr)) == 0;
}

struct AddrinfoDeleter {
  void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};

}  // namespace

std::vector<IpAddress> global_unicast_only(const std::vector<IpAddress>& resolved) {
  std::vector<IpAddress> kept;
  for (const auto& address : resolved) {
    if (!is_global_unicast(address)) continue;
    if (std::none_of(kept.begin(), kept.end(), [&](const IpAddress& k) { return same_address(k, address); })) {
      kept.push_back(address);
    }
  }
  return kept;
}

Result<std::vector<IpAddress>> resolve_ping_target(std::string_view host) {
  const std::string shown = is_host_name(host) || parse_ip_literal(host) ? std::string(host) : "(invalid host)";
  std::vector<IpAddress> resolved;
  if (const auto literal = parse_ip_literal(host)) {
    resolved.push_back(*literal);
  } else if (!is_host_name(host)) {
    return make_error(ErrorKind::invalid_config, "ping " + shown + ": not a host name or an IP literal");
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_RAW;
    addrinfo* raw = nullptr;
    const std::string name(host);
    const int status = ::getaddrinfo(name.c_str(), nullptr, &hints, &raw);
    std::unique_ptr<addrinfo, AddrinfoDeleter> list(raw);
    if (status != 0) {
      return make_error(ErrorKind::absent, "ping " + shown + ": does not resolve (" + ::gai_strerror(status) + ")");
    }
    for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
      if (entry->ai_family == AF_INET && entry->ai_addrlen >= sizeof(sockaddr_in)) {
        resolved.emplace_back(reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr);
      } else if (entry->ai_family == AF_INET6 && entry->ai_addrlen >= sizeof(sockaddr_in6)) {
        resolved.emplace_back(reinterpret_cast<const sockaddr_in6*>(entry->ai_addr)->sin6_addr);
      }
    }
  }
  auto kept = global_unicast_only(resolved);
  if (kept.empty()) {
    return make_error(ErrorKind::invalid_config, "ping " + shown + ": resolves to no global unicast address");
  }
  return kept;
}

}  // namespace fivenines
