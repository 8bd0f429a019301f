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

}  // namespace
}  // namespace fivenines
