// The ApiTransport that talks to the real API: libcurl with OpenSSL, one
// easy handle (one TCP and TLS connection) per attempt (wire contract §1.1:
// no connection reuse), HTTP/1.1, POST, gzip body, headers exactly as §1.3:
//
//   Host: <api host>  (TLS: the name only, even with a custom port; plain: host:port)
//   Accept-Encoding: identity
//   Content-Type: application/json
//   Content-Encoding: gzip
//   Authorization: Bearer <token>
//   Content-Length: <gzip length>
//
// and nothing else (no Accept, no Expect, no User-Agent).
//
// TLS policy, set in code for every connection (an SSL_CTX callback runs
// after OpenSSL has applied openssl.cnf / OPENSSL_CONF, so the system's
// configuration cannot weaken it): TLS 1.2 minimum, OpenSSL security level
// 2 or higher (RSA/DH keys of 2048 bits and up, no SHA-1 signatures), peer
// verification against the CA bundle, and the host checked against the
// certificate's subjectAltName only: a certificate that names the host only
// in its common name is refused (libcurl alone would accept it). There is no
// setting that turns any of this off. Redirects are never followed.
//
// Plain HTTP only for the loopback hosts of ApiEndpoint (`localhost`,
// `127.0.0.1`, `::1`); `localhost` is pinned to 127.0.0.1.
//
// Addresses (§1.1): a literal IP is used as is. A name is resolved with
// c-ares (resolv.conf, never /etc/hosts): the A query first, connecting to
// its first answer; when that fails before any request byte was sent (no A
// record, connect refused, TLS handshake failed), the AAAA query and its
// first answer. Connecting over A may use half of the time left, so that a
// silent IPv4 path leaves time for AAAA. libcurl connects to the chosen address (CURLOPT_RESOLVE)
// while SNI and the certificate check use the host name. One debug line
// names the family and the address used. Unlike the reference, a request
// that was sent is never sent a second time over the other family.
//
// Proxy: HTTPS_PROXY/NO_PROXY as read by proxy_config.hpp. Through a proxy
// the connection is a CONNECT tunnel to `host:port` (the proxy resolves the
// name); TLS runs inside the tunnel end to end with the API and is verified
// as above; the proxy sees the CONNECT line and ciphertext, never the
// Authorization header. Plain-HTTP loopback endpoints never use a proxy.
//
// Bounds: every step ends by the deadline given to post_once; `stopping` is
// looked at every 100 ms (DNS and transfer alike); the answer body is capped
// at k_api_answer_max_bytes (bytes past the cap are never buffered: the
// transfer is aborted, ErrorKind::parse).
//
// Secrets: the token is never logged, never put in an error message, and
// libcurl's verbose mode is never turned on; our copies of the header are
// wiped after each attempt.
//
// Thread-safety: post_once may be called from several threads at once (each
// call has its own handles); the object itself is immutable after create().
#pragma once

#include <memory>
#include <string>

#include "transport/api_endpoint.hpp"
#include "transport/api_transport.hpp"
#include "transport/proxy_config.hpp"
#include "transport/resolver.hpp"

namespace fivenines {

struct HttpsTransportOptions {
  // CA bundle (PEM file) that replaces the system's; empty: libcurl's
  // built-in system bundle and CA directory.
  std::string ca_bundle_path;
  ProxySettings proxy;
  ResolverOptions resolver;  // tests only: DNS servers instead of resolv.conf's
};

// Reads SSL_CERT_FILE (must name a readable regular file when set and
// non-empty), HTTPS_PROXY/https_proxy and NO_PROXY/no_proxy.
// Errors: ErrorKind::invalid_config, one line naming the variable and reason.
[[nodiscard]] Result<HttpsTransportOptions> https_options_from_environment();

// The TLS policy above, applied to `ssl_ctx` (an OpenSSL SSL_CTX*) from
// libcurl's SSL_CTX callback for every connection; public so that a unit
// test can show each setting is made in code. `host`: the API host name the
// certificate must name in a subjectAltName, or an IP address literal when
// `ip_literal`. A minimum version or security level stricter than the
// policy is kept. False when OpenSSL refused a setting (the attempt fails).
[[nodiscard]] bool enforce_tls_policy(void* ssl_ctx, const std::string& host, bool ip_literal);

class HttpsApiTransport final : public ApiTransport {
 public:
  // Initialises libcurl once per process (curl_global_init, which also loads
  // OpenSSL and its configuration) and checks that libcurl uses OpenSSL and
  // is 7.85 or newer; otherwise ErrorKind::internal (the TLS policy could
  // not be enforced, so we refuse to run rather than run weaker).
  [[nodiscard]] static Result<std::unique_ptr<HttpsApiTransport>> create(ApiEndpoint endpoint,
                                                                       HttpsTransportOptions options);

  // See ApiTransport. `path` must start with '/' and hold only visible
  // ASCII; the token only visible ASCII (else ErrorKind::invalid_config).
  [[nodiscard]] Result<ApiAnswer> post_once(std::string_view path, std::string_view json_body, std::string_view token,
                                            std::chrono::steady_clock::time_point deadline,
                                            const std::atomic<bool>& stopping) override;

  [[nodiscard]] const ApiEndpoint& endpoint() const { return m_endpoint; }

 private:
  HttpsApiTransport(ApiEndpoint endpoint, HttpsTransportOptions options);

  struct AttemptResult;
  // One connection and request. `connect_deadline`: when connecting (TCP
  // and TLS handshake) must be done; the whole attempt ends by `deadline`.
  [[nodiscard]] AttemptResult attempt(const std::string& url, const std::string& gzip_body, std::string_view token,
                                      const std::string& connect_address, const ProxyUrl* proxy,
                                      std::chrono::steady_clock::time_point connect_deadline,
                                      std::chrono::steady_clock::time_point deadline,
                                      const std::atomic<bool>& stopping) const;

  ApiEndpoint m_endpoint;
  HttpsTransportOptions m_options;
  Resolver m_resolver;
};

}  // namespace fivenines
