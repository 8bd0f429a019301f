// `user_context` (wire contract §3.1): who the agent runs as and whether it
// is a per-user install. Computed once at start-up; NSS lookups (passwd,
// group) may be slow on LDAP hosts, so never per tick.
#pragma once

#include <sys/types.h>

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
  // Supplementary groups from getgroups(2), in its order. Ids are kept so a
  // later "minimal" form can derive flags (docker, systemd-journal, ...)
  // without sending names.
  std::vector<gid_t> group_ids;
  std::vector<std::string> groups;  // names, or the number as text
  bool is_root = false;             // uid == 0
  bool is_user_install = false;     // config_dir lies inside home_dir
  std::string config_dir;
  std::string home_dir;
};

// Which shape of user_context to write. Only the reference's full form
// exists today; a minimal form (derived group flags instead of names) is
// planned and will be another enumerator.
enum class UserContextForm { full };

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

void write_user_context(JsonWriter& out, const UserContext& context, UserContextForm form = UserContextForm::full);

}  // namespace fivenines
