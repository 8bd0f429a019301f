#pragma once

#include <memory>

#include "collectors/collector.hpp"

namespace fivenines {

// load_average: [1m, 5m, 15m] floats. Never gated, always sent on Linux.
[[nodiscard]] std::unique_ptr<Collector> make_load_average_collector();

}  // namespace fivenines
