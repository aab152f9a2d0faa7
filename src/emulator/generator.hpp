// Value generators at run time (docs/scenario.md "Generators"). The Generator (scenario.hpp)
// is shared by the fleet; each gateway keeps one 24-byte Slot per generated key with the
// current value and its own random stream, so a fleet of ten thousand gateways holds only
// flat arrays of slots.
//
// Reporting a key is advance() then write: random_walk, counter, toggle and sequence first
// report their start (the slot is "fresh"), then move on; uniform, sine and choice draw a
// new value every time; constant never changes. A value set from outside (a control, an
// attribute set) replaces the current one: random_walk and counter go on from a number
// set that way, every other generator holds the set value until the next set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emulator/scenario.hpp"
#include "json/writer.hpp"

namespace tpgate::emulator {

enum class SlotKind : std::uint8_t {
  Number,      // `number`
  Bool,        // `number` != 0
  SharedText,  // JSON text generator.texts[text]
  OwnedText,   // JSON text owned_texts[text], set from outside
};

struct Slot {
  double number = 0;        // the value (Number/Bool); sequence: index of the next value
  std::uint64_t rng = 0;    // this slot's random stream
  std::uint32_t text = 0;   // SharedText / OwnedText index
  SlotKind kind = SlotKind::Number;
  bool fresh = true;        // the next advance() keeps the current value
  bool held = false;        // set from outside; advance() leaves it alone
};

// A slot at the generator's start, with its random stream seeded by `seed`.
Slot make_slot(const Generator& g, std::uint64_t seed);

// Moves the slot to its next value; `now_ms` drives sine.
void advance(const Generator& g, Slot& slot, std::int64_t now_ms);

// Writes the slot's current value (decimals applied to numbers).
void write_value(tpgate::json::Writer& w, const Generator& g, const Slot& slot, const std::vector<std::string>& owned_texts);
// The same as a JSON value (for the rarer reports built as trees).
json slot_value(const Generator& g, const Slot& slot, const std::vector<std::string>& owned_texts);

// Sets the slot to `value` (a control or attribute set); non-number, non-boolean values
// are kept as text in owned_texts.
void set_value(const Generator& g, Slot& slot, const json& value, std::vector<std::string>& owned_texts);

// Rounds to `decimals` places (-1: unchanged).
double round_to(double value, int decimals);

// A response latency in milliseconds (>= 0) from a distribution (docs/scenario.md "Behaviour").
double sample_latency_ms(const Latency& latency, std::uint64_t& rng);

}  // namespace tpgate::emulator
