// libFuzzer target for the response gate and the config validator
// together (issue 4). For every input:
//   - the gate and the validator must not crash, leak or trip a sanitizer;
//   - whatever passes is validated, written back in full (secrets
//     revealed), and that text must pass the gate again, validate to the
//     same output and produce no warning (idempotence);
//   - the redacted output must parse as JSON too.
// scripts/run-fuzz.sh seeds it from tests/fixtures/config/ (every case
// folder's input.json, expected.json and previous.json are all configs).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config_validator.hpp"
#include "config/config_writer.hpp"
#include "config/json_gate.hpp"
#include "config/loopback_target.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "config_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The URL and host checks see the raw bytes too (they run on any string
  // the API sends).
  if (size <= k_config_url_max_bytes + 16) {
    (void)parse_loopback_url(text);
    (void)parse_loopback_host(text);
  }

  auto root = gate_json(text);
  if (!root) return 0;
  for (const auto envelope : {ConfigEnvelope::api_answer, ConfigEnvelope::config_or_answer}) {
    auto config = select_config_object(*root, envelope);
    if (!config) continue;

    const ConfigReadResult first = validate_config(**config, nullptr);
    const std::string revealed = write_config_json(first.config, first.input_keys, SecretMode::reveal);
    const std::string redacted = write_config_json(first.config, first.input_keys, SecretMode::redact);
    if (!gate_json(redacted)) fail("redacted output does not pass the gate", redacted);

    auto again_root = gate_json(revealed);
    if (!again_root) fail("output does not pass the gate", revealed + "\n" + again_root.error().message);
    auto again_config = select_config_object(*again_root, ConfigEnvelope::config_or_answer);
    if (!again_config) fail("output is not a config object", revealed);
    const ConfigReadResult second = validate_config(**again_config, &first.config);
    const std::string second_text = write_config_json(second.config, second.input_keys, SecretMode::reveal);
    if (second_text != revealed) fail("not idempotent", revealed + "\n" + second_text);
    if (!second.warnings.empty()) fail("validated output warns", revealed + "\n" + second.warnings.front());
  }
  return 0;
}
