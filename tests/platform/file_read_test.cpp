#include "platform/file_read.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace fivenines {
namespace {

class FileReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/fivenines-read-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    m_dir = pattern;
  }
  void TearDown() override { std::system(("rm -rf " + m_dir).c_str()); }
  std::string write(const std::string& name, const std::string& content) {
    const std::string path = m_dir + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string m_dir;
};

TEST_F(FileReadTest, ReadsWholeFile) {
  const std::string content(10000, 'x');
  const auto result = read_file(write("a", content));
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, content);
}

TEST_F(FileReadTest, RefusesFilesOverTheCap) {
  const auto result = read_file(write("big", std::string(5000, 'x')), 4096);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::parse);
  EXPECT_NE(result.error().message.find("larger than 4096 bytes"), std::string::npos);
  EXPECT_TRUE(read_file(write("exact", std::string(4096, 'x')), 4096));
}

TEST_F(FileReadTest, NamesMissingFileAsAbsent) {
  const auto result = read_file(m_dir + "/nope");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::absent);
  EXPECT_EQ(result.error().message, "read " + m_dir + "/nope: no such file or directory");
}

TEST_F(FileReadTest, RefusesFifoWithoutBlocking) {
  const std::string path = m_dir + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const auto result = read_file(path);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(FileReadTest, SmallFileUsesCallerBuffer) {
  char buffer[8];
  auto size = read_small_file(write("s", "12345678").c_str(), buffer, sizeof buffer);
  ASSERT_TRUE(size);
  EXPECT_EQ(std::string(buffer, *size), "12345678");
  EXPECT_FALSE(read_small_file(write("t", "123456789").c_str(), buffer, sizeof buffer));
}

TEST(FileRead, ReadsProcFilesThatReportSizeZero) {
  const auto result = read_file("/proc/self/status");
  ASSERT_TRUE(result);
  EXPECT_NE(result->find("Pid:"), std::string::npos);
}

}  // namespace
}  // namespace fivenines
