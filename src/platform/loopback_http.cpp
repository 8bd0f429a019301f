#include "platform/loopback_http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace fivenines {

namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::size_t max_body_bytes = 0;
  std::string body;
  bool body_too_large = false;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
  std::vector<std::pair<std::string, std::string>> headers;
  const std::atomic<bool>* stopping = nullptr;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->max_body_bytes) {
    transfer->body_too_large = true;
    return 0;  // libcurl aborts with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  transfer->header_bytes += bytes;
  if (transfer->header_bytes > k_loopback_http_max_header_bytes) {
    transfer->headers_too_large = true;
    return 0;
  }
  const std::string_view line(data, bytes);
  // A status line starts a new response (1xx, then the final one): keep
  // only the last response's headers.
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->headers.clear();
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(trimmed(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  transfer->headers.emplace_back(std::move(name), std::string(trimmed(line.substr(colon + 1))));
  return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<const Transfer*>(user);
  return transfer->stopping != nullptr && transfer->stopping->load(std::memory_order_relaxed) ? 1 : 0;
}

Error refused(std::string message) { return make_error(ErrorKind::invalid_config, std::move(message)); }

std::optional<std::string> url_part(CURLU* handle, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(handle, part, &raw, flags) != CURLUE_OK || raw == nullptr) return std::nullopt;
  std::unique_ptr<char, CurlStringDeleter> owned(raw);
  return std::string(raw);
}

// The URL's port (explicit or the scheme's default) after checking, with
// libcurl's own parser, that it is http(s) to a loopback host.
Result<long> checked_port(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle) return make_error(ErrorKind::internal, "loopback http: libcurl url handle unavailable");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return refused("loopback http: url does not parse");
  }
  const auto scheme = url_part(handle.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") return refused("loopback http: scheme is not http or https");
  const auto host = url_part(handle.get(), CURLUPART_HOST);
  if (host != "localhost" && host != "127.0.0.1" && host != "[::1]") {
    return refused("loopback http: host is not localhost, 127.0.0.1 or [::1]");
  }
  if (url_part(handle.get(), CURLUPART_USER) || url_part(handle.get(), CURLUPART_ZONEID)) {
    return refused("loopback http: url has user-info or a zone id");
  }
  const auto port = url_part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!port) return refused("loopback http: url has no port");
  return std::stol(*port);
}

}  // namespace

std::optional<std::string> LoopbackHttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Result<LoopbackHttpResponse> loopback_http_get(const LoopbackHttpRequest& request) {
  if (request.pinned_address != "127.0.0.1" && request.pinned_address != "::1") {
    return refused("loopback http: pinned address is not 127.0.0.1 or ::1");
  }
  auto port = checked_port(request.url);
  if (!port) return port.error();
  for (const auto& header : request.headers) {
    if (header.find_first_of("\r\n") != std::string::npos || header.find('\0') != std::string::npos) {
      return refused("loopback http: request header has CR, LF or NUL");
    }
  }
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return make_error(ErrorKind::timeout, "GET " + request.url + ": deadline passed");

  global_init_once();
  std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  if (!handle) return make_error(ErrorKind::internal, "loopback http: libcurl handle unavailable");
  CURL* h = handle.get();

  // Every connection goes to the pinned literal, whatever the URL's host:
  // CONNECT_TO with an empty host and port matches every request, and a
  // numeric target is never resolved. RESOLVE covers `localhost` as well.
  const std::string target = request.pinned_address == "::1" ? std::string("[::1]") : std::string("127.0.0.1");
  const std::string port_text = std::to_string(*port);
  std::unique_ptr<curl_slist, SlistDeleter> connect_to(
      curl_slist_append(nullptr, ("::" + target + ":" + port_text).c_str()));
  std::unique_ptr<curl_slist, SlistDeleter> resolve(
      curl_slist_append(nullptr, ("localhost:" + port_text + ":" + target).c_str()));
  curl_slist* header_list = nullptr;
  for (const auto& header : request.headers) header_list = curl_slist_append(header_list, header.c_str());
  std::unique_ptr<curl_slist, SlistDeleter> headers(header_list);
  if (!connect_to || !resolve || (!request.headers.empty() && !headers)) {
    return make_error(ErrorKind::internal, "loopback http: out of memory");
  }

  Transfer transfer;
  transfer.max_body_bytes = request.max_body_bytes;
  transfer.stopping = request.stopping;

  const long timeout_ms = static_cast<long>(left.count());
  bool ok =
      curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_MAXREDIRS, 0L) == CURLE_OK && curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_NOPROXY, "*") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get()) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_RESOLVE, resolve.get()) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK && curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body_bytes)) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED)) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_USERAGENT, "fivenines-agent/" FIVENINES_VERSION) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
  if (ok && headers) ok = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
  if (ok && request.ca_file) ok = curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_file->c_str()) == CURLE_OK;
  if (!ok) return make_error(ErrorKind::internal, "loopback http: libcurl refused an option");

  const CURLcode code = curl_easy_perform(h);
  const std::string what = "GET " + request.url;
  if (transfer.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return make_error(ErrorKind::parse,
                      what + ": body larger than " + std::to_string(request.max_body_bytes) + " bytes");
  }
  if (transfer.headers_too_large) {
    return make_error(ErrorKind::parse,
                      what + ": headers larger than " + std::to_string(k_loopback_http_max_header_bytes) + " bytes");
  }
  if (code == CURLE_OPERATION_TIMEDOUT || code == CURLE_ABORTED_BY_CALLBACK) {
    return make_error(ErrorKind::timeout, what + ": " + (code == CURLE_ABORTED_BY_CALLBACK ? "stopped" : "timed out"));
  }
  if (code != CURLE_OK) {
    std::string reason = curl_easy_strerror(code);
    std::transform(reason.begin(), reason.end(), reason.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    return make_error(ErrorKind::io, what + ": " + reason);
  }
  LoopbackHttpResponse response;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(transfer.body);
  response.headers = std::move(transfer.headers);
  return response;
}

}  // namespace fivenines
