// Start-up pieces shared by the dry run and continuous mode: the host's
// identity for the static fields, the capability banner, and the names of
// environment variables that probed programs must not see.
#pragma once

#include <string>
#include <vector>

#include "agent/static_fields.hpp"
#include "capabilities/capabilities.hpp"
#include "config/settings.hpp"
#include "identity/machine_id.hpp"

namespace fivenines {

// uname, boot time, user context, machine id (read only, or created when
// missing). Logs where the machine id came from, or why there is none.
[[nodiscard]] HostIdentity read_host_identity(const Settings& settings, MachineIdMode machine_id_mode);

// The capability banner (§7.5) on stderr, when info logging is on.
void print_capabilities_banner(const CapabilitySet& capabilities);

// Environment variable names a child process must not see: API_URL, the
// systemd notification variables, and every variable of ours whose name
// looks like it holds a secret (TOKEN, SECRET, PASSWORD, PASSWD, API_KEY,
// APIKEY, CREDENTIAL, any case). The agent never puts its token in the
// environment; this keeps an operator's own such variables from probes.
[[nodiscard]] std::vector<std::string> child_env_deny_list();

}  // namespace fivenines
