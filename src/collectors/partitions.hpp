#pragma once

#include <sys/statvfs.h>

#include <functional>
#include <memory>
#include <string>

#include "collectors/collector.hpp"

namespace fivenines {

// statvfs(3) of `path` into `out`: returns 0 on success or the errno value.
// Called on the collector's worker thread, never concurrently with itself
// for the same path; may block (a hung NFS/CIFS server) and, once it has
// been given up on, may still be running after the collector is destroyed,
// so it must own (or share ownership of) everything it touches.
using StatvfsFunction = std::function<int(const std::string& path, struct statvfs* out)>;

// partitions_metadata: [{device, mountpoint, fstype, opts}] of the physical
// partitions in PROC/mounts order; partitions_usage: {mountpoint: {total,
// used, free, percent}} from ::statvfs. Both keys are always added: null
// when PROC/mounts is unreadable; partitions_usage alone null when a
// statvfs fails with anything but EACCES/EPERM/ENOENT.
[[nodiscard]] std::unique_ptr<Collector> make_partitions_collector();

// The same collector with the statvfs call replaced (tests, fixture runs).
[[nodiscard]] std::unique_ptr<Collector> make_partitions_collector(StatvfsFunction statvfs_function);

}  // namespace fivenines
