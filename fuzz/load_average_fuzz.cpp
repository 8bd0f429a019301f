// libFuzzer target for the load_average collector's parser: the bytes are fed
// as /proc/loadavg. A parsed load must be three finite, non-negative values
// (not even -0.0, which the payload would show as "-0.0"), and the array the
// collector writes must parse back as JSON to exactly those three doubles.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "procfs/load_average.hpp"
#include "util/json_writer.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fivenines;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto load = parse_loadavg(text);
  if (!load) {
    check(load.error().kind == ErrorKind::parse && !load.error().message.empty());
    return 0;
  }
  const double values[] = {load->one_minute, load->five_minutes, load->fifteen_minutes};
  JsonWriter out;
  out.begin_array();
  for (const double value : values) {
    check(std::isfinite(value) && !std::signbit(value));
    out.number(value);
  }
  out.end_array();

  // Python's repr is the shortest text that reads back as the same double.
  const auto parsed = nlohmann::json::parse(out.text(), nullptr, false);
  check(!parsed.is_discarded() && parsed.is_array() && parsed.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    check(parsed[i].is_number_float() && parsed[i].get<double>() == values[i]);
  }
  return 0;
}
