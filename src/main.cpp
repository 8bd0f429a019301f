// fivenines-agent: argv → settings → dry run or the agent loop.
#include <unistd.h>

#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "agent/agent.hpp"
#include "agent/dry_run.hpp"
#include "config/config_check.hpp"
#include "config/settings.hpp"
#include "util/log.hpp"

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "fivenines-agent: %s (see --help)\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fivenines;
  const std::span<const char* const> args(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0));
  // `config check [FILE|-]`: a subcommand with its own arguments.
  if (!args.empty() && args[0] != nullptr && std::string_view(args[0]) == "config") {
    return run_config_command(args.subspan(1));
  }
  auto command_line = parse_command_line(args);
  if (!command_line) return usage_error(command_line.error().message);
  if (command_line->show_help) {
    std::fputs(usage_text().c_str(), stdout);
    return 0;
  }
  if (command_line->show_version) {
    std::printf("fivenines-agent %s\n", FIVENINES_VERSION);
    return 0;
  }

  auto env = Environment::from_process();
  auto settings = resolve_settings(*command_line, env);
  if (!settings) return usage_error(settings.error().message);
  set_log_level(settings->log_level);
  // Continuous mode logs on stdout as the reference does; a dry run keeps
  // stdout for the payload.
  if (!settings->dry_run) set_log_output_fd(STDOUT_FILENO);
  for (const auto& warning : settings->warnings) log_warn(warning);

  if (settings->dry_run) return run_dry_run(*settings);

  return run_agent(*settings);
}
