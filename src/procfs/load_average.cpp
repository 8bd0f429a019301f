#include "procfs/load_average.hpp"

#include <cmath>

#include "util/text.hpp"

namespace fivenines {

Result<LoadAverage> parse_loadavg(std::string_view text) {
  FieldSplitter fields(text.substr(0, text.find('\n')));
  double values[3] = {};
  for (double& value : values) {
    std::string_view field;
    if (!fields.next(field)) return make_error(ErrorKind::parse, "loadavg: fewer than three fields");
    const auto parsed = parse_decimal(field);
    // signbit, not < 0: "-0" would otherwise be sent as the load -0.0.
    if (!parsed || std::signbit(*parsed)) return make_error(ErrorKind::parse, "loadavg: not a load value");
    value = *parsed;
  }
  return LoadAverage{values[0], values[1], values[2]};
}

}  // namespace fivenines
