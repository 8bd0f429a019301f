// Reading config text into a typed RemoteConfig: the response gate
// (config/json_gate.hpp) and then the validator
// (config/config_validator.hpp), with all of issue 4's rules. Anything
// the gate refuses fails as a whole (the caller keeps its previous config);
// anything the validator refuses is dropped with one warning line naming
// the key and the reason (never the value: it may be a secret).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_validator.hpp"
#include "config/json_gate.hpp"
#include "config/remote_config.hpp"
#include "util/result.hpp"

namespace fivenines {

// `json_text` is either the config object itself or a whole API answer
// holding it under "config" (--config files, `config check`). `previous`
// is the config in use before this one (for `interval`), or null. Fails
// (ErrorKind::parse) when the gate refuses the text or it is not an
// object.
[[nodiscard]] Result<ConfigReadResult> read_config_strict(std::string_view json_text,
                                                          const RemoteConfig* previous = nullptr);

struct ConfigAnswerRead {
  ConfigReadResult read;
  // The answer's "token" when it is a JSON string (wire contract §9); its
  // shape is the token policy's business, not checked here.
  std::optional<std::string> token;
  bool token_not_a_string = false;  // "token" present with another type
};

// An answer from the API: the top level must be an object whose "config"
// is an object (rule 1); anything else fails as a whole.
[[nodiscard]] Result<ConfigAnswerRead> read_config_answer(std::string_view answer_text, const RemoteConfig* previous);

}  // namespace fivenines
