// The device tree of one gateway, flattened once per scenario: devices in pre-order (a
// gateway node's own device, its sub-devices, then each sub-gateway's subtree), each with
// the range of per-gateway value slots it owns. A virtual gateway then keeps only flat
// arrays indexed by these numbers (device_state.hpp), and a telemetry message is written
// by walking `nodes` (the gateway_data / sub_device_data / sub_gateway_data nesting).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/payload_tree.hpp"

namespace tpgate::emulator {

struct DeviceSpec;
struct EventSpec;
struct GatewaySpec;
struct Generator;

struct FlatDevice {
  const DeviceSpec* spec = nullptr;  // into the owning Scenario's tree
  gateway::Target target;
  std::string name;                  // target.to_string(): "gateway", "gateway_001/sensor_101"
  std::string address;               // its key in sub_device_data / sub_gateway_data; "" for the top
  bool is_gateway = false;           // the gateway_data of node `node`
  std::uint32_t node = 0;            // the gateway node it belongs to
  std::uint32_t first_telemetry_slot = 0;
  std::uint32_t first_attribute_slot = 0;
  std::uint32_t interval_group = 0xFFFFFFFF;  // index into Topology::intervals_ms; kNoGroup: never
  static constexpr std::uint32_t kNoGroup = 0xFFFFFFFF;
};

// A gateway node: the top-level gateway or a sub-gateway at any depth.
struct FlatNode {
  std::uint32_t device = 0;                  // its own device (gateway_data)
  std::vector<std::uint32_t> sub_devices;    // device indices, by address
  std::vector<std::uint32_t> sub_gateways;   // node indices, by address
  int depth = 0;                             // 0 for the top-level gateway
};

struct FlatEvent {
  std::uint32_t device = 0;
  const EventSpec* spec = nullptr;
  std::uint32_t first_param_slot = 0;
};

// Where each slot's generator lives, to initialise and advance slots.
struct FlatSlot {
  const Generator* generator = nullptr;
  std::uint32_t device = 0;
  bool attribute = false;  // attribute slots are sampled once and then held
};

struct Topology {
  std::vector<FlatDevice> devices;
  std::vector<FlatNode> nodes;  // nodes[0] is the top-level gateway
  std::vector<FlatEvent> events;
  std::vector<FlatSlot> slots;
  std::vector<std::int64_t> intervals_ms;  // distinct telemetry intervals, ascending
  std::unordered_map<std::string, std::uint32_t> by_name;  // FlatDevice::name -> index
  int max_depth = 0;

  // The device a downlink target names, or -1.
  std::int64_t find(const gateway::Target& target) const;
};

// Flattens `root`; the pointers stay valid while `root` lives and does not move.
Topology flatten(const GatewaySpec& root);

}  // namespace tpgate::emulator
