// Reading a whole gateway message: JSON text -> payload tree, with every device body
// checked for its kind and every error naming the JSON path where it was found.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/payload_body.hpp"
#include "gateway/payload_tree.hpp"
#include "mqtt/types.hpp"

namespace tpgate::gateway {

struct PayloadLimits {
  std::size_t max_payload_bytes = 1024 * 1024;
  // Sub-gateway levels below the top-level gateway allowed before the message is refused.
  int max_sub_gateway_depth = 32;
  // Past this many levels a warning is given: the ThingsPanel backend stops recursing
  // beyond 5 levels (docs/thingspanel.md#sub-gateway-depth), so deeper data is lost there.
  int warn_sub_gateway_depth = 5;
  // Any JSON nesting (objects/arrays, also inside values) deeper than this is refused
  // before parsing, so hostile input cannot exhaust the stack. Each sub-gateway level
  // costs two JSON levels, so keep this above 2 * max_sub_gateway_depth + 4 or deep
  // trees hit this coarser error first.
  int max_json_nesting = 128;
};

// The two shapes of an attribute get (docs/thingspanel.md#attribute-get-shape).
enum class AttributeGetShape {
  Spec,  // {"gateway_data":["ip"],"sub_device_data":{"s":["t"]}}
  Keys,  // backend: {"keys":["ip"]} for the top-level gateway, [] = all attributes
};

struct GatewayPayload {
  PayloadKind kind = PayloadKind::Telemetry;
  GatewayNode root;
  AttributeGetShape get_shape = AttributeGetShape::Spec;
  std::vector<std::string> warnings;  // accepted, but worth telling the user
};

// Fails with PacketTooLarge (oversize) or PayloadFormatInvalid (everything else); the
// message starts with the JSON path ("(root)" for the whole message).
mqtt::Result<GatewayPayload> parse_gateway_payload(PayloadKind kind, std::string_view text,
                                                   const PayloadLimits& limits = {});
// The same for a JSON value already parsed (e.g. an unwrapped envelope's payload).
mqtt::Result<GatewayPayload> parse_gateway_value(PayloadKind kind, const json& value,
                                                 const PayloadLimits& limits = {});
// The same, moving the device bodies out of `value` instead of copying them.
mqtt::Result<GatewayPayload> parse_gateway_value(PayloadKind kind, json&& value,
                                                 const PayloadLimits& limits = {});

// The message as JSON: the tree, or {"keys":[...]} for a Keys-shaped attribute get.
json to_json(const GatewayPayload& payload);

// Parses JSON text with the size and nesting limits but no gateway rules (also used for
// responses and envelopes).
mqtt::Result<json> parse_json_text(std::string_view text, const PayloadLimits& limits = {});

}  // namespace tpgate::gateway
