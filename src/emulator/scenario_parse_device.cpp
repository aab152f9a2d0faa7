// Parsing of DeviceSpec and GatewaySpec (docs/scenario.md): telemetry, attributes,
// events, behaviours, and the sub_devices / sub_gateways tree.
#include "emulator/scenario_parse_parts.hpp"

#include "emulator/identity.hpp"

namespace tpgate::emulator {
namespace {

constexpr const char* kAddressShape = "a device address: non-empty, without '/', '+' or '#'";

bool parse_event(Reader& r, const json& v, const std::string& path, EventSpec& out) {
  if (!r.object(v, path, {"method", "params", "every_s", "first_s", "mean_interval_s"})) return false;
  const json* method = Reader::member(v, "method");
  if (method == nullptr) {
    return r.fail_message(member_path(path, "method"), "a non-empty string", "missing; expected a non-empty string");
  }
  if (!r.string(*method, member_path(path, "method"), out.method, true)) return false;
  if (!parse_generators(r, Reader::member(v, "params"), member_path(path, "params"), false, out.params)) return false;
  const bool periodic = Reader::member(v, "every_s") != nullptr;
  const bool poisson = Reader::member(v, "mean_interval_s") != nullptr;
  if (periodic == poisson) {
    return r.fail_message(path, "every_s (periodic) or mean_interval_s (random)",
                          periodic ? "both every_s and mean_interval_s; expected one of them"
                                   : "expected every_s (periodic) or mean_interval_s (random)");
  }
  out.poisson = poisson;
  if (periodic) {
    if (!r.opt_number(v, path, "every_s", 0.001, 1e7, out.every_s)) return false;
    out.first_s = out.every_s;
    if (!r.opt_number(v, path, "first_s", 0, 1e7, out.first_s)) return false;
  } else {
    if (Reader::member(v, "first_s") != nullptr) {
      return r.fail_message(member_path(path, "first_s"), "no first_s with mean_interval_s",
                            "unknown field for a random event; expected only with every_s");
    }
    if (!r.opt_number(v, path, "mean_interval_s", 0.001, 1e7, out.mean_interval_s)) return false;
  }
  return true;
}

json event_json(const EventSpec& e) {
  json out = {{"method", e.method}};
  if (!e.params.empty()) {
    json params = json::object();
    for (const auto& p : e.params) params[p.key] = p.generator.normalized;
    out["params"] = params;
  }
  if (e.poisson) {
    out["mean_interval_s"] = e.mean_interval_s;
  } else {
    out["every_s"] = e.every_s;
    out["first_s"] = e.first_s;
  }
  return out;
}

bool check_address(Reader& r, const std::string& key, const std::string& path) {
  if (valid_topic_level(key)) return true;
  return r.fail_message(member_path(path, key), kAddressShape, "invalid address; expected " + std::string(kAddressShape));
}

}  // namespace

bool parse_device_fields(Reader& r, const json& v, const std::string& path, double inherited_interval_s,
                         DeviceSpec& out) {
  if (!parse_generators(r, Reader::member(v, "telemetry"), member_path(path, "telemetry"), true, out.telemetry)) return false;
  out.telemetry_interval_s = inherited_interval_s;
  if (!r.opt_number(v, path, "telemetry_interval_s", 0, 86'400 * 365.0, out.telemetry_interval_s)) return false;
  if (const json* historical = Reader::member(v, "historical")) {
    const std::string at = member_path(path, "historical");
    if (!r.object(*historical, at, {"batch"})) return false;
    std::int64_t batch = 1;
    if (!r.opt_integer(*historical, at, "batch", 1, 10'000, batch)) return false;
    out.historical_batch = static_cast<int>(batch);
  }
  if (!parse_generators(r, Reader::member(v, "attributes"), member_path(path, "attributes"), false, out.attributes)) {
    return false;
  }
  if (const json* events = Reader::member(v, "events")) {
    const std::string at = member_path(path, "events");
    if (!events->is_array()) return r.fail(at, "an array of events", *events);
    for (std::size_t i = 0; i < events->size(); ++i) {
      EventSpec e;
      if (!parse_event(r, (*events)[i], index_path(at, i), e)) return false;
      out.events.push_back(std::move(e));
    }
  }
  if (const json* commands = Reader::member(v, "commands")) {
    const std::string at = member_path(path, "commands");
    if (!r.any_object(*commands, at)) return false;
    out.has_commands = true;
    for (const auto& [method, behaviour] : commands->items()) {
      if (method.empty()) return r.fail_message(member_path(at, method), "a method name", "empty method name");
      Behaviour b;
      if (!parse_behaviour(r, behaviour, member_path(at, method), b)) return false;
      out.commands.emplace(method, std::move(b));
    }
  }
  const std::pair<const char*, Behaviour*> behaviours[] = {
      {"attribute_set", &out.attribute_set}, {"attribute_get", &out.attribute_get}, {"control", &out.control}};
  for (const auto& [key, target] : behaviours) {
    if (const json* b = Reader::member(v, key)) {
      if (!parse_behaviour(r, *b, member_path(path, key), *target)) return false;
    }
  }
  return true;
}

bool parse_device(Reader& r, const json& v, const std::string& path, double inherited_interval_s, DeviceSpec& out) {
  if (!r.object(v, path, {"telemetry", "telemetry_interval_s", "historical", "attributes", "events", "commands",
                          "attribute_set", "attribute_get", "control"})) {
    return false;
  }
  return parse_device_fields(r, v, path, inherited_interval_s, out);
}

bool parse_gateway_spec(Reader& r, const json& v, const std::string& path, double inherited_interval_s, int depth,
                        GatewaySpec& out) {
  if (!r.object(v, path, {"telemetry", "telemetry_interval_s", "historical", "attributes", "events", "commands",
                          "attribute_set", "attribute_get", "control", "sub_devices", "sub_gateways", "format"})) {
    return false;
  }
  // The format is the top-level gateway's (the one connection); scenario_parse.cpp reads it.
  if (depth > 0 && Reader::member(v, "format") != nullptr) {
    return r.fail_message(member_path(path, "format"), "format on the top-level gateway only",
                          "a sub-gateway speaks through the top-level gateway's connection; put format in $.gateway");
  }
  if (!parse_device_fields(r, v, path, inherited_interval_s, out.device)) return false;
  const double interval = out.device.telemetry_interval_s;
  if (const json* subs = Reader::member(v, "sub_devices")) {
    const std::string at = member_path(path, "sub_devices");
    if (!r.any_object(*subs, at)) return false;
    for (const auto& [address, spec] : subs->items()) {
      if (!check_address(r, address, at)) return false;
      DeviceSpec d;
      if (!parse_device(r, spec, member_path(at, address), interval, d)) return false;
      out.sub_devices.emplace_back(address, std::move(d));
    }
  }
  if (const json* subs = Reader::member(v, "sub_gateways")) {
    const std::string at = member_path(path, "sub_gateways");
    if (!r.any_object(*subs, at)) return false;
    for (const auto& [address, spec] : subs->items()) {
      if (!check_address(r, address, at)) return false;
      if (depth + 1 > kMaxSubGatewayDepth) {
        return r.fail_message(member_path(at, address), "at most " + std::to_string(kMaxSubGatewayDepth) + " sub-gateway levels",
                              "too deep; expected at most " + std::to_string(kMaxSubGatewayDepth) + " sub-gateway levels");
      }
      // A sub-device and a sub-gateway of one node with one address would be the same
      // downlink target name ("gw/x"), so one of them could never be addressed.
      for (const auto& [device_address, unused] : out.sub_devices) {
        (void)unused;
        if (device_address == address) {
          return r.fail_message(member_path(at, address), "an address not used by a sub-device of the same gateway",
                                "address already used by a sub-device of the same gateway");
        }
      }
      SubGatewaySpec sub;
      sub.address = address;
      if (!parse_gateway_spec(r, spec, member_path(at, address), interval, depth + 1, sub.spec)) return false;
      out.sub_gateways.push_back(std::move(sub));
    }
  }
  return true;
}

json device_json(const DeviceSpec& d) {
  json out = json::object();
  json telemetry = json::object();
  for (const auto& g : d.telemetry) telemetry[g.key] = g.generator.normalized;
  out["telemetry"] = telemetry;
  out["telemetry_interval_s"] = d.telemetry_interval_s;
  if (d.historical_batch > 0) out["historical"] = {{"batch", d.historical_batch}};
  json attributes = json::object();
  for (const auto& g : d.attributes) attributes[g.key] = g.generator.normalized;
  out["attributes"] = attributes;
  json events = json::array();
  for (const auto& e : d.events) events.push_back(event_json(e));
  out["events"] = events;
  if (d.has_commands) {
    json commands = json::object();
    for (const auto& [method, b] : d.commands) commands[method] = behaviour_json(b);
    out["commands"] = commands;
  }
  out["attribute_set"] = behaviour_json(d.attribute_set);
  out["attribute_get"] = behaviour_json(d.attribute_get);
  out["control"] = behaviour_json(d.control);
  return out;
}

json gateway_spec_json(const GatewaySpec& g) {
  json out = device_json(g.device);
  json subs = json::object();
  for (const auto& [address, d] : g.sub_devices) subs[address] = device_json(d);
  out["sub_devices"] = subs;
  json gateways = json::object();
  for (const auto& sub : g.sub_gateways) gateways[sub.address] = gateway_spec_json(sub.spec);
  out["sub_gateways"] = gateways;
  return out;
}

}  // namespace tpgate::emulator
