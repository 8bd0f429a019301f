#pragma once

#include <memory>

#include "collectors/collector.hpp"

namespace fivenines {

// file_handles_used, file_handles_limit: fields 1 and 3 of
// PROC/sys/fs/file-nr. Never gated, always sent on Linux.
[[nodiscard]] std::unique_ptr<Collector> make_file_handles_collector();

}  // namespace fivenines
