// A fast path for the platform's busiest message, gateway/telemetry: the
// common, clean payload read straight into routed targets with json::Scanner
// (json/scan.hpp), without nlohmann's lexer (a call per character, strtod on
// floats) and without a JSON tree for the message around the bodies.
//
// It answers only when the full path (parse_gateway_payload(Telemetry) then
// route()) would give the same targets and values and no error or warning:
// real-time bodies (objects of scalars) in gateway_data / sub_device_data /
// sub_gateway_data, tokens the scanner handles (strings without escapes,
// plain numbers). Anything else (historical arrays, escapes, exponents, long
// numbers, repeated or unknown members, empty keys, deep nesting, errors of
// any kind) returns nullopt and the caller takes the full path, which then
// gives the error or warning it always gave.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "gateway/payload_parse.hpp"
#include "gateway/payload_tree.hpp"

namespace tpgate::gateway {

// The routed bodies in route() order, or nullopt (take the full path).
std::optional<std::vector<Routed>> fast_route_telemetry(std::string_view text, const PayloadLimits& limits = {});

}  // namespace tpgate::gateway
