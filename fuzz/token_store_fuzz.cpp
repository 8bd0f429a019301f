// libFuzzer target for the TOKEN file's text (outside bytes: written by an
// installer, an admin, or an answer we stored). Invariants: an accepted
// token is non-empty, at most 4 KiB, printable ASCII without spaces, and is
// the input minus surrounding whitespace; token_problem() agrees.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "identity/token_store.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto token = parse_token_text(text);
  if (!token) {
    check(!token.error().message.empty());
    return 0;
  }
  check(!token->empty() && token->size() <= k_token_max_bytes);
  for (const char c : *token) check(c > 0x20 && c < 0x7F);
  check(!token_problem(*token).has_value());
  // The token is the input's middle: only whitespace around it.
  const auto at = static_cast<std::size_t>(token->data() - text.data());
  check(at + token->size() <= text.size());
  for (std::size_t i = 0; i < at; ++i) check(text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'));
  for (std::size_t i = at + token->size(); i < text.size(); ++i) {
    check(text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'));
  }
  return 0;
}
