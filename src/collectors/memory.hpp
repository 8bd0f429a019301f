#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "collectors/collector.hpp"
#include "procfs/memory.hpp"

namespace fivenines {

// memory, swap: psutil.virtual_memory() and psutil.swap_memory() as objects
// (wire contract §5.2, key order §10). Gate: `memory`. Both keys null when
// PROC/meminfo is unreadable or has no MemTotal.
[[nodiscard]] std::unique_ptr<Collector> make_memory_collector();

// The same with a fixed page size instead of sysconf(_SC_PAGESIZE): the page
// size only scales /proc/zoneinfo watermarks, and a fixture tree records the
// page size of the host it came from, not of the host running the tests.
[[nodiscard]] std::unique_ptr<Collector> make_memory_collector_with_page_size(std::uint64_t page_size_bytes);

// The payload values as JSON text, keys in psutil's field order.
[[nodiscard]] std::string memory_json(const VirtualMemory& memory);
[[nodiscard]] std::string swap_json(const SwapMemory& swap);

}  // namespace fivenines
