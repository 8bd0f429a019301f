// gzip (RFC 1952) of a request body at zlib's default level, as the API
// expects (wire contract §1.3: Content-Encoding: gzip).
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

// Compresses `data` into one gzip member. Errors: ErrorKind::internal when
// zlib refuses (out of memory); the input is never quoted.
[[nodiscard]] Result<std::string> gzip_compress(std::string_view data);

}  // namespace fivenines
