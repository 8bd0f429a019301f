// The real transport: HTTPS (or plain HTTP for a loopback API_URL) through
// libcurl, configured from API_URL and the environment.
#include "agent/transport_factory.hpp"

#include "transport/https_transport.hpp"
#include "util/log.hpp"

namespace fivenines {

std::unique_ptr<ApiTransport> make_transport(const Settings& settings) {
  auto endpoint = parse_api_endpoint(settings.api_url);
  if (!endpoint) {
    log_error(endpoint.error().message);
    return nullptr;
  }
  auto options = https_options_from_environment();
  if (!options) {
    log_error(options.error().message);
    return nullptr;
  }
  auto transport = HttpsApiTransport::create(std::move(*endpoint), std::move(*options));
  if (!transport) {
    log_error(transport.error().message);
    return nullptr;
  }
  return std::move(*transport);
}

}  // namespace fivenines
