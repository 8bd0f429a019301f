// libFuzzer target for identity's parsers of outside bytes: PROC/stat's
// `btime` line and the MACHINE_ID file's content (is_canonical_uuid).
// A boot time must be a finite, non-negative whole number of seconds that
// reads back as JSON unchanged; a canonical UUID must have the 8-4-4-4-12
// hex layout, and every UUID we generate ourselves must be canonical.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "identity/machine_id.hpp"
#include "identity/system_info.hpp"
#include "util/json_writer.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto boot = parse_boot_time(text)) {
    check(std::isfinite(*boot) && *boot >= 0 && std::floor(*boot) == *boot);
    JsonWriter out;
    out.number(*boot);
    const auto parsed = nlohmann::json::parse(out.text(), nullptr, false);
    check(!parsed.is_discarded() && parsed.is_number_float() && parsed.get<double>() == *boot);
  }

  if (is_canonical_uuid(text)) {
    check(text.size() == 36);
    for (std::size_t i = 0; i < text.size(); ++i) {
      const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
      check(dash_position ? text[i] == '-' : is_hex_digit(text[i]));
    }
  }

  if (size >= 16) {
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), data, bytes.size());
    const std::string uuid = format_uuid_v4(bytes);
    check(is_canonical_uuid(uuid));
    check(uuid[14] == '4');                                            // version
    check(uuid[19] == '8' || uuid[19] == '9' || uuid[19] == 'a' || uuid[19] == 'b');  // variant
    for (const char c : uuid) check(!(c >= 'A' && c <= 'F'));          // lower-case
  }
  return 0;
}
