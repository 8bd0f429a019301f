#include "config/settings.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>

namespace fivenines {
namespace {

Result<CommandLine> parse(std::vector<const char*> args) { return parse_command_line(args); }

Environment fake_env(std::map<std::string, std::string> values) {
  return Environment([values](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

TEST(CommandLineParser, AcceptsAllFlagsInBothForms) {
  const auto cli = parse({"--dry-run", "--config", "c.json", "--proc-root=/p", "--sys-root", "/s"});
  ASSERT_TRUE(cli);
  EXPECT_TRUE(cli->dry_run);
  EXPECT_EQ(cli->config_file, "c.json");
  EXPECT_EQ(cli->proc_root, "/p");
  EXPECT_EQ(cli->sys_root, "/s");
  EXPECT_TRUE(parse({"--version"})->show_version);
  EXPECT_TRUE(parse({"--help"})->show_help);
}

TEST(CommandLineParser, RejectsWithOneLineReasons) {
  EXPECT_EQ(parse({"--bogus"}).error().message, "unknown option '--bogus'");
  EXPECT_EQ(parse({"stray"}).error().message, "unexpected argument 'stray'");
  EXPECT_EQ(parse({"--config"}).error().message, "option '--config' needs a value");
  EXPECT_EQ(parse({"--config="}).error().message, "option '--config' needs a non-empty value");
  EXPECT_EQ(parse({"--dry-run=yes"}).error().message, "option '--dry-run' takes no value");
  EXPECT_EQ(parse({"--proc-root", "/a", "--proc-root", "/b"}).error().message, "option '--proc-root' given twice");
}

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/fivenines-settings-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    m_dir = pattern;
  }
  void TearDown() override { std::system(("rm -rf " + m_dir).c_str()); }
  void write_dotenv(const std::string& text) { std::ofstream(m_dir + "/.env") << text; }
  std::string m_dir;
};

TEST_F(SettingsTest, DefaultsWithoutEnvironment) {
  auto env = fake_env({{"CONFIG_DIR", m_dir}});
  const auto settings = resolve_settings(CommandLine{}, env);
  ASSERT_TRUE(settings);
  EXPECT_FALSE(settings->dry_run);
  EXPECT_EQ(settings->api_url, "api.fivenines.io");
  EXPECT_EQ(settings->log_level, LogLevel::info);
  EXPECT_EQ(settings->paths.proc, "/proc");
  EXPECT_EQ(settings->token_rotation, TokenRotation::enrollment);
  EXPECT_EQ(settings->user_context_form, UserContextForm::minimal);
  EXPECT_TRUE(settings->warnings.empty());
}

TEST_F(SettingsTest, DotenvFillsButNeverOverridesTheEnvironment) {
  write_dotenv("API_URL=from-dotenv:1\nLOG_LEVEL=debug\nDRY_RUN=true\nCONFIG_DIR=/elsewhere\nbroken line\n");
  auto env = fake_env({{"CONFIG_DIR", m_dir}, {"API_URL", "from-env:2"}});
  const auto settings = resolve_settings(CommandLine{}, env);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->api_url, "from-env:2");
  EXPECT_EQ(settings->log_level, LogLevel::debug);
  EXPECT_TRUE(settings->dry_run);
  EXPECT_EQ(settings->config_dir, m_dir);
  ASSERT_EQ(settings->warnings.size(), 2u);
  EXPECT_NE(settings->warnings[0].find("line 5: expected KEY=VALUE"), std::string::npos);
  EXPECT_NE(settings->warnings[1].find("CONFIG_DIR cannot be set in .env"), std::string::npos);
}

TEST_F(SettingsTest, DryRunOnlyForExactlyTrue) {
  auto env = fake_env({{"CONFIG_DIR", m_dir}, {"DRY_RUN", "TRUE"}});
  EXPECT_FALSE(resolve_settings(CommandLine{}, env)->dry_run);
  auto env2 = fake_env({{"CONFIG_DIR", m_dir}, {"DRY_RUN", "true"}});
  EXPECT_TRUE(resolve_settings(CommandLine{}, env2)->dry_run);
}

TEST_F(SettingsTest, UnknownLogLevelFallsBackToInfoWithWarning) {
  auto env = fake_env({{"CONFIG_DIR", m_dir}, {"LOG_LEVEL", "verbose"}});
  const auto settings = resolve_settings(CommandLine{}, env);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->log_level, LogLevel::info);
  ASSERT_EQ(settings->warnings.size(), 1u);
  EXPECT_EQ(settings->warnings[0], "LOG_LEVEL 'verbose' is not one of debug, info, warn, error: using info");
}

TEST_F(SettingsTest, RootsMustBeDirectories) {
  CommandLine cli;
  cli.proc_root = m_dir + "/missing";
  auto env = fake_env({{"CONFIG_DIR", m_dir}});
  const auto settings = resolve_settings(cli, env);
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.error().message, "--proc-root " + m_dir + "/missing: not a directory");

  auto env2 = fake_env({{"CONFIG_DIR", m_dir}, {"SYS_ROOT", m_dir}, {"PROC_ROOT", m_dir + "/"}});
  const auto from_env = resolve_settings(CommandLine{}, env2);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->paths.sys, m_dir);
  EXPECT_EQ(from_env->paths.proc, m_dir);
}

TEST_F(SettingsTest, TokenRotationAndUserContextFromTheEnvironment) {
  auto env = fake_env({{"CONFIG_DIR", m_dir}, {"TOKEN_ROTATION", "Bound"}, {"USER_CONTEXT", " full "}});
  const auto settings = resolve_settings(CommandLine{}, env);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->token_rotation, TokenRotation::bound);
  EXPECT_EQ(settings->user_context_form, UserContextForm::full);
  EXPECT_TRUE(settings->warnings.empty());

  auto env2 = fake_env({{"CONFIG_DIR", m_dir}, {"TOKEN_ROTATION", "always"}, {"USER_CONTEXT", "minimal"}});
  const auto always = resolve_settings(CommandLine{}, env2);
  ASSERT_TRUE(always);
  EXPECT_EQ(always->token_rotation, TokenRotation::always);
  EXPECT_EQ(always->user_context_form, UserContextForm::minimal);
}

TEST_F(SettingsTest, TokenRotationAndUserContextFromDotenvUnlessTheEnvironmentSetsThem) {
  write_dotenv("TOKEN_ROTATION=always\nUSER_CONTEXT=full\n");
  auto env = fake_env({{"CONFIG_DIR", m_dir}});
  const auto from_dotenv = resolve_settings(CommandLine{}, env);
  ASSERT_TRUE(from_dotenv);
  EXPECT_EQ(from_dotenv->token_rotation, TokenRotation::always);
  EXPECT_EQ(from_dotenv->user_context_form, UserContextForm::full);

  auto env2 = fake_env({{"CONFIG_DIR", m_dir}, {"TOKEN_ROTATION", "bound"}, {"USER_CONTEXT", "minimal"}});
  const auto overridden = resolve_settings(CommandLine{}, env2);
  ASSERT_TRUE(overridden);
  EXPECT_EQ(overridden->token_rotation, TokenRotation::bound);
  EXPECT_EQ(overridden->user_context_form, UserContextForm::minimal);
}

TEST_F(SettingsTest, UnknownTokenRotationIsFatalWithOneLineNamingTheValue) {
  auto env = fake_env({{"CONFIG_DIR", m_dir}, {"TOKEN_ROTATION", "bund"}});
  const auto settings = resolve_settings(CommandLine{}, env);
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.error().kind, ErrorKind::invalid_config);
  EXPECT_EQ(settings.error().message, "TOKEN_ROTATION: unknown value 'bund' (expected enrollment, bound or always)");

  write_dotenv("TOKEN_ROTATION=sometimes\n");
  auto env2 = fake_env({{"CONFIG_DIR", m_dir}});
  const auto from_dotenv = resolve_settings(CommandLine{}, env2);
  ASSERT_FALSE(from_dotenv);
  EXPECT_NE(from_dotenv.error().message.find("'sometimes'"), std::string::npos) << from_dotenv.error().message;
}

TEST_F(SettingsTest, UnknownUserContextWarnsAndSendsTheMinimalForm) {
  auto env = fake_env({{"CONFIG_DIR", m_dir}, {"USER_CONTEXT", "everything"}});
  const auto settings = resolve_settings(CommandLine{}, env);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->user_context_form, UserContextForm::minimal);
  ASSERT_EQ(settings->warnings.size(), 1u);
  EXPECT_EQ(settings->warnings[0], "USER_CONTEXT: unknown value 'everything' (expected minimal or full); using minimal");
}

TEST(UsageText, NamesTokenRotationAndUserContextWithTheirValues) {
  const std::string text = usage_text();
  for (const char* word : {"TOKEN_ROTATION", "enrollment", "bound", "always", "USER_CONTEXT", "minimal", "full"}) {
    EXPECT_NE(text.find(word), std::string::npos) << word;
  }
}

TEST_F(SettingsTest, ConfigFileNeedsDryRun) {
  CommandLine cli;
  cli.config_file = "x.json";
  auto env = fake_env({{"CONFIG_DIR", m_dir}});
  EXPECT_EQ(resolve_settings(cli, env).error().message, "--config is only used with --dry-run");
  cli.dry_run = true;
  EXPECT_TRUE(resolve_settings(cli, env));
}

}  // namespace
}  // namespace fivenines
