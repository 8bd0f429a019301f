// libFuzzer target for the transport's parsers of outside text: API_URL
// (parse_api_endpoint), HTTPS_PROXY (parse_proxy_url) and NO_PROXY
// (parse_no_proxy + no_proxy_matches). The input is used whole for the
// first two; for NO_PROXY its first line is the rule list and the rest the
// host to match. Checks: an accepted endpoint round-trips through its own
// authority() with the same host, port and scheme, and is plain HTTP only
// for the three loopback hosts; an accepted proxy round-trips through url();
// a "*" rule matches every host; matching is deterministic.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/api_endpoint.hpp"
#include "transport/proxy_config.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto endpoint = parse_api_endpoint(text)) {
    check(!endpoint->host.empty());
    check(endpoint->port >= 1);
    const bool loopback = endpoint->host == "localhost" || endpoint->host == "127.0.0.1" || endpoint->host == "::1";
    check((endpoint->scheme == ApiScheme::http) == loopback);
    auto again = parse_api_endpoint(endpoint->authority());
    check(again.has_value());
    check(again->host == endpoint->host && again->port == endpoint->port && again->scheme == endpoint->scheme &&
          again->host_kind == endpoint->host_kind);
  } else {
    check(endpoint.error().kind == ErrorKind::invalid_config);
    check(endpoint.error().message.find('\n') == std::string::npos);
  }

  if (auto proxy = parse_proxy_url(text)) {
    auto again = parse_proxy_url(proxy->url());
    check(again.has_value());
    check(again->host == proxy->host && again->port == proxy->port && again->username.empty());
  }

  const std::size_t newline = text.find('\n');
  const std::string_view rules_text = text.substr(0, newline);
  const std::string_view host = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  const NoProxyRules rules = parse_no_proxy(rules_text);
  const bool first = no_proxy_matches(rules, host);
  check(first == no_proxy_matches(rules, host));
  NoProxyRules with_star = rules;
  with_star.rules.push_back(NoProxyRule{});  // Kind::any
  check(no_proxy_matches(with_star, host));
  return 0;
}
