#include "identity/secret.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace fivenines {
namespace {

constexpr std::string_view k_secret = "s3cr3t-Token.value~that+must/vanish=";

// What a RecordingAllocator saw when a buffer was handed back: the bytes
// it still held at that moment, just before the memory was freed.
struct FreedBuffer {
  std::size_t size = 0;
  std::string bytes;
};

struct AllocationLog {
  int live = 0;
  std::vector<FreedBuffer> freed;
};

// Records the content of every buffer at the moment it is deallocated, so a
// test can see whether the secret was wiped before the memory went back to
// the heap (after that, reading it would be a use after free).
template <typename T>
struct RecordingAllocator {
  using value_type = T;
  AllocationLog* log = nullptr;

  explicit RecordingAllocator(AllocationLog* target) : log(target) {}
  template <typename U>
  RecordingAllocator(const RecordingAllocator<U>& other) : log(other.log) {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t count) {
    ++log->live;
    return static_cast<T*>(std::malloc(count * sizeof(T)));
  }
  void deallocate(T* pointer, std::size_t count) {
    --log->live;
    FreedBuffer freed;
    freed.size = count * sizeof(T);
    freed.bytes.assign(reinterpret_cast<const char*>(pointer), freed.size);
    log->freed.push_back(std::move(freed));
    std::free(pointer);
  }
  bool operator==(const RecordingAllocator& other) const { return log == other.log; }
};

using RecordedSecret = BasicSecretString<RecordingAllocator<char>>;

bool all_zero(const std::string& bytes) {
  for (const char c : bytes) {
    if (c != 0) return false;
  }
  return true;
}

template <typename T>
concept Streamable = requires(std::ostream& out, const T& value) { out << value; };

static_assert(!std::is_copy_constructible_v<SecretString>);
static_assert(!std::is_copy_assignable_v<SecretString>);
static_assert(std::is_nothrow_move_constructible_v<SecretString>);
static_assert(std::is_nothrow_move_assignable_v<SecretString>);
static_assert(!Streamable<SecretString>, "a SecretString must never be printable");
static_assert(!std::is_convertible_v<SecretString, std::string_view>);
static_assert(!std::is_convertible_v<SecretString, std::string>);
static_assert(!std::is_convertible_v<SecretString, const char*>);
static_assert(Streamable<std::string_view>, "the Streamable check itself works");

TEST(SecretString, HoldsTheValue) {
  const SecretString secret(k_secret);
  EXPECT_EQ(secret.view(), k_secret);
  EXPECT_EQ(secret.size(), k_secret.size());
  EXPECT_FALSE(secret.empty());
  EXPECT_EQ(secret.view().data()[secret.size()], '\0');  // usable as a C string
  EXPECT_TRUE(secret.equals(k_secret));
  EXPECT_FALSE(secret.equals("s3cr3t-Token.value~that+must/vanisH="));
  EXPECT_FALSE(secret.equals("short"));
  const SecretString empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.view(), "");
  EXPECT_TRUE(SecretString("").empty());
}

TEST(SecretString, WipedBeforeFreedOnDestruction) {
  AllocationLog log;
  {
    const RecordedSecret secret(k_secret, RecordingAllocator<char>(&log));
    EXPECT_EQ(secret.view(), k_secret);
    EXPECT_EQ(log.live, 1);
  }
  EXPECT_EQ(log.live, 0);
  ASSERT_EQ(log.freed.size(), 1u);
  EXPECT_EQ(log.freed[0].size, k_secret.size() + 1);
  EXPECT_TRUE(all_zero(log.freed[0].bytes)) << "the buffer still held the secret when it was freed";
}

TEST(SecretString, OldValueWipedOnAssignAndClear) {
  AllocationLog log;
  RecordedSecret secret(k_secret, RecordingAllocator<char>(&log));
  secret.assign("the-next-token-value-0123456789");
  EXPECT_EQ(secret.view(), "the-next-token-value-0123456789");
  ASSERT_EQ(log.freed.size(), 1u);
  EXPECT_TRUE(all_zero(log.freed[0].bytes));

  secret.clear();
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.view(), "");
  ASSERT_EQ(log.freed.size(), 2u);
  EXPECT_EQ(log.freed[1].size, std::string_view("the-next-token-value-0123456789").size() + 1);
  EXPECT_TRUE(all_zero(log.freed[1].bytes));
  EXPECT_EQ(log.live, 0);
}

TEST(SecretString, MoveHandsOverOneBufferAndWipesTheReplacedOne) {
  AllocationLog log;
  RecordedSecret first(k_secret, RecordingAllocator<char>(&log));
  const char* buffer = first.view().data();
  RecordedSecret second(std::move(first));
  EXPECT_EQ(second.view().data(), buffer);  // no copy was made
  EXPECT_EQ(second.view(), k_secret);
  EXPECT_TRUE(first.empty());  // NOLINT(bugprone-use-after-move): the contract says empty
  EXPECT_EQ(log.live, 1);

  RecordedSecret third("another-token-0123456789abc", RecordingAllocator<char>(&log));
  third = std::move(second);  // third's old value is wiped and freed
  EXPECT_EQ(third.view(), k_secret);
  ASSERT_EQ(log.freed.size(), 1u);
  EXPECT_EQ(log.freed[0].size, std::string_view("another-token-0123456789abc").size() + 1);
  EXPECT_TRUE(all_zero(log.freed[0].bytes));
  EXPECT_EQ(log.live, 1);
}

TEST(SecretString, TheRecordingAllocatorWouldSeeAnUnwipedBuffer) {
  // The check the tests above rely on: a buffer freed without a wipe shows
  // its content to the allocator.
  AllocationLog log;
  RecordingAllocator<char> allocator(&log);
  char* raw = allocator.allocate(k_secret.size());
  k_secret.copy(raw, k_secret.size());
  allocator.deallocate(raw, k_secret.size());
  ASSERT_EQ(log.freed.size(), 1u);
  EXPECT_EQ(log.freed[0].bytes, k_secret);
}

TEST(WipeString, ClearsEveryOwnedByte) {
  for (const std::string_view value : {k_secret, std::string_view("tiny-sso"), std::string_view("")}) {
    std::string text(value);
    text.reserve(100);
    text.assign(value);
    const std::size_t capacity = text.capacity();
    wipe_string(text);
    EXPECT_TRUE(text.empty());
    EXPECT_EQ(text.capacity(), capacity);  // the same buffer, now zeroed
    const std::string owned(text.data(), capacity);
    EXPECT_TRUE(all_zero(owned)) << "value of size " << value.size();
  }
  std::string small("short-secret");  // in the small-string buffer
  wipe_string(small);
  EXPECT_TRUE(all_zero(std::string(small.data(), small.capacity())));
}

TEST(ConstantTimeEqual, ComparesBytesAndLengths) {
  EXPECT_TRUE(equal_in_constant_time("", ""));
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_in_constant_time("abc", "ab"));
  EXPECT_FALSE(equal_in_constant_time("", "a"));
  EXPECT_TRUE(equal_in_constant_time(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(equal_in_constant_time(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace fivenines
