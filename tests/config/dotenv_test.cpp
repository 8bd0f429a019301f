#include "config/dotenv.hpp"

#include <gtest/gtest.h>

namespace fivenines {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(DotenvParser, ReadsCommentsBlanksQuotesAndExport) {
  const auto result = parse_dotenv(
      "# a comment\n"
      "\n"
      "API_URL=localhost:8080\n"
      "export LOG_LEVEL=debug\n"
      "QUOTED=\"a b # not a comment\"\n"
      "SINGLE='x\\ny'\n"
      "ESCAPED=\"line\\nnext \\\"q\\\"\"\n"
      "TRAILING=value # comment\n"
      "  SPACED  =  padded  \r\n"
      "EMPTY=\n");
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_EQ(result.values, (Pairs{{"API_URL", "localhost:8080"},
                                  {"LOG_LEVEL", "debug"},
                                  {"QUOTED", "a b # not a comment"},
                                  {"SINGLE", "x\\ny"},
                                  {"ESCAPED", "line\nnext \"q\""},
                                  {"TRAILING", "value"},
                                  {"SPACED", "padded"},
                                  {"EMPTY", ""}}));
}

TEST(DotenvParser, ReportsMalformedLinesWithNumbersAndKeepsTheRest) {
  const auto result = parse_dotenv(
      "GOOD=1\n"
      "no equals sign\n"
      "1BAD=x\n"
      "OPEN=\"unterminated\n"
      "AFTER=\"x\" y\n"
      "CTRL=a\x01" "b\n"
      "LAST=2\n");
  EXPECT_EQ(result.values, (Pairs{{"GOOD", "1"}, {"LAST", "2"}}));
  ASSERT_EQ(result.warnings.size(), 5u);
  EXPECT_EQ(result.warnings[0], "line 2: expected KEY=VALUE");
  EXPECT_EQ(result.warnings[1], "line 3: invalid variable name");
  EXPECT_EQ(result.warnings[2], "line 4: unterminated quoted value");
  EXPECT_EQ(result.warnings[3], "line 5: text after the closing quote");
  EXPECT_EQ(result.warnings[4], "line 6: control character in value");
}

}  // namespace
}  // namespace fivenines
