#include "emulator/json_writer.hpp"

#include <cmath>
#include <cstdint>

namespace tpgate::emulator {

void write_number(tpgate::json::Writer& w, double value) {
  // Counters and rounded readings are the common case, and "25" reads better
  // than dump()'s "25.0"; below 2^53 every integral double is an exact int64.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    w.integer(static_cast<std::int64_t>(value));
  } else {
    w.number(value);
  }
}

void write_rounded(tpgate::json::Writer& w, double value, int decimals) {
  static constexpr double kScale[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};  // exact doubles
  static constexpr std::uint64_t kPower[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
  const double a = std::fabs(value);
  // Integers as write_number does; below 10^-3 the text may switch to an exponent.
  if (decimals < 1 || decimals > 9 || !(a >= 1e-3 && a < 1e6) || value == std::floor(value)) {
    write_number(w, value);
    return;
  }
  const double scale = kScale[decimals];
  const auto k = static_cast<std::uint64_t>(std::llround(a * scale));
  // Up to three significant digits only: there the general path's text is the
  // shortest decimal for every k and every decimals (the differential test tries them
  // all); with more digits it sometimes writes a longer one (25.37 may come out as
  // 25.369999999999997), and the text must not depend on the path.
  if (k >= 1000 || static_cast<double>(k) / scale != a) {  // not a short decimal of `decimals` places
    write_number(w, value);
    return;
  }
  std::uint64_t whole = k / kPower[decimals];
  std::uint64_t fraction = k % kPower[decimals];
  int places = decimals;
  while (fraction % 10 == 0) {  // fraction > 0: value is not an integer
    fraction /= 10;
    --places;
  }
  char text[32];
  char* end = text + sizeof text;
  char* at = end;
  for (int i = 0; i < places; ++i, fraction /= 10) *--at = static_cast<char>('0' + fraction % 10);
  *--at = '.';
  do {
    *--at = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole > 0);
  if (value < 0) *--at = '-';
  w.raw(std::string_view(at, static_cast<std::size_t>(end - at)));
}

std::string format_number(double value) {
  std::string out;
  append_number(out, value);
  return out;
}

}  // namespace tpgate::emulator
