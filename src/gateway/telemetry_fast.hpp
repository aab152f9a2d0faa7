// A fast path for the platform's busiest message, gateway/telemetry: the
// common, clean payload read straight into routed targets with json::Scanner
// (json/scan.hpp), without nlohmann's lexer (a call per character, strtod on
// floats) and without building a JSON value for anything: each target's
// readings are pairs of (key, scalar) pointing into the text.
//
// It answers only when the full path (parse_gateway_payload(Telemetry) then
// route()) would give the same targets and values and no error or warning:
// real-time bodies (objects of scalars) in gateway_data / sub_device_data /
// sub_gateway_data, tokens the scanner handles (strings without escapes,
// plain numbers). Anything else (historical arrays, escapes, exponents, long
// numbers, repeated or unknown members, empty keys, deep nesting, errors of
// any kind) returns false and the caller takes the full path, which then
// gives the error or warning it always gave.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/payload_parse.hpp"
#include "gateway/payload_tree.hpp"
#include "json/scan.hpp"

namespace tpgate::gateway {

// One reading of a real-time body; `key` and a string value point into the
// text that was read.
struct FastReading {
  std::string_view key;
  tpgate::json::Scalar value;
};

// A message read by fast_route_telemetry(): the targets in route() order, each
// with its readings sorted by key (as nlohmann's object keeps them).
struct FastTelemetry {
  struct Entry {
    Target target;
    std::size_t first = 0;  // readings[first, first + count)
    std::size_t count = 0;
  };
  std::vector<Entry> targets;
  std::vector<FastReading> readings;

  std::span<const FastReading> readings_of(const Entry& e) const { return {readings.data() + e.first, e.count}; }
};

// Reads `text` into `out` (its vectors reused) and returns true, or returns
// false: take the full path.
bool fast_route_telemetry(std::string_view text, const PayloadLimits& limits, FastTelemetry& out);

// The readings as the JSON object the full path would hold.
json readings_value(std::span<const FastReading> readings);

// The routed bodies in route() order as JSON values, or nullopt (take the full
// path): the same answer as above, for callers that want values.
std::optional<std::vector<Routed>> fast_route_telemetry(std::string_view text, const PayloadLimits& limits = {});

}  // namespace tpgate::gateway
