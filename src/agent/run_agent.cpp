// main's continuous mode: signals, the transport, the agent. Its own file
// so that tests linking the Agent do not pull in the real transport.
#include <signal.h>

#include "agent/agent.hpp"
#include "agent/signals.hpp"
#include "agent/transport_factory.hpp"
#include "identity/local_security.hpp"
#include "util/log.hpp"

namespace fivenines {

int run_agent(const Settings& settings) {
  // Before the token is read: another process of the same user must not
  // ptrace this one or read its memory through /proc (issue 5).
  if (auto status = make_process_non_dumpable(); !status) {
    log_error(status.error().message + ": refusing to hold the token in a dumpable process");
    return 2;
  }
  // First, before any thread exists: every later thread inherits the mask.
  SignalWatcher signals;
  // A peer that closes a socket (or a closed stderr) must not kill us;
  // errors come back as EPIPE instead.
  ::signal(SIGPIPE, SIG_IGN);
  Agent agent(settings, AgentDeps{[&settings] { return make_transport(settings); }, {}});
  auto started = signals.start([&agent] { agent.request_stop(); }, [&agent] { agent.request_reprobe(); });
  if (!started) {
    log_error(started.error().message);
    return 2;
  }
  const int exit_code = agent.run();
  // The watcher's handlers use `agent`: end the thread before it goes.
  signals.stop();
  return exit_code;
}

}  // namespace fivenines
