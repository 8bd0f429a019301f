#include "config/settings.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include "config/dotenv.hpp"
#include "platform/file_read.hpp"

namespace fivenines {

namespace {

constexpr std::size_t k_dotenv_max_bytes = 64 * 1024;

bool is_directory(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status check_root(const std::string& what, const std::string& path) {
  if (path.empty()) return make_error(ErrorKind::invalid_config, what + ": empty path");
  if (!is_directory(path)) return make_error(ErrorKind::invalid_config, what + " " + path + ": not a directory");
  return Ok{};
}

}  // namespace

std::string usage_text() {
  return "usage: fivenines-agent [--dry-run] [--config FILE] [--proc-root DIR] [--sys-root DIR] [--version] [--help]\n"
         "       fivenines-agent config check [FILE|-]\n"
         "\n"
         "  --dry-run         collect once, print the payload as JSON on stdout, send nothing\n"
         "  --config FILE     with --dry-run: use this config object instead of the built-in one\n"
         "  --proc-root DIR   read DIR instead of /proc (env PROC_ROOT)\n"
         "  --sys-root DIR    read DIR instead of /sys (env SYS_ROOT)\n"
         "  --version         print the version and exit\n"
         "  --help            print this help and exit\n"
         "  config check      validate a config (FILE, or stdin for - or none): the result as JSON\n"
         "                    on stdout, one line per dropped or altered item on stderr\n"
         "\n"
         "environment: CONFIG_DIR (default /etc/fivenines_agent), API_URL, DRY_RUN=true, LOG_LEVEL\n"
         "(debug, info, warn, error), PROC_ROOT, SYS_ROOT; CONFIG_DIR/.env is read too.\n"
         "  TOKEN_ROTATION    when a token in an api answer may replace TOKEN: enrollment (default:\n"
         "                    only the installer's token is ever replaced, once), bound (only with a\n"
         "                    token_binding HMAC keyed by the current token), always\n"
         "  USER_CONTEXT      minimal (default: user_context in get_config requests only, group\n"
         "                    names reduced to flags, no paths) or full (every payload, as the\n"
         "                    reference agent)\n";
}

Result<CommandLine> parse_command_line(std::span<const char* const> args) {
  CommandLine out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i] ? args[i] : "";
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      const std::size_t equals = arg.find('=');
      if (equals != std::string::npos) {
        inline_value = arg.substr(equals + 1);
        arg.resize(equals);
      }
    }
    const auto take_value = [&](std::optional<std::string>& slot) -> Status {
      if (slot) return make_error(ErrorKind::invalid_config, "option '" + arg + "' given twice");
      if (inline_value) {
        slot = *inline_value;
      } else if (i + 1 < args.size() && args[i + 1] != nullptr) {
        slot = args[++i];
      } else {
        return make_error(ErrorKind::invalid_config, "option '" + arg + "' needs a value");
      }
      if (slot->empty()) return make_error(ErrorKind::invalid_config, "option '" + arg + "' needs a non-empty value");
      return Ok{};
    };
    const auto flag = [&](bool& slot) -> Status {
      if (inline_value) return make_error(ErrorKind::invalid_config, "option '" + arg + "' takes no value");
      slot = true;
      return Ok{};
    };
    Status status = Ok{};
    if (arg == "--dry-run") status = flag(out.dry_run);
    else if (arg == "--version") status = flag(out.show_version);
    else if (arg == "--help" || arg == "-h") status = flag(out.show_help);
    else if (arg == "--config") status = take_value(out.config_file);
    else if (arg == "--proc-root") status = take_value(out.proc_root);
    else if (arg == "--sys-root") status = take_value(out.sys_root);
    else if (arg.rfind("-", 0) == 0) status = make_error(ErrorKind::invalid_config, "unknown option '" + arg + "'");
    else status = make_error(ErrorKind::invalid_config, "unexpected argument '" + arg + "'");
    if (!status) return status.error();
  }
  return out;
}

Environment Environment::from_process() {
  return Environment([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

std::optional<std::string> Environment::get(const std::string& name) const {
  if (auto value = m_process(name)) return value;
  const auto it = m_dotenv.find(name);
  if (it == m_dotenv.end()) return std::nullopt;
  return it->second;
}

Result<Settings> resolve_settings(const CommandLine& command_line, Environment& env) {
  Settings settings;
  if (auto dir = env.get_process_only("CONFIG_DIR"); dir && !dir->empty()) settings.config_dir = *dir;

  const std::string dotenv_path = settings.config_dir + "/.env";
  auto dotenv_text = read_file(dotenv_path, k_dotenv_max_bytes);
  if (dotenv_text) {
    auto parsed = parse_dotenv(*dotenv_text);
    for (auto& warning : parsed.warnings) settings.warnings.push_back(dotenv_path + ": " + warning + " (skipped)");
    for (auto& [name, value] : parsed.values) {
      if (name == "CONFIG_DIR") {
        settings.warnings.push_back(dotenv_path + ": CONFIG_DIR cannot be set in .env (ignored)");
        continue;
      }
      env.add_dotenv(name, value);
    }
  } else if (dotenv_text.error().kind != ErrorKind::absent) {
    settings.warnings.push_back(dotenv_text.error().message + " (ignored)");
  }

  settings.dry_run = command_line.dry_run || env.get("DRY_RUN") == std::optional<std::string>("true");
  if (auto url = env.get("API_URL"); url && !url->empty()) settings.api_url = *url;
  if (auto level = env.get("LOG_LEVEL"); level && !level->empty()) {
    if (!parse_log_level(*level, settings.log_level)) {
      settings.warnings.push_back("LOG_LEVEL '" + *level + "' is not one of debug, info, warn, error: using info");
      settings.log_level = LogLevel::info;
    }
  }

  const auto rotation = parse_token_rotation(env.get("TOKEN_ROTATION"));
  if (rotation.warning) {
    // The parser's text ends with its fallback ("; using enrollment"): this
    // setting refuses to fall back (see settings.hpp).
    std::string message = *rotation.warning;
    if (const auto cut = message.rfind("; using "); cut != std::string::npos) message.resize(cut);
    return make_error(ErrorKind::invalid_config, message);
  }
  settings.token_rotation = rotation.rotation;
  const auto user_context = parse_user_context_form(env.get("USER_CONTEXT"));
  if (user_context.warning) settings.warnings.push_back(*user_context.warning);
  settings.user_context_form = user_context.form;

  if (command_line.proc_root) {
    settings.paths.proc = *command_line.proc_root;
    if (auto status = check_root("--proc-root", settings.paths.proc); !status) return status.error();
  } else if (auto root = env.get("PROC_ROOT"); root && !root->empty()) {
    settings.paths.proc = *root;
    if (auto status = check_root("PROC_ROOT", settings.paths.proc); !status) return status.error();
  }
  if (command_line.sys_root) {
    settings.paths.sys = *command_line.sys_root;
    if (auto status = check_root("--sys-root", settings.paths.sys); !status) return status.error();
  } else if (auto root = env.get("SYS_ROOT"); root && !root->empty()) {
    settings.paths.sys = *root;
    if (auto status = check_root("SYS_ROOT", settings.paths.sys); !status) return status.error();
  }
  // "/proc/" and "/proc" are the same live tree.
  while (settings.paths.proc.size() > 1 && settings.paths.proc.back() == '/') settings.paths.proc.pop_back();
  while (settings.paths.sys.size() > 1 && settings.paths.sys.back() == '/') settings.paths.sys.pop_back();

  settings.config_file = command_line.config_file;
  if (settings.config_file && !settings.dry_run) {
    return make_error(ErrorKind::invalid_config, "--config is only used with --dry-run");
  }
  return settings;
}

}  // namespace fivenines
