// libFuzzer target for the file_handles collector's parser: the bytes are fed
// as /proc/sys/fs/file-nr. The two counts are written as the collector writes
// them (decimal integers), must read back as JSON to the same values, and
// the kernel's own layout of those counts must parse to them again.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "procfs/file_handles.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

std::uint64_t read_back(const std::string& text) {
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  check(!parsed.is_discarded() && parsed.is_number_unsigned());
  return parsed.get<std::uint64_t>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto counts = parse_file_nr(text);
  if (!counts) {
    check(counts.error().kind == ErrorKind::parse && !counts.error().message.empty());
    return 0;
  }
  check(read_back(std::to_string(counts->allocated)) == counts->allocated);
  check(read_back(std::to_string(counts->maximum)) == counts->maximum);

  const std::string canonical = std::to_string(counts->allocated) + "\t0\t" + std::to_string(counts->maximum) + "\n";
  const auto again = parse_file_nr(canonical);
  check(again && again->allocated == counts->allocated && again->maximum == counts->maximum);
  return 0;
}
