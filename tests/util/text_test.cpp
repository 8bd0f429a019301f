#include "util/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fivenines {
namespace {

TEST(ParseU64, AcceptsOnlyPlainDigits) {
  EXPECT_EQ(parse_u64("0"), 0u);
  EXPECT_EQ(parse_u64("18446744073709551615"), 18446744073709551615ULL);
  EXPECT_FALSE(parse_u64("18446744073709551616"));
  EXPECT_FALSE(parse_u64(""));
  EXPECT_FALSE(parse_u64("-1"));
  EXPECT_FALSE(parse_u64("+1"));
  EXPECT_FALSE(parse_u64(" 1"));
  EXPECT_FALSE(parse_u64("1 "));
  EXPECT_FALSE(parse_u64("0x10"));
}

TEST(ParseI64, AcceptsSign) {
  EXPECT_EQ(parse_i64("-1"), -1);
  EXPECT_EQ(parse_i64("42"), 42);
  EXPECT_FALSE(parse_i64("-"));
  EXPECT_FALSE(parse_i64("--1"));
  EXPECT_FALSE(parse_i64("9223372036854775808"));
}

TEST(ParseHex, DigitsOnly) {
  EXPECT_EQ(parse_hex_u64("1F90"), 0x1F90u);
  EXPECT_EQ(parse_hex_u64("ff"), 0xFFu);
  EXPECT_FALSE(parse_hex_u64("0x1"));
  EXPECT_FALSE(parse_hex_u64("g"));
  EXPECT_FALSE(parse_hex_u64(""));
}

TEST(ParseDecimal, FixedNotationOnly) {
  EXPECT_DOUBLE_EQ(*parse_decimal("0.26"), 0.26);
  EXPECT_DOUBLE_EQ(*parse_decimal("12"), 12.0);
  EXPECT_FALSE(parse_decimal("1e5"));
  EXPECT_FALSE(parse_decimal("nan"));
  EXPECT_FALSE(parse_decimal(""));
}

TEST(Splitters, FieldsAndLines) {
  FieldSplitter fields("  a\tbb   c ");
  std::vector<std::string_view> got;
  std::string_view field;
  while (fields.next(field)) got.push_back(field);
  EXPECT_EQ(got, (std::vector<std::string_view>{"a", "bb", "c"}));

  LineSplitter lines("x\n\ny");
  std::vector<std::string_view> got_lines;
  std::string_view line;
  while (lines.next(line)) got_lines.push_back(line);
  EXPECT_EQ(got_lines, (std::vector<std::string_view>{"x", "", "y"}));
  EXPECT_EQ(trim(" \t x y \n"), "x y");
}

}  // namespace
}  // namespace fivenines

using fivenines::ascii_lowered;
using fivenines::equals_ignoring_ascii_case;
using fivenines::quoted_excerpt;

TEST(AsciiCase, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lowered("LocalHost-01.EXAMPLE"), "localhost-01.example");
  // Non-ASCII bytes (here UTF-8 for 'É') are left alone, never locale-mapped.
  EXPECT_EQ(ascii_lowered("\xC3\x89T\xC3\xA9"), "\xC3\x89t\xC3\xA9");
  EXPECT_TRUE(equals_ignoring_ascii_case("ENROLLMENT", "enrollment"));
  EXPECT_FALSE(equals_ignoring_ascii_case("bound", "bounds"));
  EXPECT_FALSE(equals_ignoring_ascii_case("\xC3\x89", "\xC3\xA9"));
  EXPECT_FALSE(equals_ignoring_ascii_case("[", "{"));  // 0x5B vs 0x7B: not letters
}

TEST(QuotedExcerpt, PrintableAsciiCappedAndQuoted) {
  EXPECT_EQ(quoted_excerpt("bund"), "'bund'");
  EXPECT_EQ(quoted_excerpt(std::string_view("a\nb\0c\x7f\xC3\xA9", 8)), "'a?b?c?" "?" "?'");
  EXPECT_EQ(quoted_excerpt(std::string(40, 'x')), "'" + std::string(32, 'x') + "...'");
  EXPECT_EQ(quoted_excerpt("abcdef", 3), "'abc...'");
  EXPECT_EQ(quoted_excerpt(""), "''");
}
