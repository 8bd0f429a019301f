// DNS for the API host with c-ares (wire contract §1.1): queries go to the
// name servers of resolv.conf, which c-ares reads itself; NSS and /etc/hosts
// are never consulted (lookups "b" = DNS only), and no search domain is
// appended (the name is queried as given).
//
// Each lookup is bounded by its deadline and returns promptly once
// `stopping` is set: the channel's sockets are polled in slices of at most
// 100 ms, and the channel is destroyed (cancelling the query) on the way out.
//
// Thread-safety: a Resolver holds no channel between calls; lookup() may be
// called from several threads at once (each call has its own channel).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace fivenines {

enum class AddressFamily { ipv4, ipv6 };

[[nodiscard]] std::string_view family_name(AddressFamily family);  // "A" / "AAAA"

struct ResolverOptions {
  // Name servers as "ip[:port],ip[:port]" (ares_set_servers_ports_csv), used
  // instead of resolv.conf's. Only tests set this (a DNS server on a loopback
  // port); the agent leaves it empty.
  std::string servers;
};

class Resolver {
 public:
  explicit Resolver(ResolverOptions options = {});

  // Queries `host` for one record type (A for ipv4, AAAA for ipv6) and
  // returns the addresses in answer order, as text ("192.0.2.1", "2001:db8::1").
  // An answer without records of that type is ErrorKind::absent; a timeout
  // (deadline passed) is ErrorKind::timeout; a server failure, a refused
  // query or an abort on `stopping` is ErrorKind::io. Messages name the host
  // and the reason.
  [[nodiscard]] Result<std::vector<std::string>> lookup(std::string_view host, AddressFamily family,
                                                        std::chrono::steady_clock::time_point deadline,
                                                        const std::atomic<bool>& stopping) const;

 private:
  ResolverOptions m_options;
};

}  // namespace fivenines
