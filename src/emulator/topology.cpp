#include "emulator/topology.hpp"

#include <algorithm>
#include <cmath>

#include "emulator/scenario.hpp"

namespace tpgate::emulator {
namespace {

struct Flattener {
  Topology& t;

  std::uint32_t add_device(const DeviceSpec& spec, gateway::Target target, std::string address, bool is_gateway,
                           std::uint32_t node) {
    FlatDevice d;
    d.spec = &spec;
    d.name = target.to_string();
    d.target = std::move(target);
    d.address = std::move(address);
    d.is_gateway = is_gateway;
    d.node = node;
    const auto index = static_cast<std::uint32_t>(t.devices.size());
    d.first_telemetry_slot = static_cast<std::uint32_t>(t.slots.size());
    for (const auto& g : spec.telemetry) t.slots.push_back(FlatSlot{&g.generator, index, false});
    d.first_attribute_slot = static_cast<std::uint32_t>(t.slots.size());
    for (const auto& g : spec.attributes) t.slots.push_back(FlatSlot{&g.generator, index, true});
    for (const auto& e : spec.events) {
      t.events.push_back(FlatEvent{index, &e, static_cast<std::uint32_t>(t.slots.size())});
      for (const auto& p : e.params) t.slots.push_back(FlatSlot{&p.generator, index, false});
    }
    t.by_name.emplace(d.name, index);
    t.devices.push_back(std::move(d));
    return index;
  }

  void add_node(const GatewaySpec& spec, const gateway::Target& at, std::string address, int depth) {
    const auto node = static_cast<std::uint32_t>(t.nodes.size());
    t.nodes.emplace_back();
    t.max_depth = std::max(t.max_depth, depth);
    const std::uint32_t self = add_device(spec.device, at, std::move(address), true, node);
    t.nodes[node].device = self;
    t.nodes[node].depth = depth;
    for (const auto& [addr, device] : spec.sub_devices) {
      gateway::Target target{at.sub_gateways, addr};
      const std::uint32_t d = add_device(device, std::move(target), addr, false, node);
      t.nodes[node].sub_devices.push_back(d);
    }
    for (const auto& sub : spec.sub_gateways) {
      gateway::Target target{at.sub_gateways, std::nullopt};
      target.sub_gateways.push_back(sub.address);
      t.nodes[node].sub_gateways.push_back(static_cast<std::uint32_t>(t.nodes.size()));
      add_node(sub.spec, target, sub.address, depth + 1);
    }
  }
};

// The clock is in milliseconds: an interval below 1 ms runs every millisecond.
std::int64_t interval_ms(const DeviceSpec& spec) {
  return std::max<std::int64_t>(1, std::llround(spec.telemetry_interval_s * 1000.0));
}

}  // namespace

std::int64_t Topology::find(const gateway::Target& target) const {
  auto it = by_name.find(target.to_string());
  return it == by_name.end() ? -1 : static_cast<std::int64_t>(it->second);
}

Topology flatten(const GatewaySpec& root) {
  Topology t;
  Flattener{t}.add_node(root, gateway::Target{}, "", 0);
  // Devices with the same interval share one timer per gateway, so one telemetry
  // message carries all of them.
  for (const auto& d : t.devices) {
    if (d.spec->telemetry_interval_s <= 0 || d.spec->telemetry.empty()) continue;
    const auto ms = interval_ms(*d.spec);
    if (std::find(t.intervals_ms.begin(), t.intervals_ms.end(), ms) == t.intervals_ms.end()) t.intervals_ms.push_back(ms);
  }
  std::sort(t.intervals_ms.begin(), t.intervals_ms.end());
  for (auto& d : t.devices) {
    if (d.spec->telemetry_interval_s <= 0 || d.spec->telemetry.empty()) continue;
    const auto ms = interval_ms(*d.spec);
    d.interval_group = static_cast<std::uint32_t>(
        std::find(t.intervals_ms.begin(), t.intervals_ms.end(), ms) - t.intervals_ms.begin());
  }
  return t;
}

}  // namespace tpgate::emulator
