// Continuous mode's credentials at start (issue 5, threat 3; wire contract
// §2.1, §9): the local-user checks in the order that makes each one
// meaningful, then the token read.
//
//   1. check_config_dir     others able to write CONFIG_DIR could replace
//                           TOKEN whatever its mode, so this comes first;
//   2. check_token_file     TOKEN not a symlink, a regular file, mode 0600
//                           (repaired with a warning when we own it);
//   3. remove_stale_temp_files for TOKEN, TOKEN_STATE and MACHINE_ID (a
//                           temp TOKEN left by a crash holds a token);
//   4. read_token_file      the token, held once, wiped when dropped.
// make_process_non_dumpable() comes before all of this (run_agent), so the
// token is never in a dumpable process.
//
// A missing CONFIG_DIR or TOKEN is reported by step 4, as "token file
// <path>: does not exist" (the reference's "TOKEN missing", exit 2).
#pragma once

#include <string>

#include "identity/token_store.hpp"
#include "util/result.hpp"

namespace fivenines {

// The token, or the one line to log before exiting 2. Warnings (a mode
// repaired) are logged here, at warn.
[[nodiscard]] Result<SharedSecret> load_credentials(const std::string& config_dir);

}  // namespace fivenines
