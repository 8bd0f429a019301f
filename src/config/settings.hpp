// Local settings: CLI flags > process environment > CONFIG_DIR/.env >
// defaults (wire contract §2.2–2.4). A bad local setting is fatal (exit 2);
// an odd but usable one (an unknown LOG_LEVEL) is a warning.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "identity/token_policy.hpp"
#include "identity/user_context.hpp"
#include "platform/host_paths.hpp"
#include "util/log.hpp"
#include "util/result.hpp"

namespace fivenines {

inline constexpr const char* k_default_config_dir = "/etc/fivenines_agent";
inline constexpr const char* k_default_api_url = "api.fivenines.io";

struct CommandLine {
  bool dry_run = false;
  bool show_version = false;
  bool show_help = false;
  std::optional<std::string> config_file;
  std::optional<std::string> proc_root;
  std::optional<std::string> sys_root;
};

// Parses argv (without argv[0]). Accepts "--flag value" and "--flag=value".
// Errors are one line, e.g. "unknown option '--foo'".
[[nodiscard]] Result<CommandLine> parse_command_line(std::span<const char* const> args);

[[nodiscard]] std::string usage_text();

// Variables as the agent sees them: the process environment first, then
// values from CONFIG_DIR/.env that the environment does not already set.
class Environment {
 public:
  using Lookup = std::function<std::optional<std::string>(const std::string&)>;
  explicit Environment(Lookup process) : m_process(std::move(process)) {}
  static Environment from_process();

  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
  [[nodiscard]] std::optional<std::string> get_process_only(const std::string& name) const { return m_process(name); }
  void add_dotenv(const std::string& name, const std::string& value) { m_dotenv.emplace(name, value); }

 private:
  Lookup m_process;
  std::map<std::string, std::string> m_dotenv;
};

struct Settings {
  bool dry_run = false;
  std::optional<std::string> config_file;
  HostPaths paths;
  std::string config_dir = k_default_config_dir;
  std::string api_url = k_default_api_url;
  LogLevel log_level = LogLevel::info;
  // TOKEN_ROTATION (identity/token_policy.hpp). An unknown value is fatal
  // (exit 2), not a warning: the setting exists to restrict who may replace
  // the token, and a typo ("bund") falling back to a default could accept a
  // token the operator meant to refuse (enrollment takes an unbound first
  // token that bound would refuse).
  TokenRotation token_rotation = TokenRotation::enrollment;
  // USER_CONTEXT (identity/user_context.hpp). An unknown value is a warning
  // and gives minimal: the fallback sends less, never more.
  UserContextForm user_context_form = UserContextForm::minimal;
  std::vector<std::string> warnings;  // to log once the logger is set up
};

// Resolves the settings; loads CONFIG_DIR/.env into `env` (CONFIG_DIR itself
// comes from the process environment only, so .env cannot move it).
[[nodiscard]] Result<Settings> resolve_settings(const CommandLine& command_line, Environment& env);

}  // namespace fivenines
