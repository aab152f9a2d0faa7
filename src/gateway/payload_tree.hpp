// The payload tree shared by every ThingsPanel gateway message: a gateway's own data
// (`gateway_data`), its direct sub-devices (`sub_device_data`, keyed by
// sub_device_address) and its sub-gateways (`sub_gateway_data`, the same shape again).
// A node holds each device's body as JSON; what a body must look like depends on the
// message kind (payload_body.hpp).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json/value.hpp"

namespace tpgate::gateway {

using json = tpgate::json::Value;

struct GatewayNode;

// One entry of `sub_device_data`: a sub_device_address and that device's body.
struct SubDevice {
  std::string address;
  json body;
  friend bool operator==(const SubDevice&, const SubDevice&) = default;
};

// One entry of `sub_gateway_data`. A named struct, not std::pair: clang with libstdc++
// rejects std::pair<std::string, GatewayNode> while GatewayNode is still incomplete.
struct SubGateway;

// Entries are ordered by address (the order nlohmann::json gives object keys) and unique.
struct GatewayNode {
  std::optional<json> gateway_data;
  std::vector<SubDevice> sub_device_data;
  std::vector<SubGateway> sub_gateway_data;

  // No gateway_data, sub-devices or sub-gateways.
  bool empty() const;
};

struct SubGateway {
  std::string address;
  GatewayNode node;
};

bool operator==(const GatewayNode& a, const GatewayNode& b);
bool operator==(const SubGateway& a, const SubGateway& b);

// One device in the tree, seen from the top-level gateway: the sub-gateway addresses
// walked from the top, then a sub-device address, or none for that gateway itself.
// {} is the top-level gateway; {["gateway_001"], "sensor_101"} is sensor_101 behind gateway_001.
struct Target {
  std::vector<std::string> sub_gateways;
  std::optional<std::string> sub_device;

  bool is_gateway() const { return !sub_device.has_value(); }
  // "gateway", "sensor_001", "gateway_001/sensor_101", "gateway_001/gateway_002" (a gateway
  // path ends with a sub-gateway address; a sub-device path with the device's address).
  std::string to_string() const;
  friend bool operator==(const Target&, const Target&) = default;
};

// A device body found in a message, with the device it is for.
struct Routed {
  Target target;
  json body;
};

// Every (target, body) pair in the tree, the node's own data first, then its sub-devices,
// then each sub-gateway depth-first (docs/thingspanel.md#one-target-per-downlink: one message may carry
// one target, as the backend sends, or many, as the spec examples do).
std::vector<Routed> route(const GatewayNode& root);
// The same, moving addresses and bodies out of `root` (left with empty bodies).
std::vector<Routed> route(GatewayNode&& root);

// The body for one target, or nullptr.
const json* find_body(const GatewayNode& root, const Target& target);

// Puts `body` at `target`, creating sub-gateway nodes on the way; replaces what was there.
void put_body(GatewayNode& root, const Target& target, json body);

// A tree holding one body at one target: how the backend shapes a downlink, e.g.
// {"sub_gateway_data":{"gw":{"sub_device_data":{"s":X}}}}. Any depth.
GatewayNode wrap(const Target& target, json body);

// The tree as the JSON value that goes on the wire; empty parts are left out.
json to_json(const GatewayNode& node);

// Depth of the deepest sub-gateway below `node` (0 for a gateway with no sub-gateways).
int sub_gateway_depth(const GatewayNode& node);

}  // namespace tpgate::gateway
