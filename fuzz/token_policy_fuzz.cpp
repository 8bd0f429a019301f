// libFuzzer target for the token rotation policy's parsers of outside
// bytes: the `token` and `token_binding` strings of an API answer
// (offered_token_problem, token_binding_problem, decide_token) and the
// TOKEN_STATE file (parse_token_state).
//
// Checked against plain restatements of the rules: a token is accepted only
// when it matches ^[A-Za-z0-9._~+/=-]{16,512}$, differs from the current
// one, and the policy allows it (enrollment: still enrolled; bound: the
// binding is HMAC-SHA256(current, offered) in lower-case hex); a no-op only
// for the current token; a refusal never quotes the token.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "identity/token_policy.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool matches_token_pattern(std::string_view token) {
  if (token.size() < 16 || token.size() > 512) return false;
  for (const char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::string_view("._~+/=-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool is_lower_hex_64(std::string_view text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void check_state_text(std::string_view text) {
  using fivenines::TokenStateText;
  const TokenStateText parsed = fivenines::parse_token_state(text);
  switch (parsed.kind) {
    case TokenStateText::Kind::enrolled:
      check(parsed.hashes.empty());
      check(text.find("enrolled") != std::string_view::npos);
      break;
    case TokenStateText::Kind::per_host:
      check(!parsed.hashes.empty() && parsed.hashes.size() <= 2);
      for (const auto& hash : parsed.hashes) check(is_lower_hex_64(hash));
      check(text.find("per-host") != std::string_view::npos);
      break;
    case TokenStateText::Kind::malformed:
      check(parsed.hashes.empty() && !parsed.problem.empty());
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  check_state_text(std::string_view(reinterpret_cast<const char*>(data), size));

  FuzzedDataProvider input(data, size);
  const auto policy = input.PickValueInArray({TokenRotation::enrollment, TokenRotation::bound, TokenRotation::always});
  const auto state = input.PickValueInArray({EnrollmentState::enrollment_token, EnrollmentState::per_host_token});
  const int binding_mode = input.ConsumeIntegralInRange(0, 2);  // absent, correct, from the input
  const std::string current = input.ConsumeRandomLengthString(600);
  const std::string offered = input.ConsumeRandomLengthString(1200);
  std::optional<std::string> binding;
  if (binding_mode == 1) binding = token_binding_for(current, offered);
  if (binding_mode == 2) binding = input.ConsumeRemainingBytesAsString();

  const bool well_formed = matches_token_pattern(offered);
  check(!offered_token_problem(offered).has_value() == well_formed);
  check(token_fingerprint(offered).size() == 8);

  const auto binding_problem = token_binding_problem(current, offered, binding);
  if (!binding_problem) check(binding && *binding == token_binding_for(current, offered) && is_lower_hex_64(*binding));

  const auto decision = decide_token(policy, state, current, offered, binding);
  switch (decision.verdict) {
    case TokenVerdict::accept:
      check(well_formed && offered != current);
      if (policy == TokenRotation::enrollment) check(state == EnrollmentState::enrollment_token);
      if (policy == TokenRotation::bound) check(!binding_problem);
      check(decision.reason.empty());
      break;
    case TokenVerdict::no_op:
      check(well_formed && offered == current);
      break;
    case TokenVerdict::refuse:
      check(!decision.reason.empty());
      // Reasons are fixed texts under 80 bytes whose longest run of token
      // bytes is 25 ("TOKEN_ROTATION=enrollment"): a well-formed token of
      // 32 bytes or more, or anything longer than 80, must never appear.
      if ((well_formed && offered.size() >= 32) || offered.size() > 80) {
        check(decision.reason.find(offered) == std::string::npos);
      }
      check(!well_formed || offered != current);
      break;
  }
  // Whatever the policy, a malformed token is never taken.
  if (!well_formed) check(decision.verdict == TokenVerdict::refuse);
  return 0;
}
