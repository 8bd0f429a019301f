// One attempt of one POST to the fivenines API. The uploader owns retries,
// waits and the overall time cap; a transport only makes a single request.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace fivenines {

inline constexpr std::size_t k_api_answer_max_bytes = 1024 * 1024;

struct ApiAnswer {
  long http_status = 0;
  std::string body;  // at most k_api_answer_max_bytes
};

class ApiTransport {
 public:
  virtual ~ApiTransport() = default;
  // POSTs `json_body` (the transport gzips it) to `path` ("/collect") with
  // "Authorization: Bearer <token>". Every step (DNS, connect, TLS, send,
  // receive) ends by `deadline` and aborts promptly once `stopping` is set.
  // Errors: ErrorKind::timeout, ::io (DNS, connect, TLS: the message names
  // the reason, never the token), ::parse (answer over the size cap).
  // Any HTTP status is a value here; the caller decides what success is.
  [[nodiscard]] virtual Result<ApiAnswer> post_once(std::string_view path, std::string_view json_body,
                                                    std::string_view token,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    const std::atomic<bool>& stopping) = 0;
};

}  // namespace fivenines
