#include "config/json_gate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fivenines {
namespace {

std::string refusal(std::string_view text) {
  auto result = gate_json(text);
  return result ? std::string("accepted") : result.error().message;
}

TEST(JsonGate, AcceptsStrictJsonAndKeepsKeyOrder) {
  auto result = gate_json(R"({"b": 1, "a": [true, null, 1.5, -2, "x\u00e9\ud83d\ude00"], "c": {}})");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->dump(), R"({"b":1,"a":[true,null,1.5,-2,"xé😀"],"c":{}})");
  EXPECT_TRUE((*result)["a"][2].is_number_float());
  EXPECT_TRUE((*result)["b"].is_number_unsigned());
}

TEST(JsonGate, RefusesHundredThousandLevelsWithoutRecursing) {
  // nlohmann::json::parse would build this and overflow the stack when
  // destroying or dumping it; the gate stops at the 33rd bracket.
  EXPECT_EQ(refusal(std::string(100000, '[') + std::string(100000, ']')), "config: nested deeper than 32 at byte 32");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(refusal(objects), "config: nested deeper than 32 at byte 160");
}

TEST(JsonGate, DepthLimitIsThirtyTwo) {
  EXPECT_EQ(refusal(std::string(32, '[') + std::string(32, ']')), "accepted");
  EXPECT_EQ(refusal(std::string(33, '[') + std::string(33, ']')), "config: nested deeper than 32 at byte 32");
}

TEST(JsonGate, RefusesDuplicateKeysAfterUnescaping) {
  EXPECT_EQ(refusal(R"({"a": 1, "\u0061": 2})"), "config: duplicate key \"a\" at byte 16");
  EXPECT_EQ(refusal(R"({"x": {"k": 1, "k": 1}})"), "config: duplicate key \"k\" at byte 17");
  EXPECT_EQ(refusal(R"([{"k": 1}, {"k": 1}])"), "accepted");  // different objects
  EXPECT_EQ(refusal(R"({"\ud83d\ude00": 1, "😀": 2})"), "config: duplicate key \"????\" at byte 25");
  // Keys that only differ after the first NUL are different keys.
  EXPECT_EQ(refusal(R"({"a\u0000b": 1, "a\u0000c": 2})"), "accepted");
}

TEST(JsonGate, RefusesLoneSurrogatesAndInvalidUtf8) {
  EXPECT_NE(refusal(R"({"a": "\uD800"})").find("surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"),
            std::string::npos);
  EXPECT_NE(refusal(R"({"a": "\uDFFF"})").find("surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF"),
            std::string::npos);
  EXPECT_NE(refusal(R"({"a": "\uD800\uD800"})").find("surrogate"), std::string::npos);
  EXPECT_EQ(refusal(R"({"a": "\uD83D\uDE00"})"), "accepted");  // a correct pair
  EXPECT_NE(refusal("{\"a\": \"\xC3\"}").find("ill-formed UTF-8"), std::string::npos);
  EXPECT_NE(refusal("{\"a\": \"\xF4\x90\x80\x80\"}").find("ill-formed UTF-8"), std::string::npos);  // > U+10FFFF
}

TEST(JsonGate, RefusesNonStrictForms) {
  EXPECT_EQ(refusal("\xEF\xBB\xBF{}"), "config: not valid JSON at byte 0: starts with a byte order mark");
  EXPECT_EQ(refusal(R"({"a": NaN})"),
            "config: not valid JSON at byte 6: syntax error while parsing value - invalid literal");
  EXPECT_EQ(refusal(R"({"a": 1e400})"), "config: not valid JSON at byte 10: number overflows a double");
  EXPECT_EQ(refusal(R"({"a": 1} x)"),
            "config: not valid JSON at byte 9: syntax error while parsing value - invalid literal");
  EXPECT_NE(refusal(R"({"a": 1,})").find("at byte 8"), std::string::npos);
  EXPECT_NE(refusal("{\"a\": 1} // c").find("at byte 9"), std::string::npos);
  EXPECT_EQ(refusal(R"({"a": 1e-400})"), "accepted");                          // underflow is not overflow
  EXPECT_EQ(refusal(R"({"a": 123456789012345678901234567890})"), "accepted");  // a finite double
}

TEST(JsonGate, RefusesNulBytesAnywhere) {
  // nlohmann's lexer would take the NUL for the end of the input and accept
  // what came before it.
  using namespace std::string_literals;
  EXPECT_EQ(refusal("{\"cpu\": true}\0{\"cpu\": false}"s), "config: not valid JSON at byte 13: NUL byte");
  EXPECT_EQ(refusal("{\"a\": \"x\0y\"}"s), "config: not valid JSON at byte 8: NUL byte");
  EXPECT_EQ(refusal(R"({"a": "x\u0000y"})"), "accepted");  // an escaped NUL is a character of the string
}

TEST(JsonGate, SizeLimitIsOneMebibyte) {
  std::string exact = "{\"a\": \"" + std::string(k_config_max_bytes - 10, 'x') + "\"}";
  exact.resize(k_config_max_bytes, ' ');
  EXPECT_EQ(refusal(exact), "accepted");
  EXPECT_EQ(refusal(exact + " "), "config: larger than 1048576 bytes");
}

TEST(JsonGate, MessagesNeverQuoteInputBytes) {
  // The last token nlohmann would quote here is part of a password.
  const std::string message = refusal("{\"redis\": {\"password\": \"hunter2\xFF\"}}");
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(JsonGate, ManyKeysInOneObjectStayFast) {
  std::string text = "{";
  for (int i = 0; i < 60000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  text += "}";
  const auto start = std::chrono::steady_clock::now();
  auto result = gate_json(text);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->size(), 60000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(SelectConfigObject, ChoosesByEnvelope) {
  const auto answer = *gate_json(R"({"config": {"cpu": true}, "token": "t"})");
  const auto bare = *gate_json(R"({"cpu": true})");
  EXPECT_EQ((*select_config_object(answer, ConfigEnvelope::api_answer))->dump(), R"({"cpu":true})");
  EXPECT_EQ((*select_config_object(answer, ConfigEnvelope::config_or_answer))->dump(), R"({"cpu":true})");
  EXPECT_EQ((*select_config_object(bare, ConfigEnvelope::config_or_answer))->dump(), R"({"cpu":true})");
  EXPECT_EQ(select_config_object(bare, ConfigEnvelope::api_answer).error().message,
            "config: answer has no \"config\" object");
}

}  // namespace
}  // namespace fivenines
