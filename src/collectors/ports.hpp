#pragma once

#include <memory>

#include "collectors/collector.hpp"

namespace fivenines {

// Where the `ports` collector reads sockets from.
enum class PortsSource {
  // Netlink sock_diag on the live host, falling back to PROC/net/* per
  // socket table when netlink is refused; PROC/net/* under a fixture root.
  automatic,
  // Netlink only, no fallback (the key fails if netlink is refused). Reads
  // the running kernel whatever the proc root: a test hook.
  netlink,
  // PROC/net/{tcp,tcp6,udp,udp6} only, even on the live host: a test hook.
  proc_files,
};

// ports: [[port, proto, address], ...] of TCP listeners and UDP sockets
// outside the ephemeral port range (wire contract §5.10). Gate: `ports`.
[[nodiscard]] std::unique_ptr<Collector> make_ports_collector();
[[nodiscard]] std::unique_ptr<Collector> make_ports_collector(PortsSource source);

}  // namespace fivenines
