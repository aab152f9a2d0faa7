#include "gateway/payload_tree.hpp"

#include <algorithm>

namespace tpgate::gateway {
namespace {

void collect(const GatewayNode& node, Target& at, std::vector<Routed>& out) {
  if (node.gateway_data) out.push_back(Routed{at, *node.gateway_data});
  for (const auto& device : node.sub_device_data) {
    Target device_target = at;
    device_target.sub_device = device.address;
    out.push_back(Routed{std::move(device_target), device.body});
  }
  for (const auto& gateway : node.sub_gateway_data) {
    at.sub_gateways.push_back(gateway.address);
    collect(gateway.node, at, out);
    at.sub_gateways.pop_back();
  }
}

void collect_moving(GatewayNode& node, Target& at, std::vector<Routed>& out) {
  if (node.gateway_data) out.push_back(Routed{at, std::move(*node.gateway_data)});
  for (auto& device : node.sub_device_data) {
    Target device_target = at;
    device_target.sub_device = std::move(device.address);
    out.push_back(Routed{std::move(device_target), std::move(device.body)});
  }
  for (auto& gateway : node.sub_gateway_data) {
    at.sub_gateways.push_back(std::move(gateway.address));
    collect_moving(gateway.node, at, out);
    at.sub_gateways.pop_back();
  }
}

template <class Entries>
auto find_entry(Entries& entries, const std::string& address) {
  return std::find_if(entries.begin(), entries.end(),
                      [&](const auto& entry) { return entry.address == address; });
}

// Keeps entries ordered by address so a built tree equals a parsed one.
template <class Entry>
Entry& upsert(std::vector<Entry>& entries, const std::string& address) {
  auto it = std::lower_bound(entries.begin(), entries.end(), address,
                             [](const Entry& entry, const std::string& a) { return entry.address < a; });
  if (it == entries.end() || it->address != address) {
    Entry fresh;
    fresh.address = address;
    it = entries.insert(it, std::move(fresh));
  }
  return *it;
}

}  // namespace

bool GatewayNode::empty() const {
  return !gateway_data && sub_device_data.empty() && sub_gateway_data.empty();
}

bool operator==(const GatewayNode& a, const GatewayNode& b) {
  return a.gateway_data == b.gateway_data && a.sub_device_data == b.sub_device_data &&
         a.sub_gateway_data == b.sub_gateway_data;
}

bool operator==(const SubGateway& a, const SubGateway& b) {
  return a.address == b.address && a.node == b.node;
}

std::string Target::to_string() const {
  if (sub_gateways.empty() && !sub_device) return "gateway";
  std::string out;
  for (const auto& gw : sub_gateways) {
    if (!out.empty()) out += '/';
    out += gw;
  }
  if (sub_device) {
    if (!out.empty()) out += '/';
    out += *sub_device;
  }
  return out;
}

std::vector<Routed> route(const GatewayNode& root) {
  std::vector<Routed> out;
  Target at;
  collect(root, at, out);
  return out;
}

std::vector<Routed> route(GatewayNode&& root) {
  std::vector<Routed> out;
  Target at;
  collect_moving(root, at, out);
  return out;
}

const json* find_body(const GatewayNode& root, const Target& target) {
  const GatewayNode* node = &root;
  for (const auto& address : target.sub_gateways) {
    auto it = find_entry(node->sub_gateway_data, address);
    if (it == node->sub_gateway_data.end()) return nullptr;
    node = &it->node;
  }
  if (!target.sub_device) return node->gateway_data ? &*node->gateway_data : nullptr;
  auto it = find_entry(node->sub_device_data, *target.sub_device);
  return it == node->sub_device_data.end() ? nullptr : &it->body;
}

void put_body(GatewayNode& root, const Target& target, json body) {
  GatewayNode* node = &root;
  for (const auto& address : target.sub_gateways) {
    node = &upsert(node->sub_gateway_data, address).node;
  }
  if (!target.sub_device) {
    node->gateway_data = std::move(body);
  } else {
    upsert(node->sub_device_data, *target.sub_device).body = std::move(body);
  }
}

GatewayNode wrap(const Target& target, json body) {
  GatewayNode root;
  put_body(root, target, std::move(body));
  return root;
}

json to_json(const GatewayNode& node) {
  json out = json::object();
  if (node.gateway_data) out["gateway_data"] = *node.gateway_data;
  if (!node.sub_device_data.empty()) {
    json& devices = out["sub_device_data"] = json::object();
    for (const auto& device : node.sub_device_data) devices[device.address] = device.body;
  }
  if (!node.sub_gateway_data.empty()) {
    json& gateways = out["sub_gateway_data"] = json::object();
    for (const auto& gateway : node.sub_gateway_data) gateways[gateway.address] = to_json(gateway.node);
  }
  return out;
}

int sub_gateway_depth(const GatewayNode& node) {
  int deepest = 0;
  for (const auto& entry : node.sub_gateway_data) {
    deepest = std::max(deepest, 1 + sub_gateway_depth(entry.node));
  }
  return deepest;
}

}  // namespace tpgate::gateway
