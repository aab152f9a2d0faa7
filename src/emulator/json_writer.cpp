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

std::string format_number(double value) {
  std::string out;
  append_number(out, value);
  return out;
}

}  // namespace tpgate::emulator
