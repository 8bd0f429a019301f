#include "identity/user_context.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>

#include "util/text.hpp"

namespace fivenines {

namespace {

// NSS entries (a group listing thousands of members) can exceed any fixed
// buffer; grow on ERANGE up to a sane bound.
constexpr std::size_t k_nss_buffer_start_bytes = 4096;
constexpr std::size_t k_nss_buffer_max_bytes = 1 << 20;

template <typename Entry, typename Lookup>
bool nss_lookup(Lookup lookup, Entry& entry, std::vector<char>& buffer) {
  if (buffer.size() < k_nss_buffer_start_bytes) buffer.resize(k_nss_buffer_start_bytes);
  for (;;) {
    Entry* found = nullptr;
    const int rc = lookup(&entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < k_nss_buffer_max_bytes) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc == EINTR) continue;
    return rc == 0 && found != nullptr;
  }
}

void write_common_head(JsonWriter& out, const UserContext& context) {
  out.key("username");
  out.string(context.username);
  out.key("uid");
  out.unsigned_integer(context.uid);
  out.key("euid");
  out.unsigned_integer(context.euid);
  out.key("gid");
  out.unsigned_integer(context.gid);
  out.key("groupname");
  out.string(context.groupname);
}

std::string group_name(gid_t gid, std::vector<char>& buffer) {
  struct group entry{};
  const bool found = nss_lookup(
      [gid](struct group* out, char* data, std::size_t size, struct group** result) {
        return ::getgrgid_r(gid, out, data, size, result);
      },
      entry, buffer);
  if (found && entry.gr_name != nullptr) return entry.gr_name;
  return std::to_string(gid);
}

}  // namespace

std::string resolve_home_dir(const char* home_env, const char* passwd_dir) {
  const char* source = home_env != nullptr ? home_env : passwd_dir;
  if (source == nullptr) return "~";
  std::string home(source);
  while (!home.empty() && home.back() == '/') home.pop_back();
  return home.empty() ? "/" : home;
}

bool is_under_home(std::string_view config_dir, std::string_view home_dir) {
  while (home_dir.size() > 1 && home_dir.back() == '/') home_dir.remove_suffix(1);
  if (home_dir.empty() || home_dir.front() != '/' || home_dir == "/") return false;
  if (config_dir.substr(0, home_dir.size()) != home_dir) return false;
  return config_dir.size() == home_dir.size() || config_dir[home_dir.size()] == '/';
}

UserContextSetting parse_user_context_form(std::optional<std::string_view> value) {
  UserContextSetting out;
  if (!value) return out;
  const std::string_view text = trim(*value);
  if (text.empty()) return out;
  if (equals_ignoring_ascii_case(text, "minimal")) return out;
  if (equals_ignoring_ascii_case(text, "full")) {
    out.form = UserContextForm::full;
    return out;
  }
  out.warning = "USER_CONTEXT: unknown value " + quoted_excerpt(text) + " (expected minimal or full); using minimal";
  return out;
}

bool user_context_rides(UserContextForm form, RequestKind kind) {
  return form == UserContextForm::full || kind == RequestKind::get_config;
}

GroupFlags derive_group_flags(const UserContext& context) {
  GroupFlags flags;
  const auto note = [&flags](std::string_view name) {
    if (name == "docker") flags.docker = true;
    if (name == "libvirt" || name == "libvirtd") flags.libvirt = true;
    if (name == "sudo" || name == "wheel" || name == "admin") flags.sudo = true;
    if (name == "systemd-journal") flags.systemd_journal = true;
    if (name == "adm") flags.adm = true;
  };
  note(context.groupname);
  for (const auto& name : context.groups) note(name);
  return flags;
}

UserContext collect_user_context(std::string_view config_dir, const char* home_env) {
  UserContext context;
  context.uid = ::getuid();
  context.euid = ::geteuid();
  context.gid = ::getgid();
  context.is_root = context.uid == 0;
  context.config_dir = std::string(config_dir);

  std::vector<char> buffer;
  struct passwd user{};
  const uid_t uid = context.uid;
  const bool known_user = nss_lookup(
      [uid](struct passwd* out, char* data, std::size_t size, struct passwd** result) {
        return ::getpwuid_r(uid, out, data, size, result);
      },
      user, buffer);
  context.username = known_user && user.pw_name != nullptr ? std::string(user.pw_name) : std::to_string(uid);
  context.home_dir = resolve_home_dir(home_env, known_user ? user.pw_dir : nullptr);
  context.is_user_install = is_under_home(context.config_dir, context.home_dir);
  context.groupname = group_name(context.gid, buffer);

  // The count can change between the two calls (it does not in practice:
  // only a privileged process changes its own groups); retry a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const int count = ::getgroups(0, nullptr);
    if (count < 0) return UserContext{};
    context.group_ids.resize(static_cast<std::size_t>(count));
    const int got = ::getgroups(count, context.group_ids.data());
    if (got < 0 && errno == EINVAL) continue;
    if (got < 0) return UserContext{};
    context.group_ids.resize(static_cast<std::size_t>(got));
    context.groups.reserve(context.group_ids.size());
    for (const gid_t id : context.group_ids) context.groups.push_back(group_name(id, buffer));
    context.resolved = true;
    return context;
  }
  return UserContext{};
}

void write_user_context(JsonWriter& out, const UserContext& context, UserContextForm form) {
  out.begin_object();
  if (!context.resolved) {
    out.key("username");
    out.string("unknown");
    out.key("is_root");
    out.boolean(false);
    out.key("is_user_install");
    out.boolean(false);
    out.end_object();
    return;
  }
  write_common_head(out, context);
  switch (form) {
    case UserContextForm::minimal: {
      const GroupFlags flags = derive_group_flags(context);
      out.key("is_root");
      out.boolean(context.is_root);
      out.key("is_user_install");
      out.boolean(context.is_user_install);
      out.key("in_docker_group");
      out.boolean(flags.docker);
      out.key("in_libvirt_group");
      out.boolean(flags.libvirt);
      out.key("in_sudo_group");
      out.boolean(flags.sudo);
      out.key("in_systemd_journal_group");
      out.boolean(flags.systemd_journal);
      out.key("in_adm_group");
      out.boolean(flags.adm);
      break;
    }
    case UserContextForm::full:
      out.key("groups");
      out.begin_array();
      for (const auto& name : context.groups) out.string(name);
      out.end_array();
      out.key("is_root");
      out.boolean(context.is_root);
      out.key("is_user_install");
      out.boolean(context.is_user_install);
      out.key("config_dir");
      out.string(context.config_dir);
      out.key("home_dir");
      out.string(context.home_dir);
      break;
  }
  out.end_object();
}

}  // namespace fivenines
