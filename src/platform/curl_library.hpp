// libcurl, loaded on first use instead of at start-up.
//
// Why: Debian's libcurl4 brings about 30 shared libraries with it (GnuTLS
// through librtmp, Kerberos, LDAP, libidn2, ...), and merely loading them
// costs about 5 MiB of RSS and several milliseconds of relocation and
// constructor work in every process, also in a dry run or `config check`
// that never opens a connection. So the agent does not link libcurl: this
// file defines the libcurl functions the agent calls (with curl.h's own
// prototypes, so the compiler checks them), and the first call dlopen()s
// Debian's libcurl.so.4 and forwards to it from then on.
//
// When the library cannot be loaded, every function fails the way libcurl
// itself reports failure (a null handle, CURLE_FAILED_INIT,
// CURLUE_OUT_OF_MEMORY, ...), so callers need no second error path; the
// reason is in curl_library_problem() and is logged once.
#pragma once

#include <optional>
#include <string>

namespace fivenines {

// nullopt when libcurl is loaded (loading it now if it was not yet), else
// one line naming the library and why it could not be loaded.
[[nodiscard]] std::optional<std::string> curl_library_problem();

// Whether this process has loaded libcurl yet (for tests: a dry run must not).
[[nodiscard]] bool curl_library_loaded();

}  // namespace fivenines
