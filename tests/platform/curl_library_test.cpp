#include "platform/curl_library.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

namespace fivenines {
namespace {

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

// One test, in this order: the library must not be loaded before the first
// libcurl call this program makes.
TEST(CurlLibrary, LoadsOnFirstUseAndForwardsEveryArgumentType) {
  EXPECT_FALSE(curl_library_loaded());
  CURL* easy = curl_easy_init();
  ASSERT_NE(easy, nullptr);
  EXPECT_TRUE(curl_library_loaded());
  EXPECT_EQ(curl_library_problem(), std::nullopt);
  EXPECT_STREQ(curl_easy_strerror(CURLE_OK), "No error");

  // long: a value libcurl range-checks is refused, a good one taken.
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 1500L), CURLE_OK);
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_PORT, 70000L), CURLE_BAD_FUNCTION_ARGUMENT);
  // curl_off_t: the same for the 64-bit range.
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(1) << 40), CURLE_OK);
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(-1)), CURLE_BAD_FUNCTION_ARGUMENT);
  // string and function pointer.
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_URL, "http://127.0.0.1:9/"), CURLE_OK);
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard), CURLE_OK);
  // getinfo writes through its pointer.
  long code = -1;
  EXPECT_EQ(curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
  EXPECT_EQ(code, 0);
  curl_easy_cleanup(easy);

  CURLU* url = curl_url();
  ASSERT_NE(url, nullptr);
  ASSERT_EQ(curl_url_set(url, CURLUPART_URL, "HTTP://LocalHost:8080/x?y", 0), CURLUE_OK);
  char* host = nullptr;
  ASSERT_EQ(curl_url_get(url, CURLUPART_HOST, &host, 0), CURLUE_OK);
  EXPECT_EQ(std::string(host), "LocalHost");
  curl_free(host);
  curl_url_cleanup(url);

  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  ASSERT_NE(info, nullptr);
  EXPECT_NE(std::string(info->ssl_version).find("OpenSSL"), std::string::npos) << info->ssl_version;
}

}  // namespace
}  // namespace fivenines
