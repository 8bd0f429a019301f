#include "util/python_float.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fivenines {

void append_python_float(std::string& out, double value) {
  if (value == 0.0) {
    out += std::signbit(value) ? "-0.0" : "0.0";
    return;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02".
  char sci[64];
  const auto result = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific);
  const std::string_view text(sci, static_cast<std::size_t>(result.ptr - sci));
  const std::size_t e_pos = text.find('e');
  std::string_view mantissa = text.substr(0, e_pos);
  const int exponent = std::atoi(std::string(text.substr(e_pos + 1)).c_str());
  if (!mantissa.empty() && mantissa.front() == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  digits.reserve(mantissa.size());
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  const int digit_count = static_cast<int>(digits.size());

  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    } else if (digit_count <= exponent + 1) {
      out += digits;
      out.append(static_cast<std::size_t>(exponent + 1 - digit_count), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<std::size_t>(exponent + 1));
      out += '.';
      out.append(digits, static_cast<std::size_t>(exponent + 1));
    }
    return;
  }
  out += digits[0];
  if (digit_count > 1) {
    out += '.';
    out.append(digits, 1);
  }
  char exp_text[16];
  std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out += exp_text;
}

double round_python(double value, int digits) {
  if (!std::isfinite(value)) return value;
  // Whole numbers (0.0 above all: idle processes, idle CPU fields) are
  // already rounded; skip the printf round trip.
  if (digits >= 0 && std::fabs(value) < 1e15 && value == std::trunc(value)) return value;
  // printf rounds the exact binary value correctly (glibc), ties to even, the
  // same rule as CPython's round(); parsing back gives the nearest double.
  char buffer[400];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return std::strtod(buffer, nullptr);
}

}  // namespace fivenines
