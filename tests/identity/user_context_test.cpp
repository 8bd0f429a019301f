#include "identity/user_context.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace fivenines {
namespace {

TEST(IsUnderHome, ComparesWholePathComponents) {
  EXPECT_TRUE(is_under_home("/home/al/.config/fivenines_agent", "/home/al"));
  EXPECT_TRUE(is_under_home("/home/al", "/home/al"));
  EXPECT_TRUE(is_under_home("/home/al/", "/home/al"));
  EXPECT_TRUE(is_under_home("/home/al/.config/fivenines_agent", "/home/al/"));
  // A plain prefix test (the reference's) would say true here.
  EXPECT_FALSE(is_under_home("/home/alice/.config/fivenines_agent", "/home/al"));
  EXPECT_FALSE(is_under_home("/home/al2", "/home/al"));
  EXPECT_FALSE(is_under_home("/etc/fivenines_agent", "/home/al"));
  EXPECT_FALSE(is_under_home("/etc/fivenines_agent", "/root"));
  EXPECT_FALSE(is_under_home("/home", "/home/al"));
}

TEST(IsUnderHome, RootRelativeOrEmptyHomeMatchesNothing) {
  EXPECT_FALSE(is_under_home("/etc/fivenines_agent", "/"));
  EXPECT_FALSE(is_under_home("/etc/fivenines_agent", "//"));
  EXPECT_FALSE(is_under_home("/etc/fivenines_agent", ""));
  EXPECT_FALSE(is_under_home("~/x", "~"));
  EXPECT_FALSE(is_under_home("home/al/x", "home/al"));
}

TEST(ResolveHomeDir, FollowsPythonExpanduser) {
  EXPECT_EQ(resolve_home_dir("/home/al", "/var/lib/other"), "/home/al");  // $HOME wins
  EXPECT_EQ(resolve_home_dir(nullptr, "/var/lib/fivenines"), "/var/lib/fivenines");
  EXPECT_EQ(resolve_home_dir("/home/al///", nullptr), "/home/al");
  EXPECT_EQ(resolve_home_dir("", "/home/al"), "/");  // set but empty
  EXPECT_EQ(resolve_home_dir("/", nullptr), "/");
  EXPECT_EQ(resolve_home_dir(nullptr, nullptr), "~");
}

TEST(UserContext, LiveProcessFullForm) {
  const auto context = collect_user_context("/etc/fivenines_agent", "/root");
  ASSERT_TRUE(context.resolved);
  EXPECT_EQ(context.uid, ::getuid());
  EXPECT_EQ(context.euid, ::geteuid());
  EXPECT_EQ(context.gid, ::getgid());
  EXPECT_EQ(context.is_root, ::getuid() == 0);
  EXPECT_EQ(context.home_dir, "/root");
  EXPECT_FALSE(context.is_user_install);
  const struct passwd* user = ::getpwuid(::getuid());
  EXPECT_EQ(context.username, user != nullptr ? std::string(user->pw_name) : std::to_string(::getuid()));
  const struct group* primary = ::getgrgid(::getgid());
  EXPECT_EQ(context.groupname, primary != nullptr ? std::string(primary->gr_name) : std::to_string(::getgid()));
  const int count = ::getgroups(0, nullptr);
  ASSERT_GE(count, 0);
  EXPECT_EQ(context.groups.size(), static_cast<std::size_t>(count));
  EXPECT_EQ(context.group_ids.size(), context.groups.size());

  JsonWriter out;
  write_user_context(out, context);
  const auto parsed = nlohmann::ordered_json::parse(out.text());
  std::vector<std::string> keys;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"username", "uid", "euid", "gid", "groupname", "groups", "is_root",
                                            "is_user_install", "config_dir", "home_dir"}));
  EXPECT_TRUE(parsed["uid"].is_number_unsigned() || parsed["uid"].is_number_integer());
  EXPECT_TRUE(parsed["groups"].is_array());
  EXPECT_EQ(parsed["config_dir"], "/etc/fivenines_agent");
}

TEST(UserContext, UserInstallUnderHome) {
  EXPECT_TRUE(collect_user_context("/home/al/.config/fivenines_agent", "/home/al").is_user_install);
  EXPECT_FALSE(collect_user_context("/home/alice/.config/fivenines_agent", "/home/al").is_user_install);
}

TEST(UserContext, HomeFromPasswdWhenHomeIsUnset) {
  const struct passwd* user = ::getpwuid(::getuid());
  if (user == nullptr) GTEST_SKIP() << "uid not in passwd";
  const auto context = collect_user_context("/etc/fivenines_agent", nullptr);
  EXPECT_EQ(context.home_dir, resolve_home_dir(nullptr, user->pw_dir));
}

TEST(UserContext, WritesTheReferenceShape) {
  UserContext context;
  context.resolved = true;
  context.username = "root";
  context.groupname = "root";
  context.is_root = true;
  context.config_dir = "/CONFIG_DIR_PLACEHOLDER";
  context.home_dir = "/root";
  JsonWriter out;
  write_user_context(out, context);
  EXPECT_EQ(out.text(),
            R"({"username": "root", "uid": 0, "euid": 0, "gid": 0, "groupname": "root", "groups": [], )"
            R"("is_root": true, "is_user_install": false, "config_dir": "/CONFIG_DIR_PLACEHOLDER", "home_dir": "/root"})");
}

TEST(UserContext, UnknownIdsAndNames) {
  UserContext context;
  context.resolved = true;
  context.username = "1234";
  context.uid = 1234;
  context.euid = 1234;
  context.gid = 999;
  context.groupname = "999";
  context.group_ids = {27, 4242};
  context.groups = {"sudo", "4242"};
  context.config_dir = "/home/u/.config/fivenines_agent";
  context.home_dir = "/home/u";
  context.is_user_install = true;
  JsonWriter out;
  write_user_context(out, context);
  EXPECT_EQ(out.text(),
            R"({"username": "1234", "uid": 1234, "euid": 1234, "gid": 999, "groupname": "999", )"
            R"("groups": ["sudo", "4242"], "is_root": false, "is_user_install": true, )"
            R"("config_dir": "/home/u/.config/fivenines_agent", "home_dir": "/home/u"})");
}

TEST(UserContext, FailureForm) {
  JsonWriter out;
  write_user_context(out, UserContext{});
  EXPECT_EQ(out.text(), R"({"username": "unknown", "is_root": false, "is_user_install": false})");
}

UserContext sample_context() {
  UserContext context;
  context.resolved = true;
  context.username = "fivenines";
  context.uid = 998;
  context.euid = 998;
  context.gid = 997;
  context.groupname = "fivenines";
  context.group_ids = {997, 101, 4, 4242};
  context.groups = {"fivenines", "systemd-journal", "adm", "4242"};
  context.config_dir = "/etc/fivenines_agent";
  context.home_dir = "/var/lib/fivenines";
  return context;
}

TEST(UserContext, MinimalFormExactly) {
  JsonWriter out;
  write_user_context(out, sample_context(), UserContextForm::minimal);
  EXPECT_EQ(out.text(),
            R"({"username": "fivenines", "uid": 998, "euid": 998, "gid": 997, "groupname": "fivenines", )"
            R"("is_root": false, "is_user_install": false, "in_docker_group": false, "in_libvirt_group": false, )"
            R"("in_sudo_group": false, "in_systemd_journal_group": true, "in_adm_group": true})");
}

TEST(UserContext, FullFormExactly) {
  JsonWriter out;
  write_user_context(out, sample_context(), UserContextForm::full);
  EXPECT_EQ(out.text(),
            R"({"username": "fivenines", "uid": 998, "euid": 998, "gid": 997, "groupname": "fivenines", )"
            R"("groups": ["fivenines", "systemd-journal", "adm", "4242"], "is_root": false, "is_user_install": false, )"
            R"("config_dir": "/etc/fivenines_agent", "home_dir": "/var/lib/fivenines"})");
}

TEST(UserContext, MinimalRootUserInstall) {
  UserContext context;
  context.resolved = true;
  context.username = "root";
  context.groupname = "root";
  context.groups = {"root", "docker", "wheel", "libvirt"};
  context.is_root = true;
  context.is_user_install = true;
  context.config_dir = "/root/.config/fivenines_agent";
  context.home_dir = "/root";
  JsonWriter out;
  write_user_context(out, context, UserContextForm::minimal);
  EXPECT_EQ(out.text(),
            R"({"username": "root", "uid": 0, "euid": 0, "gid": 0, "groupname": "root", "is_root": true, )"
            R"("is_user_install": true, "in_docker_group": true, "in_libvirt_group": true, "in_sudo_group": true, )"
            R"("in_systemd_journal_group": false, "in_adm_group": false})");
  EXPECT_EQ(out.text().find("/root"), std::string::npos);  // neither config_dir nor home_dir
}

TEST(GroupFlags, EachFlagFromItsNames) {
  const auto flags_for = [](std::string primary, std::vector<std::string> groups) {
    UserContext context;
    context.resolved = true;
    context.groupname = std::move(primary);
    context.groups = std::move(groups);
    return derive_group_flags(context);
  };
  EXPECT_TRUE(flags_for("docker", {}).docker);  // the primary group counts
  EXPECT_TRUE(flags_for("users", {"docker"}).docker);
  EXPECT_TRUE(flags_for("users", {"libvirt"}).libvirt);
  EXPECT_TRUE(flags_for("users", {"libvirtd"}).libvirt);
  for (const char* name : {"sudo", "wheel", "admin"}) EXPECT_TRUE(flags_for("users", {name}).sudo) << name;
  EXPECT_TRUE(flags_for("users", {"systemd-journal"}).systemd_journal);
  EXPECT_TRUE(flags_for("adm", {}).adm);
  const auto none = flags_for("users", {"Docker", "dockerroot", "sudoers", "999", "systemd_journal", "admins"});
  EXPECT_FALSE(none.docker || none.libvirt || none.sudo || none.systemd_journal || none.adm);
}

TEST(UserContext, FailureFormInBothForms) {
  for (const auto form : {UserContextForm::minimal, UserContextForm::full}) {
    JsonWriter out;
    write_user_context(out, UserContext{}, form);
    EXPECT_EQ(out.text(), R"({"username": "unknown", "is_root": false, "is_user_install": false})");
  }
}

TEST(UserContext, LiveProcessMinimalForm) {
  const auto context = collect_user_context("/etc/fivenines_agent", "/root");
  ASSERT_TRUE(context.resolved);
  JsonWriter out;
  write_user_context(out, context, UserContextForm::minimal);
  const auto parsed = nlohmann::ordered_json::parse(out.text());
  std::vector<std::string> keys;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"username", "uid", "euid", "gid", "groupname", "is_root", "is_user_install",
                                            "in_docker_group", "in_libvirt_group", "in_sudo_group",
                                            "in_systemd_journal_group", "in_adm_group"}));
  EXPECT_EQ(parsed["uid"], ::getuid());
  const struct group* docker = ::getgrnam("docker");
  bool member = docker != nullptr && docker->gr_gid == ::getgid();
  for (const gid_t id : context.group_ids) member = member || (docker != nullptr && docker->gr_gid == id);
  EXPECT_EQ(parsed["in_docker_group"], member);
}

TEST(UserContextSetting, DefaultsToMinimalSilently) {
  for (const auto& value : {std::optional<std::string_view>(), std::optional<std::string_view>(""),
                            std::optional<std::string_view>(" \n")}) {
    const auto setting = parse_user_context_form(value);
    EXPECT_EQ(setting.form, UserContextForm::minimal);
    EXPECT_FALSE(setting.warning);
  }
  EXPECT_EQ(parse_user_context_form("minimal").form, UserContextForm::minimal);
  EXPECT_EQ(parse_user_context_form("full").form, UserContextForm::full);
  EXPECT_EQ(parse_user_context_form(" FULL\n").form, UserContextForm::full);
  EXPECT_FALSE(parse_user_context_form("Full").warning);
}

TEST(UserContextSetting, UnknownValueFallsBackWithAWarning) {
  const auto setting = parse_user_context_form("all");
  EXPECT_EQ(setting.form, UserContextForm::minimal);
  EXPECT_EQ(setting.warning, "USER_CONTEXT: unknown value 'all' (expected minimal or full); using minimal");
  const auto odd = parse_user_context_form("fu\nll");
  EXPECT_EQ(odd.form, UserContextForm::minimal);
  EXPECT_EQ(odd.warning, "USER_CONTEXT: unknown value 'fu?ll' (expected minimal or full); using minimal");
}

TEST(UserContextRides, MinimalOnlyInGetConfig) {
  EXPECT_TRUE(user_context_rides(UserContextForm::minimal, RequestKind::get_config));
  EXPECT_FALSE(user_context_rides(UserContextForm::minimal, RequestKind::metrics));
  EXPECT_TRUE(user_context_rides(UserContextForm::full, RequestKind::get_config));
  EXPECT_TRUE(user_context_rides(UserContextForm::full, RequestKind::metrics));
}

}  // namespace
}  // namespace fivenines
