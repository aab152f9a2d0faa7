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
