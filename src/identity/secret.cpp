#include "identity/secret.hpp"

#include <openssl/crypto.h>

namespace fivenines {

void wipe_bytes(void* data, std::size_t size) {
  if (data != nullptr && size != 0) OPENSSL_cleanse(data, size);
}

void wipe_string(std::string& text) {
  // resize() to the capacity makes every owned byte part of the string, so
  // the wipe below stays inside [data(), data() + size()).
  text.resize(text.capacity());
  wipe_bytes(text.data(), text.size());
  text.clear();
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fivenines
