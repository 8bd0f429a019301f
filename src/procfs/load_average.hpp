// Parser of /proc/loadavg: "0.26 0.26 0.17 1/123 4567".
#pragma once

#include <string_view>

#include "util/result.hpp"

namespace fivenines {

struct LoadAverage {
  double one_minute = 0;
  double five_minutes = 0;
  double fifteen_minutes = 0;
};

[[nodiscard]] Result<LoadAverage> parse_loadavg(std::string_view text);

}  // namespace fivenines
