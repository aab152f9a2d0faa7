// A small append-only JSON writer for the hot path: telemetry payloads of thousands of
// gateways are built as text directly, without a nlohmann::json tree per message.
// Output is standard JSON: strings escaped per RFC 8259 (control characters as \u00XX,
// invalid UTF-8 passed through unchanged: the values come from a validated scenario or
// from nlohmann's own dump), numbers in the shortest form that reads back to the same
// double, non-finite numbers as null (JSON has no NaN).
#pragma once

#include <string>
#include <string_view>

namespace tpgate::emulator {

// Appends `value` so that strtod() gives it back exactly: integers below 2^53 without a
// fraction ("25"), others with up to 17 significant digits ("25.3", "0.1"). libc++ 14
// (Emscripten 3.1.6) has no floating-point std::to_chars, so this tries %.15g, %.16g,
// %.17g in turn: the first that round-trips is the shortest %g form.
void append_number(std::string& out, double value);
std::string format_number(double value);

// Appends "text" with quotes and escapes.
void append_string(std::string& out, std::string_view text);

// Appends `"key":` (escaped).
inline void append_key(std::string& out, std::string_view key) {
  append_string(out, key);
  out += ':';
}

}  // namespace tpgate::emulator
