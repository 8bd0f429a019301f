// The validator's case folders: tests/fixtures/config/<case>/ holds
//   input.json     what the API (or a --config file) sends;
//   expected.json  what `config check` prints for it (secrets redacted),
//                  compared with its key order and int/float distinction;
//   warnings.txt   the expected warning lines, exactly, in order;
//   previous.json  (optional) the config in use before, for `interval`;
//   error.txt      instead of the two above, when the gate must refuse the
//                  input: the exact one-line reason.
// A new case is a new folder. Every accepted case is also checked for
// idempotence (validating the validator's output changes nothing and
// warns about nothing) and for secrets leaking into the output or the
// warnings.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/config_validator.hpp"
#include "config/config_writer.hpp"
#include "config/json_gate.hpp"
#include "support/fixture_cases.hpp"
#include "support/json_match.hpp"

namespace fivenines {
namespace {

namespace fs = std::filesystem;
using testing::read_text;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

// Every string value under a key that names a secret, anywhere in `value`.
void collect_secrets(const nlohmann::json& value, std::vector<std::string>& out) {
  static const std::vector<std::string> secret_keys = {"password", "token_secret", "community", "auth_password",
                                                       "priv_password"};
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.value().is_string() && std::find(secret_keys.begin(), secret_keys.end(), it.key()) != secret_keys.end()) {
        out.push_back(it.value().get<std::string>());
      }
      collect_secrets(it.value(), out);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) collect_secrets(item, out);
  }
}

ConfigReadResult validate_text(const std::string& text, const RemoteConfig* previous) {
  auto root = gate_json(text);
  EXPECT_TRUE(root) << root.error().message;
  if (!root) return {};
  auto config = select_config_object(*root, ConfigEnvelope::config_or_answer);
  EXPECT_TRUE(config) << config.error().message;
  if (!config) return {};
  return validate_config(**config, previous);
}

class ConfigCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigCase, MatchesExpectedOutputAndWarnings) {
  const fs::path dir = testing::fixtures_root() / "config" / GetParam();
  const std::string input = read_text(dir / "input.json");

  if (fs::exists(dir / "error.txt")) {
    auto root = gate_json(input);
    std::string message;
    if (!root) {
      message = root.error().message;
      EXPECT_EQ(root.error().kind, ErrorKind::parse);
    } else {
      auto config = select_config_object(*root, ConfigEnvelope::config_or_answer);
      ASSERT_FALSE(config) << "the gate accepted input that must be refused";
      message = config.error().message;
    }
    EXPECT_EQ(message + "\n", read_text(dir / "error.txt"));
    return;
  }

  std::optional<RemoteConfig> previous;
  if (fs::exists(dir / "previous.json")) previous = validate_text(read_text(dir / "previous.json"), nullptr).config;
  const ConfigReadResult result = validate_text(input, previous ? &*previous : nullptr);
  const std::string output = write_config_json(result.config, result.input_keys, SecretMode::redact);

  const auto expected = nlohmann::ordered_json::parse(read_text(dir / "expected.json"));
  const auto actual = nlohmann::ordered_json::parse(output);
  EXPECT_EQ(testing::strict_json_diff(expected, actual), "") << output;
  EXPECT_EQ(expected.dump(), actual.dump()) << "key order differs";
  EXPECT_EQ(result.warnings, lines_of(read_text(dir / "warnings.txt")));

  // No secret value of the input shows in the output or in a warning.
  std::vector<std::string> secrets;
  collect_secrets(nlohmann::json::parse(input), secrets);
  for (const auto& secret : secrets) {
    if (secret.size() < 3) continue;
    EXPECT_EQ(output.find(secret), std::string::npos) << "secret in output";
    for (const auto& warning : result.warnings) EXPECT_EQ(warning.find(secret), std::string::npos) << warning;
  }

  // Idempotence: the validated config, written in full and validated
  // again, gives the same config and no warning.
  const std::string revealed = write_config_json(result.config, result.input_keys, SecretMode::reveal);
  const ConfigReadResult again = validate_text(revealed, previous ? &*previous : nullptr);
  EXPECT_EQ(write_config_json(again.config, again.input_keys, SecretMode::reveal), revealed);
  EXPECT_TRUE(again.warnings.empty()) << again.warnings.front();
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ConfigCase, ::testing::ValuesIn(testing::fixture_cases("config")),
                         testing::CaseName{});

TEST(ConfigCases, AtLeast150CasesCoverGateAndValidator) {
  const auto cases = testing::fixture_cases("config");
  EXPECT_GE(cases.size(), 150u);
  std::size_t gate_cases = 0;
  for (const auto& name : cases) {
    const fs::path dir = testing::fixtures_root() / "config" / name;
    ASSERT_TRUE(fs::exists(dir / "input.json")) << name;
    if (fs::exists(dir / "error.txt")) {
      ++gate_cases;
    } else {
      EXPECT_TRUE(fs::exists(dir / "expected.json")) << name;
      EXPECT_TRUE(fs::exists(dir / "warnings.txt")) << name;
    }
  }
  EXPECT_GE(gate_cases, 30u);
}

}  // namespace
}  // namespace fivenines
