// libFuzzer target for the API's answer to a POST (outside bytes from the
// network): read_api_answer() and the log excerpt of a failed answer's
// body. Invariants: an accepted answer was a JSON object with an object
// under "config"; a token is only taken from a JSON string; a refusal's
// message is short; the excerpt is at most 200 printable bytes plus "...".
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "transport/uploader.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  auto content = read_api_answer(body);
  if (content) {
    // Independent check with a plain parse (the input passed the depth gate).
    const auto root = nlohmann::json::parse(body, nullptr, false);
    check(!root.is_discarded() && root.is_object());
    check(root.contains("config") && root["config"].is_object());
    if (content->token) {
      check(root.contains("token") && root["token"].is_string());
      check(content->token->view() == root["token"].get<std::string>());
    }
    check(content->token_not_a_string == (root.contains("token") && !root["token"].is_string()));
  } else {
    check(content.error().kind == ErrorKind::parse);
    check(content.error().message.size() < 200);
  }

  // The excerpt, with a secret taken from the input itself.
  const std::string_view secret = body.substr(0, std::min<std::size_t>(size, 8));
  const std::string excerpt = body_excerpt(body, secret.size() >= 4 ? secret : std::string_view{});
  check(excerpt.size() <= k_logged_body_max_bytes + 3);
  for (const char c : excerpt) check(c >= 0x20 && c < 0x7F);
  return 0;
}
