#include "platform/curl_library.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <atomic>
#include <cstdarg>
#include <mutex>

#include "util/log.hpp"

// The definitions below put each name in parentheses, e.g.
// `CURLcode(curl_easy_setopt)(...)`: curl/typecheck-gcc.h defines
// curl_easy_setopt and curl_easy_getinfo as function-like macros for GCC,
// and a parenthesised name is not expanded.

namespace fivenines {
namespace {

// Debian 12's runtime package libcurl4 (the OpenSSL flavour the agent is
// built against, libcurl4-openssl-dev); the soname, never an unversioned
// name, so only that ABI is ever loaded.
constexpr const char* k_library_soname = "libcurl.so.4";

struct CurlFunctions {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  decltype(&::curl_free) free = nullptr;
  decltype(&::curl_version_info) version_info = nullptr;
  decltype(&::curl_url) url = nullptr;
  decltype(&::curl_url_cleanup) url_cleanup = nullptr;
  decltype(&::curl_url_get) url_get = nullptr;
  decltype(&::curl_url_set) url_set = nullptr;
  decltype(&::curl_multi_init) multi_init = nullptr;
  decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&::curl_multi_perform) multi_perform = nullptr;
  decltype(&::curl_multi_poll) multi_poll = nullptr;
  decltype(&::curl_multi_info_read) multi_info_read = nullptr;
  decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&::curl_multi_strerror) multi_strerror = nullptr;
};

struct LoadedLibrary {
  CurlFunctions functions;
  bool ok = false;
  std::string problem;
};

std::atomic<bool> g_loaded{false};

template <typename Function>
bool resolve(void* handle, const char* name, Function& out, std::string& problem) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    if (problem.empty()) problem = std::string(k_library_soname) + ": no symbol " + name;
    return false;
  }
  out = reinterpret_cast<Function>(symbol);
  return true;
}

LoadedLibrary load() {
  LoadedLibrary library;
  // RTLD_LOCAL: libcurl's names stay out of the global scope, so nothing
  // else in the process binds to them by accident. Never unloaded.
  void* handle = ::dlopen(k_library_soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = ::dlerror();
    library.problem = std::string(k_library_soname) + ": cannot load: " + (reason != nullptr ? reason : "unknown error") +
                      " (Debian package libcurl4)";
    return library;
  }
  CurlFunctions& f = library.functions;
  std::string& problem = library.problem;
  bool ok = resolve(handle, "curl_global_init", f.global_init, problem);
  ok = resolve(handle, "curl_easy_init", f.easy_init, problem) && ok;
  ok = resolve(handle, "curl_easy_setopt", f.easy_setopt, problem) && ok;
  ok = resolve(handle, "curl_easy_perform", f.easy_perform, problem) && ok;
  ok = resolve(handle, "curl_easy_cleanup", f.easy_cleanup, problem) && ok;
  ok = resolve(handle, "curl_easy_getinfo", f.easy_getinfo, problem) && ok;
  ok = resolve(handle, "curl_easy_strerror", f.easy_strerror, problem) && ok;
  ok = resolve(handle, "curl_slist_append", f.slist_append, problem) && ok;
  ok = resolve(handle, "curl_slist_free_all", f.slist_free_all, problem) && ok;
  ok = resolve(handle, "curl_free", f.free, problem) && ok;
  ok = resolve(handle, "curl_version_info", f.version_info, problem) && ok;
  ok = resolve(handle, "curl_url", f.url, problem) && ok;
  ok = resolve(handle, "curl_url_cleanup", f.url_cleanup, problem) && ok;
  ok = resolve(handle, "curl_url_get", f.url_get, problem) && ok;
  ok = resolve(handle, "curl_url_set", f.url_set, problem) && ok;
  ok = resolve(handle, "curl_multi_init", f.multi_init, problem) && ok;
  ok = resolve(handle, "curl_multi_add_handle", f.multi_add_handle, problem) && ok;
  ok = resolve(handle, "curl_multi_remove_handle", f.multi_remove_handle, problem) && ok;
  ok = resolve(handle, "curl_multi_perform", f.multi_perform, problem) && ok;
  ok = resolve(handle, "curl_multi_poll", f.multi_poll, problem) && ok;
  ok = resolve(handle, "curl_multi_info_read", f.multi_info_read, problem) && ok;
  ok = resolve(handle, "curl_multi_cleanup", f.multi_cleanup, problem) && ok;
  ok = resolve(handle, "curl_multi_strerror", f.multi_strerror, problem) && ok;
  library.ok = ok;
  return library;
}

const LoadedLibrary& library() {
  static std::once_flag once;
  static LoadedLibrary loaded;
  std::call_once(once, [] {
    loaded = load();
    if (loaded.ok) {
      g_loaded.store(true, std::memory_order_release);
    } else {
      log_error(loaded.problem);
    }
  });
  return loaded;
}

// The functions, or null when libcurl could not be loaded.
const CurlFunctions* curl() {
  const LoadedLibrary& loaded = library();
  return loaded.ok ? &loaded.functions : nullptr;
}

constexpr const char* k_not_loaded = "libcurl could not be loaded";

}  // namespace

std::optional<std::string> curl_library_problem() {
  const LoadedLibrary& loaded = library();
  if (loaded.ok) return std::nullopt;
  return loaded.problem;
}

bool curl_library_loaded() { return g_loaded.load(std::memory_order_acquire); }

}  // namespace fivenines

using fivenines::curl;

// curl_easy_setopt and curl_easy_getinfo take an enum before the `...`
// (curl.h's prototypes, which these definitions must match); clang warns
// that va_start after a promotable parameter is undefined by the standard.
// Every Linux ABI passes the enum as the int it promotes to, and libcurl's
// own definitions do exactly this.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wvarargs"
#endif

extern "C" {

CURLcode(curl_global_init)(long flags) {
  const auto* f = curl();
  return f != nullptr ? f->global_init(flags) : CURLE_FAILED_INIT;
}

CURL*(curl_easy_init)(void) {
  const auto* f = curl();
  return f != nullptr ? f->easy_init() : nullptr;
}

// The one argument after `option` has the type the option's number range
// says (curl.h: CURLOPTTYPE_*); it is read and passed on as that type.
CURLcode(curl_easy_setopt)(CURL* handle, CURLoption option, ...) {
  const auto* f = curl();
  if (f == nullptr) return CURLE_FAILED_INIT;
  va_list args;
  va_start(args, option);
  CURLcode code;
  const int number = static_cast<int>(option);
  if (number < CURLOPTTYPE_OBJECTPOINT) {
    code = f->easy_setopt(handle, option, va_arg(args, long));
  } else if (number < CURLOPTTYPE_FUNCTIONPOINT) {
    code = f->easy_setopt(handle, option, va_arg(args, void*));
  } else if (number < CURLOPTTYPE_OFF_T) {
    using AnyFunction = void (*)();
    code = f->easy_setopt(handle, option, va_arg(args, AnyFunction));
  } else if (number < CURLOPTTYPE_BLOB) {
    code = f->easy_setopt(handle, option, va_arg(args, curl_off_t));
  } else {
    code = f->easy_setopt(handle, option, va_arg(args, void*));
  }
  va_end(args);
  return code;
}

CURLcode(curl_easy_perform)(CURL* handle) {
  const auto* f = curl();
  return f != nullptr ? f->easy_perform(handle) : CURLE_FAILED_INIT;
}

void(curl_easy_cleanup)(CURL* handle) {
  if (const auto* f = curl()) f->easy_cleanup(handle);
}

// Every CURLINFO takes a pointer to where the value goes.
CURLcode(curl_easy_getinfo)(CURL* handle, CURLINFO info, ...) {
  const auto* f = curl();
  if (f == nullptr) return CURLE_FAILED_INIT;
  va_list args;
  va_start(args, info);
  void* out = va_arg(args, void*);
  va_end(args);
  return f->easy_getinfo(handle, info, out);
}

const char*(curl_easy_strerror)(CURLcode code) {
  const auto* f = curl();
  return f != nullptr ? f->easy_strerror(code) : fivenines::k_not_loaded;
}

struct curl_slist*(curl_slist_append)(struct curl_slist* list, const char* text) {
  const auto* f = curl();
  return f != nullptr ? f->slist_append(list, text) : nullptr;
}

void(curl_slist_free_all)(struct curl_slist* list) {
  if (const auto* f = curl()) f->slist_free_all(list);
}

void(curl_free)(void* pointer) {
  if (const auto* f = curl()) f->free(pointer);
}

curl_version_info_data*(curl_version_info)(CURLversion version) {
  const auto* f = curl();
  return f != nullptr ? f->version_info(version) : nullptr;
}

CURLU*(curl_url)(void) {
  const auto* f = curl();
  return f != nullptr ? f->url() : nullptr;
}

void(curl_url_cleanup)(CURLU* handle) {
  if (const auto* f = curl()) f->url_cleanup(handle);
}

CURLUcode(curl_url_get)(CURLU* handle, CURLUPart what, char** part, unsigned int flags) {
  const auto* f = curl();
  return f != nullptr ? f->url_get(handle, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode(curl_url_set)(CURLU* handle, CURLUPart what, const char* part, unsigned int flags) {
  const auto* f = curl();
  return f != nullptr ? f->url_set(handle, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLM*(curl_multi_init)(void) {
  const auto* f = curl();
  return f != nullptr ? f->multi_init() : nullptr;
}

CURLMcode(curl_multi_add_handle)(CURLM* multi, CURL* easy) {
  const auto* f = curl();
  return f != nullptr ? f->multi_add_handle(multi, easy) : CURLM_INTERNAL_ERROR;
}

CURLMcode(curl_multi_remove_handle)(CURLM* multi, CURL* easy) {
  const auto* f = curl();
  return f != nullptr ? f->multi_remove_handle(multi, easy) : CURLM_INTERNAL_ERROR;
}

CURLMcode(curl_multi_perform)(CURLM* multi, int* running_handles) {
  const auto* f = curl();
  return f != nullptr ? f->multi_perform(multi, running_handles) : CURLM_INTERNAL_ERROR;
}

CURLMcode(curl_multi_poll)(CURLM* multi, struct curl_waitfd extra_fds[], unsigned int extra_nfds, int timeout_ms,
                           int* numfds) {
  const auto* f = curl();
  return f != nullptr ? f->multi_poll(multi, extra_fds, extra_nfds, timeout_ms, numfds) : CURLM_INTERNAL_ERROR;
}

CURLMsg*(curl_multi_info_read)(CURLM* multi, int* msgs_in_queue) {
  const auto* f = curl();
  return f != nullptr ? f->multi_info_read(multi, msgs_in_queue) : nullptr;
}

CURLMcode(curl_multi_cleanup)(CURLM* multi) {
  const auto* f = curl();
  return f != nullptr ? f->multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

const char*(curl_multi_strerror)(CURLMcode code) {
  const auto* f = curl();
  return f != nullptr ? f->multi_strerror(code) : fivenines::k_not_loaded;
}

}  // extern "C"
