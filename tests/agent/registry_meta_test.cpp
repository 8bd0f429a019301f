// Every collector in the registry has its fixture folder (with at least one
// case holding an expected.json) and its own test file, and its payload
// keys are unique across the registry.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "collectors/registry.hpp"

namespace fivenines {
namespace {

const std::filesystem::path k_source_dir = FIVENINES_SOURCE_DIR;

TEST(Registry, EveryCollectorHasFixturesAndATestFile) {
  ASSERT_FALSE(collector_registry().empty());
  for (const auto& spec : collector_registry()) {
    const std::string name(spec.name);
    EXPECT_TRUE(std::filesystem::exists(k_source_dir / "src" / "collectors" / (name + ".cpp"))) << name;
    EXPECT_TRUE(std::filesystem::exists(k_source_dir / "tests" / "collectors" / (name + "_test.cpp"))) << name;
    const auto fixtures = k_source_dir / "tests" / "fixtures" / name;
    ASSERT_TRUE(std::filesystem::is_directory(fixtures)) << "no fixture folder for " << name;
    int cases = 0;
    for (const auto& entry : std::filesystem::directory_iterator(fixtures)) {
      if (!entry.is_directory()) continue;
      ++cases;
      EXPECT_TRUE(std::filesystem::exists(entry.path() / "expected.json")) << entry.path();
      EXPECT_TRUE(std::filesystem::exists(entry.path() / "origin.txt")) << entry.path();
    }
    EXPECT_GE(cases, 2) << name << " needs a typical case and at least one awkward one";
  }
}

TEST(Registry, PayloadKeysAreUniqueAndNamed) {
  std::set<std::string_view> keys;
  for (const auto& spec : collector_registry()) {
    ASSERT_FALSE(spec.payload_keys.empty()) << spec.name;
    for (auto key : spec.payload_keys) EXPECT_TRUE(keys.insert(key).second) << "duplicate payload key " << key;
    ASSERT_NE(spec.make, nullptr);
    EXPECT_NE(spec.make(), nullptr) << spec.name;
  }
}

TEST(Registry, CoreConfigEnablesEveryCollector) {
  const auto config = RemoteConfig::core_collectors();
  for (const auto& spec : collector_registry()) EXPECT_TRUE(config_enables(config, spec.config_key)) << spec.name;
  const RemoteConfig empty;
  for (const auto& spec : collector_registry()) {
    EXPECT_EQ(config_enables(empty, spec.config_key), spec.config_key.empty()) << spec.name;
  }
}

}  // namespace
}  // namespace fivenines
