#include "config/config_reader.hpp"

namespace fivenines {

Result<ConfigReadResult> read_config_strict(std::string_view json_text, const RemoteConfig* previous) {
  auto root = gate_json(json_text);
  if (!root) return root.error();
  auto config = select_config_object(*root, ConfigEnvelope::config_or_answer);
  if (!config) return config.error();
  return validate_config(**config, previous);
}

Result<ConfigAnswerRead> read_config_answer(std::string_view answer_text, const RemoteConfig* previous) {
  auto root = gate_json(answer_text);
  if (!root) return root.error();
  auto config = select_config_object(*root, ConfigEnvelope::api_answer);
  if (!config) return config.error();
  ConfigAnswerRead out{validate_config(**config, previous), std::nullopt};
  const auto token = root->find("token");
  if (token != root->end()) {
    if (token->is_string()) out.token = token->get<std::string>();
    else out.token_not_a_string = true;
  }
  return out;
}

}  // namespace fivenines
