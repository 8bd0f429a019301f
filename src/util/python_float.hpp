// Number formatting that matches what the reference agent's JSON encoder
// (Python's json module) emits, so payloads diff cleanly against it.
#pragma once

#include <string>

namespace fivenines {

// Appends the shortest round-trip text of `value` the way Python's repr()
// writes a float: always a '.' or an exponent ("1.0", "0.1", "1e-05",
// "1e+16"); fixed notation for decimal exponents -4..15, else d.ddde±XX.
// Non-finite values have no JSON form: the caller must not pass them.
void append_python_float(std::string& out, double value);

// Python's round(value, digits): the correctly rounded decimal of the exact
// binary value, ties to even. Non-finite input is returned unchanged.
[[nodiscard]] double round_python(double value, int digits);

}  // namespace fivenines
