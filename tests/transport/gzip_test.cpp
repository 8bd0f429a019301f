#include "transport/gzip.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace fivenines {
namespace {

// Inflates one gzip member with zlib (windowBits 15 + 16: gzip only, not zlib/raw).
std::string gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out;
  std::string buffer(64 * 1024, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer.data(), buffer.size() - stream.avail_out);
  }
  EXPECT_EQ(status, Z_STREAM_END);
  EXPECT_EQ(stream.avail_in, 0U) << "bytes after the gzip member";
  inflateEnd(&stream);
  return out;
}

TEST(Gzip, Rfc1952HeaderAndRoundTrip) {
  const std::string json = R"({"get_config": true, "version": "0.1.0"})";
  auto packed = gzip_compress(json);
  ASSERT_TRUE(packed.has_value());
  ASSERT_GE(packed->size(), 18U);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);  // ID1
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);  // ID2
  EXPECT_EQ(static_cast<unsigned char>((*packed)[2]), 8);     // CM = deflate
  EXPECT_EQ(gunzip(*packed), json);
  // ISIZE: the last four bytes are the input length, little-endian.
  const auto size_byte = [&](std::size_t i) { return static_cast<unsigned char>((*packed)[packed->size() - 4 + i]); };
  EXPECT_EQ(size_byte(0) | (size_byte(1) << 8) | (size_byte(2) << 16) | (size_byte(3) << 24), json.size());
}

TEST(Gzip, EmptyInput) {
  auto packed = gzip_compress("");
  ASSERT_TRUE(packed.has_value());
  EXPECT_EQ(gunzip(*packed), "");
}

TEST(Gzip, LargeAndIncompressibleInput) {
  std::string noise(3 * 1024 * 1024, '\0');
  std::mt19937 random(42);
  for (auto& c : noise) c = static_cast<char>(random());
  auto packed = gzip_compress(noise);
  ASSERT_TRUE(packed.has_value());
  EXPECT_EQ(gunzip(*packed), noise);

  const std::string repetitive(2 * 1024 * 1024, 'a');
  packed = gzip_compress(repetitive);
  ASSERT_TRUE(packed.has_value());
  EXPECT_LT(packed->size(), 10 * 1024U);  // compressed at all
  EXPECT_EQ(gunzip(*packed), repetitive);
}

}  // namespace
}  // namespace fivenines
