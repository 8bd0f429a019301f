// `machine_id` (wire contract §2.1, §3.1): a stable per-host UUID kept in
// CONFIG_DIR/MACHINE_ID, so that re-enrolling a host does not create a new
// one on the server.
//
// Resolution: a valid UUID in the file is reused verbatim; otherwise (when
// writing is allowed) a random UUIDv4 is generated and written crash-safely
// (temp file, fsync, rename, fsync of the directory), mode 0600. When it
// cannot be persisted the id is null for this run: a per-run random id would
// look like a new machine at every restart.
//
// Call once at start-up. Not for concurrent use on the same directory by
// two agents (the last rename wins; both then reuse it on the next start).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fivenines {

enum class MachineIdMode {
  read_only,          // dry run: reuse a valid id, never write anything
  create_if_missing,  // normal run: generate and persist when there is none
};

enum class MachineIdSource {
  reused,     // read from MACHINE_ID
  generated,  // new, and now persisted
  none,       // null on the wire
};

struct MachineIdOutcome {
  std::optional<std::string> machine_id;
  MachineIdSource source = MachineIdSource::none;
  // For the log: what was found or why there is no id, e.g.
  // "write /etc/fivenines_agent/MACHINE_ID: read-only file system".
  std::string detail;
};

inline constexpr std::string_view k_machine_id_file = "MACHINE_ID";

[[nodiscard]] MachineIdOutcome resolve_machine_id(const std::string& config_dir, MachineIdMode mode);

// The canonical 36-character form, 8-4-4-4-12 hex digits (either case).
// Python's uuid.UUID() also takes braces, "urn:uuid:" and 32 bare digits;
// such a file is rewritten by us instead of being reused.
[[nodiscard]] bool is_canonical_uuid(std::string_view text);

// Lower-case UUIDv4 text of 16 random bytes (version and variant bits set).
[[nodiscard]] std::string format_uuid_v4(std::array<std::uint8_t, 16> bytes);

// 16 bytes from getrandom(2); nullopt if the kernel refuses.
[[nodiscard]] std::optional<std::array<std::uint8_t, 16>> random_bytes_16();

}  // namespace fivenines
