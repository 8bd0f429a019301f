#include "util/json_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "util/python_float.hpp"

namespace fivenines {
namespace {

std::string python_float(double value) {
  std::string out;
  append_python_float(out, value);
  return out;
}

// Expected strings are what CPython 3.11 prints for repr(value).
TEST(PythonFloat, MatchesReprForWholeNumbers) {
  EXPECT_EQ(python_float(0.0), "0.0");
  EXPECT_EQ(python_float(-0.0), "-0.0");
  EXPECT_EQ(python_float(1.0), "1.0");
  EXPECT_EQ(python_float(1700000000.0), "1700000000.0");
  EXPECT_EQ(python_float(100.0), "100.0");
  EXPECT_EQ(python_float(1e15), "1000000000000000.0");
}

TEST(PythonFloat, SwitchesToExponentLikeRepr) {
  EXPECT_EQ(python_float(1e16), "1e+16");
  EXPECT_EQ(python_float(1.5e16), "1.5e+16");
  EXPECT_EQ(python_float(1e-5), "1e-05");
  EXPECT_EQ(python_float(1.25e-7), "1.25e-07");
  EXPECT_EQ(python_float(0.0001), "0.0001");
  EXPECT_EQ(python_float(1e300), "1e+300");
  EXPECT_EQ(python_float(123456789012345680.0), "1.2345678901234568e+17");
}

TEST(PythonFloat, ShortestRoundTripDigits) {
  EXPECT_EQ(python_float(0.1), "0.1");
  EXPECT_EQ(python_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float(1796323856.9997642), "1796323856.9997642");
  EXPECT_EQ(python_float(0.26318359375), "0.26318359375");
  EXPECT_EQ(python_float(-2.5), "-2.5");
  EXPECT_EQ(python_float(0.05619911209292105), "0.05619911209292105");
}

TEST(PythonRound, RoundsTheExactBinaryValue) {
  EXPECT_EQ(round_python(2.675, 2), 2.67);  // 2.675 is 2.67499999... in binary
  EXPECT_EQ(round_python(0.125, 2), 0.12);  // exact tie: half to even
  EXPECT_EQ(round_python(0.375, 2), 0.38);
  EXPECT_EQ(round_python(97.94999, 1), 97.9);
  EXPECT_EQ(round_python(17.85, 1), 17.9);  // 17.85 is 17.850000000000001 in binary
  EXPECT_EQ(round_python(-0.04, 1), -0.0);
  EXPECT_TRUE(std::isnan(round_python(std::nan(""), 1)));
}

TEST(JsonWriter, UsesPythonSeparators) {
  JsonWriter out;
  out.begin_object();
  out.key("a");
  out.integer(1);
  out.key("b");
  out.begin_array();
  out.number(1.0);
  out.string("x");
  out.null();
  out.boolean(false);
  out.end_array();
  out.key("c");
  out.begin_object();
  out.end_object();
  out.key("d");
  out.begin_array();
  out.end_array();
  out.end_object();
  EXPECT_EQ(out.text(), R"({"a": 1, "b": [1.0, "x", null, false], "c": {}, "d": []})");
}

TEST(JsonWriter, NonFiniteBecomesNull) {
  JsonWriter out;
  out.begin_array();
  out.number(std::numeric_limits<double>::quiet_NaN());
  out.number(std::numeric_limits<double>::infinity());
  out.end_array();
  EXPECT_EQ(out.text(), "[null, null]");
}

TEST(JsonWriter, IntegersKeepFullRange) {
  JsonWriter out;
  out.begin_array();
  out.unsigned_integer(18446744073709551615ULL);
  out.integer(-9223372036854775807LL - 1);
  out.end_array();
  EXPECT_EQ(out.text(), "[18446744073709551615, -9223372036854775808]");
}

TEST(JsonString, EscapesLikeEnsureAscii) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\t\r\b\f\x01\x7f/");
  EXPECT_EQ(out, R"("a\"b\\c\n\t\r\b\f\u0001\u007f/")");
}

TEST(JsonString, EscapesNonAsciiAsUtf16Units) {
  std::string out;
  append_json_string(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(out, R"("caf\u00e9 \u20ac \ud83d\ude00")");
}

TEST(JsonString, InvalidUtf8BecomesReplacementCharacter) {
  std::string out;
  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // UTF-8-encoded surrogate and a byte past U+10FFFF.
  append_json_string(out, std::string("\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf5", 13));
  EXPECT_EQ(out, R"("\ufffd|\ufffd\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd|\ufffd")");
}

}  // namespace
}  // namespace fivenines
