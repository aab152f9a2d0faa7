#include "emulator/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace tpgate::emulator {

void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[40];
  // Integral values (counters, rounded readings) are the common case: integer
  // to_chars exists everywhere and is exact below 2^53.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    const auto as_int = static_cast<std::int64_t>(value);
    auto result = std::to_chars(buffer, buffer + sizeof buffer, as_int);
    out.append(buffer, result.ptr);
    return;
  }
  for (int precision = 15; precision <= 17; ++precision) {
    const int n = std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (n <= 0 || n >= static_cast<int>(sizeof buffer)) break;
    if (precision == 17 || std::strtod(buffer, nullptr) == value) {
      out.append(buffer, static_cast<std::size_t>(n));
      return;
    }
  }
  out += "null";  // unreachable: %.17g always round-trips a double
}

std::string format_number(double value) {
  std::string out;
  append_number(out, value);
  return out;
}

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of characters that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(escape, sizeof escape);
      }
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

}  // namespace tpgate::emulator
