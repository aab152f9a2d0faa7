// Downlinks of a VirtualGateway: commands, attribute set / get and control, answered per the
// device's Behaviour (docs/scenario.md): after a sampled latency (its own timer), failing with the
// configured errcode at failure_rate, and changing the device's state on success. GatewayRole has
// already split a message into one Request per target (docs/thingspanel.md#one-target-per-downlink)
// and accepts both attribute get shapes (docs/thingspanel.md#attribute-get-shape); responses it
// builds are flat with a numeric result (docs/thingspanel.md#flat-responses).
#include <cmath>

#include "emulator/json_writer.hpp"
#include "json/read.hpp"
#include "emulator/random.hpp"
#include "emulator/virtual_gateway.hpp"

namespace tpgate::emulator {
namespace {

// No "commands" in the scenario: every command succeeds at once.
const Behaviour& immediate_success() {
  static const Behaviour behaviour;
  return behaviour;
}

const char* kind_type(gateway::DownlinkKind kind) {
  switch (kind) {
    case gateway::DownlinkKind::Control: return "control";
    case gateway::DownlinkKind::AttributeSet: return "attribute_set";
    case gateway::DownlinkKind::AttributeGet: return "attribute_get";
    case gateway::DownlinkKind::Command: return "command";
  }
  return "request";
}

// A request answered: by kind, and among the failures when it failed.
void count_served(Counters& c, gateway::DownlinkKind kind, bool ok) {
  switch (kind) {
    case gateway::DownlinkKind::Control: ++c.controls; c.controls_failed += ok ? 0 : 1; break;
    case gateway::DownlinkKind::AttributeSet: ++c.attribute_sets; c.attribute_sets_failed += ok ? 0 : 1; break;
    case gateway::DownlinkKind::AttributeGet: ++c.attribute_gets; c.attribute_gets_failed += ok ? 0 : 1; break;
    case gateway::DownlinkKind::Command: ++c.commands; c.commands_failed += ok ? 0 : 1; break;
  }
}

// "$params.a.b" -> params["a"]["b"]; nullptr when absent.
const json* param_ref(const json& params, std::string_view ref) {
  constexpr std::string_view kPrefix = "$params.";
  if (ref.substr(0, kPrefix.size()) != kPrefix) return nullptr;
  ref.remove_prefix(kPrefix.size());
  const json* at = &params;
  while (!ref.empty()) {
    const auto dot = ref.find('.');
    const std::string key(ref.substr(0, dot));
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string_view::npos) break;
    ref.remove_prefix(dot + 1);
  }
  return at;
}

}  // namespace

void VirtualGateway::serve(gateway::Request& request, std::int64_t now) {
  PendingAnswer p;
  p.received = now;
  p.request_id = request.id;
  p.kind = request.kind;
  p.body = std::move(request.body);
  const std::int64_t device = topo().find(request.target);
  if (device < 0) {
    // Not in this gateway's topology.
    auto r = role_.respond(request.id,
                           gateway::RequestOutcome::failure(std::string(gateway::kErrcodeUnknownDevice),
                                                            "no device " + request.target.to_string()),
                           now);
    if (r) on_role_output(*r, now);
    Counters& c = context_.metrics->counters;
    count_served(c, request.kind, false);
    count_error(c, ErrorKind::Request);
    context_.metrics->add_request_service(0);
    return;
  }
  p.device = static_cast<std::uint32_t>(device);
  const DeviceSpec& spec = *topo().devices[p.device].spec;
  switch (request.kind) {
    case gateway::DownlinkKind::Control: p.behaviour = &spec.control; break;
    case gateway::DownlinkKind::AttributeSet: p.behaviour = &spec.attribute_set; break;
    case gateway::DownlinkKind::AttributeGet: p.behaviour = &spec.attribute_get; break;
    case gateway::DownlinkKind::Command: {
      if (!spec.has_commands) {
        p.behaviour = &immediate_success();
        break;
      }
      std::string name;
      if (auto m = p.body.find("method"); m != p.body.end() && m->is_string()) name = m->get<std::string>();
      auto it = spec.commands.find(name);
      if (it == spec.commands.end()) it = spec.commands.find("*");
      if (it == spec.commands.end()) {
        p.fail = true;  // answered below with UNKNOWN_METHOD
        p.behaviour = nullptr;
        answer(p, now);
        return;
      }
      p.behaviour = &it->second;
      break;
    }
  }
  const Behaviour& b = *p.behaviour;
  p.fail = b.failure_rate > 0 && next_unit(rng_) < b.failure_rate;
  const double latency = sample_latency_ms(b.latency, rng_);
  p.latency_ms = static_cast<std::int32_t>(std::llround(latency));
  p.due = now + p.latency_ms;
  if (p.latency_ms <= 0) {
    answer(p, now);
  } else {
    pending_.push_back(std::move(p));
  }
}

void VirtualGateway::answer(PendingAnswer& p, std::int64_t now) {
  Counters& c = context_.metrics->counters;
  gateway::RequestOutcome outcome;
  std::string method;
  if (p.kind == gateway::DownlinkKind::Command && p.body.is_object()) {
    auto it = p.body.find("method");
    if (it != p.body.end() && it->is_string()) method = it->get<std::string>();
  }
  if (p.behaviour == nullptr) {
    outcome = gateway::RequestOutcome::failure("UNKNOWN_METHOD", "unknown method " + method);
  } else if (p.fail) {
    ++c.failures_injected;
    outcome = gateway::RequestOutcome::failure(p.behaviour->errcode, p.behaviour->message);
  } else {
    const json empty = json::object();
    switch (p.kind) {
      case gateway::DownlinkKind::Control:
        // A control sets the telemetry values it carries; later telemetry reports them.
        if (p.body.is_object()) {
          for (const auto& [key, value] : p.body.items()) set_telemetry(p.device, key, value);
        }
        apply_effects(p.device, *p.behaviour, empty);
        break;
      case gateway::DownlinkKind::AttributeSet:
        if (p.body.is_object()) {
          for (const auto& [key, value] : p.body.items()) set_attribute(p.device, key, value);
        }
        apply_effects(p.device, *p.behaviour, empty);
        break;
      case gateway::DownlinkKind::AttributeGet: {
        std::vector<std::string> keys;
        if (auto it = p.body.find("keys"); it != p.body.end() && it->is_array()) {
          for (const auto& k : *it) {
            if (k.is_string()) keys.push_back(k.get<std::string>());
          }
        }
        outcome = gateway::RequestOutcome::success(device_attributes(p.device, &keys));
        break;
      }
      case gateway::DownlinkKind::Command: {
        auto it = p.body.find("params");
        apply_effects(p.device, *p.behaviour, it != p.body.end() ? *it : empty);
        break;
      }
    }
  }
  count_served(c, p.kind, outcome.ok);
  auto r = role_.respond(p.request_id, outcome, now);
  if (r) {
    on_role_output(*r, now);
  } else {
    count_error(c, ErrorKind::Request);
  }
  context_.metrics->add_request_service(static_cast<double>(now - p.received));
  // "an attribute set sets the attributes it carries; an attribute report follows at once".
  if (outcome.ok && p.kind == gateway::DownlinkKind::AttributeSet) report_attributes(p.device, now);
  if (outcome.ok && p.behaviour != nullptr && !p.behaviour->attribute_effects.empty() &&
      p.kind != gateway::DownlinkKind::AttributeSet) {
    report_attributes(p.device, now);
  }

  if (context_.events != nullptr) {
    std::string record = log_head(now, kind_type(p.kind));
    record += ",\"target\":";
    append_string(record, topo().devices[p.device].name);
    if (p.kind == gateway::DownlinkKind::Command) {
      record += ",\"method\":";
      append_string(record, method);
    }
    record += outcome.ok ? ",\"ok\":true,\"errcode\":null" : ",\"ok\":false,\"errcode\":";
    if (!outcome.ok) append_string(record, outcome.errcode);
    record += ",\"latency_ms\":";
    append_number(record, p.latency_ms);
    log(record + "}");
  }
}

void VirtualGateway::set_telemetry(std::uint32_t device, const std::string& key, const json& value) {
  const FlatDevice& d = topo().devices[device];
  for (std::size_t k = 0; k < d.spec->telemetry.size(); ++k) {
    if (d.spec->telemetry[k].key == key) {
      set_value(d.spec->telemetry[k].generator, slots_[d.first_telemetry_slot + k], value, owned_texts_);
      return;
    }
  }
  const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  for (Extra& e : extras_) {
    if (e.device == device && !e.attribute && e.key == key) {
      e.text = text;
      return;
    }
  }
  extras_.push_back(Extra{device, false, key, text});
}

void VirtualGateway::set_attribute(std::uint32_t device, const std::string& key, const json& value) {
  const FlatDevice& d = topo().devices[device];
  for (std::size_t k = 0; k < d.spec->attributes.size(); ++k) {
    if (d.spec->attributes[k].key == key) {
      Slot& slot = slots_[d.first_attribute_slot + k];
      set_value(d.spec->attributes[k].generator, slot, value, owned_texts_);
      slot.held = true;  // attributes never advance
      return;
    }
  }
  const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  for (Extra& e : extras_) {
    if (e.device == device && e.attribute && e.key == key) {
      e.text = text;
      return;
    }
  }
  extras_.push_back(Extra{device, true, key, text});
}

void VirtualGateway::apply_effects(std::uint32_t device, const Behaviour& b, const json& params) {
  const auto resolve = [&](const json& v) -> const json* {
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s.rfind("$params.", 0) == 0) return param_ref(params, s);
    }
    return &v;
  };
  for (const auto& [key, value] : b.telemetry_effects) {
    if (const json* v = resolve(value)) set_telemetry(device, key, *v);
  }
  for (const auto& [key, value] : b.attribute_effects) {
    if (const json* v = resolve(value)) set_attribute(device, key, *v);
  }
}

json VirtualGateway::telemetry_value(const std::string& device, const std::string& key) const {
  auto it = topo().by_name.find(device);
  if (it == topo().by_name.end()) return nullptr;
  const FlatDevice& d = topo().devices[it->second];
  for (std::size_t k = 0; k < d.spec->telemetry.size(); ++k) {
    if (d.spec->telemetry[k].key == key) {
      return slot_value(d.spec->telemetry[k].generator, slots_[d.first_telemetry_slot + k], owned_texts_);
    }
  }
  for (const Extra& e : extras_) {
    if (e.device == it->second && !e.attribute && e.key == key) return tpgate::json::parse(e.text);
  }
  return nullptr;
}

json VirtualGateway::attribute_value(const std::string& device, const std::string& key) const {
  auto it = topo().by_name.find(device);
  if (it == topo().by_name.end()) return nullptr;
  json values = device_attributes(it->second, nullptr);
  auto v = values.find(key);
  return v == values.end() ? json(nullptr) : *v;
}

}  // namespace tpgate::emulator
