// `user_context` (wire contract §3.1): who the agent runs as and whether it
// is a per-user install. Computed once at start-up; NSS lookups (passwd,
// group) may be slow on LDAP hosts, so never per tick.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_writer.hpp"

namespace fivenines {

struct UserContext {
  // False when the process identity could not be read: the payload then
  // carries only {"username": "unknown", "is_root": false, "is_user_install": false}.
  bool resolved = false;
  std::string username;  // of the real uid; the number as text when unknown to NSS
  uid_t uid = 0;
  uid_t euid = 0;
  gid_t gid = 0;
  std::string groupname;  // of the real gid; the number as text when unknown
  // Supplementary groups from getgroups(2), in its order.
  std::vector<gid_t> group_ids;
  std::vector<std::string> groups;  // names, or the number as text
  bool is_root = false;             // uid == 0
  bool is_user_install = false;     // config_dir lies inside home_dir
  std::string config_dir;
  std::string home_dir;
};

// Which shape of user_context to write; setting USER_CONTEXT.
//   minimal (default): username, uid, euid, gid, groupname, is_root,
//     is_user_install, then flags derived from the group names instead of
//     the names themselves (the names of a host's groups say more about it
//     than the server needs):
//       in_docker_group           member of "docker"
//       in_libvirt_group          member of "libvirt" (or "libvirtd", its
//                                 name on older Debian and Ubuntu)
//       in_sudo_group             member of "sudo", "wheel" or "admin"
//       in_systemd_journal_group  member of "systemd-journal"
//       in_adm_group              member of "adm"
//     Membership counts the primary group (groupname) and the supplementary
//     groups. No groups, config_dir or home_dir. Sent in get_config requests
//     only (user_context_rides).
//   full: the reference's fields (wire contract §3.1), in every payload.
// A context that could not be resolved is written in the reference's
// failure form in both.
enum class UserContextForm { minimal, full };

struct UserContextSetting {
  UserContextForm form = UserContextForm::minimal;
  // Set for an unknown value, e.g. "USER_CONTEXT: unknown value 'all'
  // (expected minimal or full); using minimal".
  std::optional<std::string> warning;
};

// `value`: USER_CONTEXT as the agent sees it (env or .env), nullopt when
// unset. Unset or empty gives the default silently; ASCII case is ignored.
[[nodiscard]] UserContextSetting parse_user_context_form(std::optional<std::string_view> value);

// Which request a payload is.
enum class RequestKind {
  get_config,  // {"get_config": true, <static fields>}: enrollment, re-asking
  metrics,     // a metric payload (every tick)
};

// Whether `user_context` is part of a request of `kind`: always under
// `full` (the reference), only in get_config requests under `minimal`.
[[nodiscard]] bool user_context_rides(UserContextForm form, RequestKind kind);

struct GroupFlags {
  bool docker = false;
  bool libvirt = false;
  bool sudo = false;
  bool systemd_journal = false;
  bool adm = false;
};

// The minimal form's flags, from groupname and groups (names unknown to NSS
// are numbers and match nothing).
[[nodiscard]] GroupFlags derive_group_flags(const UserContext& context);

// Reads the identity of this process. `config_dir` is the agent's config
// directory as configured (§2.2); `home_env` the value of $HOME or nullptr
// when unset (the caller passes std::getenv("HOME")).
[[nodiscard]] UserContext collect_user_context(std::string_view config_dir, const char* home_env);

// The home directory the way Python's os.path.expanduser("~") finds it:
// $HOME when set (even empty), else the passwd entry's directory; trailing
// slashes dropped, an empty result is "/"; "~" when neither is known.
[[nodiscard]] std::string resolve_home_dir(const char* home_env, const char* passwd_dir);

// True when `config_dir` is `home_dir` or lies below it, comparing whole
// path components: "/home/alice/x" is not under "/home/al". The reference
// tests a plain string prefix; we deliberately do not. A home of "/" (or a
// relative or empty one) makes nothing a user install.
[[nodiscard]] bool is_under_home(std::string_view config_dir, std::string_view home_dir);

// Writes the object. The default argument keeps today's callers on the
// reference form until they pass the configured form.
void write_user_context(JsonWriter& out, const UserContext& context, UserContextForm form = UserContextForm::full);

}  // namespace fivenines
