#include "transport/https_transport.hpp"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "transport/gzip.hpp"
#include "util/log.hpp"

namespace fivenines {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr milliseconds k_poll_slice{100};  // how often `stopping` and the deadline are looked at
constexpr long k_min_tls_security_level = 2;
constexpr const char* k_tls12_cipher_list = "ECDHE+AESGCM:ECDHE+CHACHA20";
constexpr unsigned k_min_curl_version = 0x075500;  // 7.85.0: CURLOPT_PROTOCOLS_STR

// Log style is lower-case; a library's "Failed to connect" becomes "failed to
// connect", but an acronym or a name ("SSL ...", "OpenSSL/3.0") stays as is.
std::string lower_first(std::string text) {
  std::size_t end = 0;
  while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end])) != 0) ++end;
  bool rest_lower = end > 1;
  for (std::size_t i = 1; i < end; ++i) rest_lower = rest_lower && std::islower(static_cast<unsigned char>(text[i])) != 0;
  if (rest_lower) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

bool visible_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f;
  });
}

// Wipes a string that held the token before it is freed.
void wipe(std::string& text) {
  if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

struct SlistDeleter {
  void operator()(curl_slist* list) const {
    // The header list holds a copy of the token: wipe every entry first.
    for (curl_slist* item = list; item != nullptr; item = item->next) {
      if (item->data != nullptr) OPENSSL_cleanse(item->data, std::char_traits<char>::length(item->data));
    }
    curl_slist_free_all(list);
  }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};

bool append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) return false;
  (void)list.release();
  list.reset(next);
  return true;
}

// What the SSL_CTX callback enforces, for one connection.
struct TlsPolicy {
  std::string host;
  bool ip_literal = false;
};

// libcurl's SSL_CTX callback: runs once libcurl has made the SSL_CTX for a
// connection, after OpenSSL applied the system configuration (openssl.cnf,
// OPENSSL_CONF) to it and before the handshake.
CURLcode apply_tls_policy(CURL* /*easy*/, void* ssl_ctx, void* user) {
  const auto& policy = *static_cast<const TlsPolicy*>(user);
  return enforce_tls_policy(ssl_ctx, policy.host, policy.ip_literal) ? CURLE_OK : CURLE_SSL_CERTPROBLEM;
}

// Collects the answer body up to the cap; one byte more aborts the transfer.
struct BodySink {
  std::string body;
  bool over_cap = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& sink = *static_cast<BodySink*>(user);
  const size_t bytes = size * count;
  if (bytes > k_api_answer_max_bytes - sink.body.size()) {
    sink.over_cap = true;
    return 0;  // anything but `bytes` makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink.body.append(data, bytes);
  return bytes;
}

bool is_tls_failure(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

// Sets options and remembers the first one libcurl refused: every option
// here is part of the policy, so a refused one fails the attempt.
class EasySetup {
 public:
  explicit EasySetup(CURL* easy) : m_easy(easy) {}
  template <typename T>
  void set(CURLoption option, T value, const char* name) {
    if (m_failed != nullptr) return;
    if (curl_easy_setopt(m_easy, option, value) != CURLE_OK) m_failed = name;
  }
  [[nodiscard]] const char* failed() const { return m_failed; }

 private:
  CURL* m_easy;
  const char* m_failed = nullptr;
};

long clamp_ms(milliseconds remaining) { return static_cast<long>(std::max<milliseconds::rep>(remaining.count(), 1)); }

void init_curl_once(CURLcode& result) {
  // curl_global_init is not thread-safe before 7.84; call it exactly once.
  // The one static of this module: process-wide library state.
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  result = code;
}

}  // namespace

bool enforce_tls_policy(void* ssl_ctx, const std::string& host, bool ip_literal) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (ctx == nullptr) return false;
  // Whatever the configuration said, the policy below is what the handshake
  // uses. 0 means "the lowest the library supports"; a stricter minimum stays.
  const long min_version = SSL_CTX_get_min_proto_version(ctx);
  if (min_version == 0 || min_version < TLS1_2_VERSION) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return false;
  }
  // TLS 1.2 suites: AEAD with forward secrecy only (ECDHE with AES-GCM or
  // ChaCha20-Poly1305); no CBC, no RSA key exchange, whatever CipherString
  // the system configuration has. TLS 1.3's suites all qualify as they are.
  if (SSL_CTX_set_cipher_list(ctx, k_tls12_cipher_list) != 1) return false;
  // A permissive CipherString (DEFAULT@SECLEVEL=0) lowers the level when the
  // context is made; raise it back. Level 2: >= 112-bit security (RSA 2048),
  // no SHA-1 in signatures; also applied to the certificate chain.
  if (SSL_CTX_get_security_level(ctx) < k_min_tls_security_level) {
    SSL_CTX_set_security_level(ctx, static_cast<int>(k_min_tls_security_level));
  }
  // Verification errors end the handshake (no verify callback overrides).
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  if (param == nullptr) return false;
  // subjectAltName only: never fall back to the subject's common name.
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                             : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  return set == 1;
}

struct HttpsApiTransport::AttemptResult {
  Result<ApiAnswer> result;
  bool request_sent = false;
};

Result<HttpsTransportOptions> https_options_from_environment() {
  HttpsTransportOptions options;
  if (const char* bundle = std::getenv("SSL_CERT_FILE"); bundle != nullptr && *bundle != '\0') {
    struct stat info {};
    if (::stat(bundle, &info) != 0 || !S_ISREG(info.st_mode)) {
      return make_error(ErrorKind::invalid_config,
                        std::string("ssl_cert_file ") + bundle + ": not a readable regular file");
    }
    options.ca_bundle_path = bundle;
  }
  auto proxy = proxy_settings_from([](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
  if (!proxy) return proxy.error();
  options.proxy = std::move(*proxy);
  return options;
}

Result<std::unique_ptr<HttpsApiTransport>> HttpsApiTransport::create(ApiEndpoint endpoint,
                                                                     HttpsTransportOptions options) {
  CURLcode init = CURLE_OK;
  init_curl_once(init);
  if (init != CURLE_OK) {
    return make_error(ErrorKind::internal, std::string("libcurl init failed: ") + curl_easy_strerror(init));
  }
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr || info->version_num < k_min_curl_version) {
    return make_error(ErrorKind::internal, "libcurl 7.85 or newer is needed");
  }
  // The SSL_CTX callback (the TLS policy) exists only with the OpenSSL backend.
  const std::string_view ssl_version = info->ssl_version != nullptr ? info->ssl_version : "";
  if (ssl_version.substr(0, 8) != "OpenSSL/") {
    return make_error(ErrorKind::internal,
                      "libcurl uses \"" + std::string(ssl_version) + "\", not openssl: the tls policy cannot be enforced");
  }
  return std::unique_ptr<HttpsApiTransport>(new HttpsApiTransport(std::move(endpoint), std::move(options)));
}

HttpsApiTransport::HttpsApiTransport(ApiEndpoint endpoint, HttpsTransportOptions options)
    : m_endpoint(std::move(endpoint)), m_options(std::move(options)), m_resolver(m_options.resolver) {}

HttpsApiTransport::AttemptResult HttpsApiTransport::attempt(const std::string& url, const std::string& gzip_body,
                                                            std::string_view token, const std::string& connect_address,
                                                            const ProxyUrl* proxy,
                                                            steady_clock::time_point connect_deadline,
                                                            steady_clock::time_point deadline,
                                                            const std::atomic<bool>& stopping) const {
  const bool tls = m_endpoint.scheme == ApiScheme::https;
  // Names the request in every message: "post https://api.test:443/collect via 192.0.2.1".
  const std::string what = "post " + url + (connect_address.empty() ? "" : " via " + connect_address);
  const auto fail = [](ErrorKind kind, std::string message) {
    return AttemptResult{make_error(kind, std::move(message)), false};
  };
  const auto started = steady_clock::now();
  const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - started);
  if (remaining <= milliseconds::zero()) return fail(ErrorKind::timeout, what + ": deadline passed");

  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (!easy || !multi) return fail(ErrorKind::internal, what + ": libcurl handle allocation failed");

  Slist headers;
  Slist resolve;
  std::string authorization = "Authorization: Bearer ";
  authorization.append(token);
  bool built = true;
  // TLS: the name only, even with a custom port (§1.3); plain: libcurl's host:port.
  if (tls) built = built && append(headers, "Host: " + m_endpoint.url_host());
  built = built && append(headers, "Accept-Encoding: identity");
  built = built && append(headers, "Content-Type: application/json");
  built = built && append(headers, "Content-Encoding: gzip");
  built = built && append(headers, authorization);
  // An empty value removes a header libcurl would add by itself.
  built = built && append(headers, "Accept:");
  built = built && append(headers, "Expect:");
  wipe(authorization);
  if (!connect_address.empty()) {
    const bool v6 = connect_address.find(':') != std::string::npos;
    built = built && append(resolve, m_endpoint.host + ":" + std::to_string(m_endpoint.port) + ":" +
                                         (v6 ? "[" + connect_address + "]" : connect_address));
  }
  if (!built) return fail(ErrorKind::internal, what + ": out of memory");

  TlsPolicy policy{m_endpoint.host, m_endpoint.host_kind != HostKind::name};
  BodySink sink;
  std::array<char, CURL_ERROR_SIZE> error_text{};

  EasySetup setup(easy.get());
  setup.set(CURLOPT_ERRORBUFFER, error_text.data(), "errorbuffer");
  setup.set(CURLOPT_NOSIGNAL, 1L, "nosignal");
  setup.set(CURLOPT_VERBOSE, 0L, "verbose");
  setup.set(CURLOPT_URL, url.c_str(), "url");
  setup.set(CURLOPT_PROTOCOLS_STR, tls ? "https" : "http", "protocols");
  setup.set(CURLOPT_REDIR_PROTOCOLS_STR, tls ? "https" : "http", "redir_protocols");
  setup.set(CURLOPT_FOLLOWLOCATION, 0L, "followlocation");
  setup.set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1), "http_version");
  setup.set(CURLOPT_FORBID_REUSE, 1L, "forbid_reuse");
  setup.set(CURLOPT_FRESH_CONNECT, 1L, "fresh_connect");
  setup.set(CURLOPT_POST, 1L, "post");
  setup.set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(gzip_body.size()), "postfieldsize");
  setup.set(CURLOPT_POSTFIELDS, gzip_body.data(), "postfields");
  setup.set(CURLOPT_HTTPHEADER, headers.get(), "httpheader");
  // Our headers go to the API only, never into a CONNECT request to a proxy.
  setup.set(CURLOPT_HEADEROPT, static_cast<long>(CURLHEADER_SEPARATE), "headeropt");
  setup.set(CURLOPT_WRITEFUNCTION, on_body, "writefunction");
  setup.set(CURLOPT_WRITEDATA, &sink, "writedata");
  setup.set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(k_api_answer_max_bytes), "maxfilesize");
  setup.set(CURLOPT_TIMEOUT_MS, clamp_ms(remaining), "timeout_ms");
  const auto connect_remaining =
      std::chrono::duration_cast<milliseconds>(std::min(connect_deadline, deadline) - started);
  setup.set(CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(connect_remaining), "connecttimeout_ms");
  if (resolve) setup.set(CURLOPT_RESOLVE, resolve.get(), "resolve");
  // Always set, so libcurl never reads http(s)_proxy / no_proxy itself.
  if (proxy != nullptr) {
    const std::string proxy_url = proxy->url();
    setup.set(CURLOPT_PROXY, proxy_url.c_str(), "proxy");
    setup.set(CURLOPT_PROXYTYPE, static_cast<long>(CURLPROXY_HTTP), "proxytype");
    setup.set(CURLOPT_NOPROXY, "", "noproxy");
    setup.set(CURLOPT_HTTPPROXYTUNNEL, 1L, "httpproxytunnel");
    if (!proxy->username.empty()) {
      setup.set(CURLOPT_PROXYUSERNAME, proxy->username.c_str(), "proxyusername");
      setup.set(CURLOPT_PROXYPASSWORD, proxy->password.c_str(), "proxypassword");
    }
  } else {
    setup.set(CURLOPT_PROXY, "", "proxy");
  }
  if (tls) {
    setup.set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2), "sslversion");
    setup.set(CURLOPT_SSL_VERIFYPEER, 1L, "ssl_verifypeer");
    setup.set(CURLOPT_SSL_VERIFYHOST, 2L, "ssl_verifyhost");
    setup.set(CURLOPT_SSL_CTX_FUNCTION, apply_tls_policy, "ssl_ctx_function");
    setup.set(CURLOPT_SSL_CTX_DATA, &policy, "ssl_ctx_data");
    if (!m_options.ca_bundle_path.empty()) {
      // SSL_CERT_FILE replaces the system store: no CA directory either.
      setup.set(CURLOPT_CAINFO, m_options.ca_bundle_path.c_str(), "cainfo");
      setup.set(CURLOPT_CAPATH, static_cast<const char*>(nullptr), "capath");
    }
  }
  if (const char* failed = setup.failed(); failed != nullptr) {
    return fail(ErrorKind::internal, what + ": libcurl refused option " + failed);
  }

  enum class Abort { none, stop_requested, deadline_passed };
  Abort abort = Abort::none;
  CURLcode code = CURLE_OK;
  if (curl_multi_add_handle(multi.get(), easy.get()) != CURLM_OK) {
    return fail(ErrorKind::internal, what + ": libcurl multi handle refused the request");
  }
  for (;;) {
    int running = 0;
    if (const CURLMcode status = curl_multi_perform(multi.get(), &running); status != CURLM_OK) {
      curl_multi_remove_handle(multi.get(), easy.get());
      return fail(ErrorKind::internal, what + ": " + lower_first(curl_multi_strerror(status)));
    }
    if (running == 0) break;
    if (stopping.load(std::memory_order_relaxed)) {
      abort = Abort::stop_requested;
      break;
    }
    const auto now = steady_clock::now();
    if (now >= deadline) {
      abort = Abort::deadline_passed;
      break;
    }
    const auto wait = std::min(std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1), k_poll_slice);
    int ready = 0;
    (void)curl_multi_poll(multi.get(), nullptr, 0, static_cast<int>(wait.count()), &ready);
  }
  if (abort == Abort::none) {
    int left = 0;
    code = CURLE_GOT_NOTHING;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == easy.get()) code = message->data.result;
    }
  }
  long request_bytes = 0;
  (void)curl_easy_getinfo(easy.get(), CURLINFO_REQUEST_SIZE, &request_bytes);
  const bool sent = request_bytes > 0;
  curl_multi_remove_handle(multi.get(), easy.get());

  const auto elapsed_ms = [&] {
    return std::to_string(std::chrono::duration_cast<milliseconds>(steady_clock::now() - started).count());
  };
  if (abort == Abort::stop_requested) return {make_error(ErrorKind::io, what + ": aborted, the agent is stopping"), sent};
  if (abort == Abort::deadline_passed || code == CURLE_OPERATION_TIMEDOUT) {
    // libcurl's text says which phase ("connection timed out after ...").
    const std::string detail = abort == Abort::none && error_text[0] != '\0' ? lower_first(error_text.data())
                                                                            : "timed out after " + elapsed_ms() + " ms";
    return {make_error(ErrorKind::timeout, what + ": " + detail), sent};
  }
  if (code == CURLE_FILESIZE_EXCEEDED || (code == CURLE_WRITE_ERROR && sink.over_cap)) {
    return {make_error(ErrorKind::parse, what + ": answer larger than " +
                                             std::to_string(k_api_answer_max_bytes) + " bytes"),
            sent};
  }
  if (code != CURLE_OK) {
    std::string reason = error_text[0] != '\0' ? std::string(error_text.data()) : curl_easy_strerror(code);
    if (is_tls_failure(code)) {
      long verify = X509_V_OK;
      (void)curl_easy_getinfo(easy.get(), CURLINFO_SSL_VERIFYRESULT, &verify);
      std::string message = "tls with " + m_endpoint.host + " failed: " + lower_first(reason);
      // 1 (unspecified) is what OpenSSL reports when no certificate was checked.
      if (verify != X509_V_OK && verify != X509_V_ERR_UNSPECIFIED &&
          reason.find(X509_verify_cert_error_string(verify)) == std::string::npos) {
        message += " (certificate verify result " + std::to_string(verify) + ": " +
                   X509_verify_cert_error_string(verify) + ")";
      }
      return {make_error(ErrorKind::io, what + ": " + message), sent};
    }
    return {make_error(ErrorKind::io, what + ": " + lower_first(reason)), sent};
  }

  long status = 0;
  (void)curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (log_enabled(LogLevel::debug)) {
    log_debug(what + ": http " + std::to_string(status) + ", " + std::to_string(sink.body.size()) +
              " bytes in " + elapsed_ms() + " ms");
  }
  return {ApiAnswer{status, std::move(sink.body)}, true};
}

Result<ApiAnswer> HttpsApiTransport::post_once(std::string_view path, std::string_view json_body,
                                               std::string_view token, steady_clock::time_point deadline,
                                               const std::atomic<bool>& stopping) {
  if (path.empty() || path.front() != '/' || !visible_ascii(path)) {
    return make_error(ErrorKind::invalid_config, "post: path must start with '/' and hold only visible ascii");
  }
  // A CR or LF in the token would let it forge a header; the token store
  // refuses such a token already, this keeps the transport safe on its own.
  if (!visible_ascii(token)) {
    return make_error(ErrorKind::invalid_config, "post: the token holds a space, control or non-ascii byte");
  }
  const std::string url = m_endpoint.url(path);
  if (stopping.load(std::memory_order_relaxed)) {
    return make_error(ErrorKind::io, "post " + url + ": aborted, the agent is stopping");
  }
  auto gzip_body = gzip_compress(json_body);
  if (!gzip_body) return gzip_body.error();

  const bool tls = m_endpoint.scheme == ApiScheme::https;
  if (const ProxyUrl* proxy = tls ? proxy_for_host(m_options.proxy, m_endpoint.host) : nullptr; proxy != nullptr) {
    log_debug("api " + m_endpoint.authority() + ": through proxy " + proxy->url() + " (connect tunnel)");
    return std::move(attempt(url, *gzip_body, token, {}, proxy, deadline, deadline, stopping).result);
  }
  if (m_endpoint.host_kind != HostKind::name) {
    log_debug("api " + m_endpoint.authority() + ": literal address, no dns");
    return std::move(attempt(url, *gzip_body, token, {}, nullptr, deadline, deadline, stopping).result);
  }
  if (m_endpoint.is_localhost()) {
    log_debug("api " + m_endpoint.authority() + ": localhost pinned to 127.0.0.1");
    return std::move(attempt(url, *gzip_body, token, "127.0.0.1", nullptr, deadline, deadline, stopping).result);
  }

  // A first; AAAA when A gave nothing usable and no request byte was sent.
  std::string failures;
  std::optional<ErrorKind> attempt_kind;  // why the A address failed, when it was tried
  for (const AddressFamily family : {AddressFamily::ipv4, AddressFamily::ipv6}) {
    const std::string_view family_text = family_name(family);
    auto addresses = m_resolver.lookup(m_endpoint.host, family, deadline, stopping);
    if (!addresses) {
      if (!failures.empty()) failures += "; ";
      failures += addresses.error().message;
      if (family == AddressFamily::ipv6 || addresses.error().kind == ErrorKind::timeout ||
          stopping.load(std::memory_order_relaxed)) {
        // A refused connection or certificate says more than a missing AAAA record.
        const ErrorKind kind = attempt_kind && addresses.error().kind == ErrorKind::absent ? *attempt_kind
                                                                                          : addresses.error().kind;
        return make_error(kind, failures);
      }
      continue;
    }
    const std::string& address = addresses->front();
    log_debug("api " + m_endpoint.authority() + ": using " + std::string(family_text) + " " + address);
    // Over A, connecting may take half the time left; the rest is for AAAA.
    const auto now = steady_clock::now();
    const auto connect_deadline = family == AddressFamily::ipv4 && deadline > now ? now + (deadline - now) / 2 : deadline;
    AttemptResult result = attempt(url, *gzip_body, token, address, nullptr, connect_deadline, deadline, stopping);
    if (result.result || result.request_sent || family == AddressFamily::ipv6 ||
        stopping.load(std::memory_order_relaxed) || steady_clock::now() >= deadline) {
      if (!result.result && !failures.empty()) {
        return make_error(result.result.error().kind, failures + "; " + result.result.error().message);
      }
      return std::move(result.result);
    }
    attempt_kind = result.result.error().kind;
    failures += result.result.error().message;
    log_debug("api " + m_endpoint.authority() + ": " + std::string(family_text) + " " + address +
              " failed before the request was sent, trying AAAA");
  }
  return make_error(ErrorKind::io, failures);  // not reached: the AAAA round always returns
}

}  // namespace fivenines
