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
// with its readings sorted by key (as nlohmann's object keeps them). Addresses
// point into the text too; the vectors keep their capacity from call to call.
struct FastTelemetry {
  struct Entry {
    std::size_t path_first = 0;  // the sub-gateway addresses: path[path_first, + path_count)
    std::size_t path_count = 0;
    std::string_view sub_device;  // empty: the gateway (or sub-gateway) itself
    std::size_t first = 0;        // readings[first, first + count)
    std::size_t count = 0;
  };
  // One gateway level as read (the walker's tree, pooled).
  struct Range {
    std::size_t first = 0;
    std::size_t count = 0;
  };
  struct Node {
    std::optional<Range> gateway_data;
    std::vector<std::pair<std::string_view, Range>> devices;
    std::vector<std::pair<std::string_view, std::size_t>> gateways;  // address, node index
  };

  std::vector<Entry> targets;
  std::vector<FastReading> readings;
  std::vector<std::string_view> path;
  std::vector<Node> nodes;
  std::size_t nodes_used = 0;

  std::span<const FastReading> readings_of(const Entry& e) const { return {readings.data() + e.first, e.count}; }
  std::span<const std::string_view> sub_gateways_of(const Entry& e) const {
    return {path.data() + e.path_first, e.path_count};
  }
  Target target_of(const Entry& e) const;
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
