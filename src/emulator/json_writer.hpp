// The emulator's JSON text, on json::Writer (json/writer.hpp): how a generated
// reading is written, and pieces appended to a record being built as a string.
#pragma once

#include <string>
#include <string_view>

#include "json/writer.hpp"

namespace tpgate::emulator {

// A generated reading: an integral value below 2^53 as an integer ("25", as
// slot_value() makes it), any other as json::Writer::number() writes it
// (shortest round trip, null when not finite).
void write_number(tpgate::json::Writer& w, double value);

// A reading rounded to `decimals` places (round_to): the same text as write_number,
// written from its digits when `value` is k / 10^decimals for a k below 1000 (readings
// such as 25.3; the differential test in tests/cpp checks every such k and decimals
// against write_number); write_number otherwise.
void write_rounded(tpgate::json::Writer& w, double value, int decimals);

// The same text as a string (for messages: "0 to 25.5").
std::string format_number(double value);

// Append one piece to `out` (log records, paths in scenario errors).
inline void append_number(std::string& out, double value) {
  tpgate::json::Writer w(out);
  write_number(w, value);
}
inline void append_string(std::string& out, std::string_view text) { tpgate::json::Writer(out).string(text); }
inline void append_key(std::string& out, std::string_view key) { tpgate::json::Writer(out).key(key); }

}  // namespace tpgate::emulator
