#pragma once

#include <memory>

#include "collectors/collector.hpp"

namespace fivenines {

// network: [{"<if>": {bytes_sent, bytes_recv, packets_sent, packets_recv,
// errin, errout, dropin, dropout, interface_type, network_link_speed_bps
// [, bridge_member_count | bridge]}}, ...] in /proc/net/dev order, for the
// interfaces that are up and running, not loopback, and have an address.
[[nodiscard]] std::unique_ptr<Collector> make_network_collector();

}  // namespace fivenines
