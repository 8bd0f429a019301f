// `fivenines-agent config check [FILE|-]`: runs a config (the API answer's
// `config` object, or a whole answer with a "config" key) through the
// response gate and the validator and shows the result:
//   stdout  the validated config as JSON, keys in the input's order; a
//           disabled section is null, secrets are "<redacted>";
//   stderr  one line per altered or dropped item;
//   exit 0  the input passed the gate (whatever the validator dropped);
//   exit 2  the gate refused it (the reason, with the byte offset for a
//           parse error), the file could not be read, or bad arguments.
// Reads stdin when FILE is "-" or absent (at most 1 MiB + 1 byte, waiting
// at most 60 s).
#pragma once

#include <span>

namespace fivenines {

// `args` are the words after "config" ("check", then the optional FILE).
[[nodiscard]] int run_config_command(std::span<const char* const> args);

}  // namespace fivenines
