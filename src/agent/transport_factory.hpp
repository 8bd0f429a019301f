// Where continuous mode gets its ApiTransport. Declared here, defined by
// the transport wiring (src/agent/transport_factory.cpp), so the loop does
// not depend on how HTTPS is done; tests hand the Agent their own transport.
#pragma once

#include <memory>

#include "config/settings.hpp"
#include "transport/api_transport.hpp"

namespace fivenines {

// The transport for settings.api_url. Returns nullptr when it cannot be
// built (an unusable API_URL, TLS set-up failure), after logging one line
// with the reason; the agent then exits 2. The result must allow
// concurrent post_once() calls (the uploader thread and the loop's
// get_config may post at the same time).
[[nodiscard]] std::unique_ptr<ApiTransport> make_transport(const Settings& settings);

}  // namespace fivenines
