// Embind registration of the platform role (docs/thingspanel.md#roles): `new PlatformRole(options)`,
// a sans-I/O object the JS host (npm/src/platform.js) feeds with received
// messages and a clock. Every call returns one plain JS object; JSON values
// (telemetry values, params, views) cross as JSON text and are parsed once in
// JS. Nothing throws: failures are {ok: false, code, reason, message}.
#include <emscripten/bind.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "convert.hpp"
#include "gateway/platform_json.hpp"
#include "gateway/platform_role.hpp"
#include "session_packed.hpp"

namespace tpgate::bindings {
namespace {

using gateway::json;
using gateway::Target;
namespace pf = gateway::platform;

mqtt::Error bad_argument(std::string message) {
  return mqtt::make_error(mqtt::ReasonCode::UnspecifiedError, std::move(message));
}

// Invalid UTF-8 becomes U+FFFD: dump() must not fail (no exceptions here).
std::string json_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::int64_t ms_from_js(double now) { return static_cast<std::int64_t>(now); }

// {subGateways: [...], subDevice: string | null, path: "gateway_001/sensor_101"}
val target_to_js(const Target& target) {
  val out = val::object();
  val gateways = val::array();
  for (const auto& address : target.sub_gateways) gateways.call<void>("push", address);
  out.set("subGateways", gateways);
  out.set("subDevice", target.sub_device ? val(*target.sub_device) : val::null());
  out.set("path", target.to_string());
  return out;
}

// An array [...subGateways, subDevice] (the last element is the sub-device;
// [] is the gateway itself) or {subGateways, subDevice} (which can also name a
// sub-gateway itself).
mqtt::Result<Target> target_from_js(const val& value) {
  Target target;
  if (value.isUndefined() || value.isNull()) return target;
  if (val::global("Array").call<bool>("isArray", value)) {
    auto parts = strings_from_js(value, "target");
    if (!parts) return parts.error();
    if (!parts->empty()) {
      target.sub_device = parts->back();
      parts->pop_back();
      target.sub_gateways = std::move(*parts);
    }
  } else if (value.typeOf().as<std::string>() == "object") {
    val gateways = value["subGateways"];
    if (!gateways.isUndefined() && !gateways.isNull()) {
      auto parts = strings_from_js(gateways, "target.subGateways");
      if (!parts) return parts.error();
      target.sub_gateways = std::move(*parts);
    }
    val device = value["subDevice"];
    if (device.isString()) {
      target.sub_device = device.as<std::string>();
    } else if (!device.isUndefined() && !device.isNull()) {
      return bad_argument("target.subDevice: expected a string, null or undefined");
    }
  } else {
    return bad_argument("target: expected an array of addresses or {subGateways, subDevice}");
  }
  for (const auto& a : target.sub_gateways) {
    if (a.empty()) return bad_argument("target: a sub-gateway address is empty");
  }
  if (target.sub_device && target.sub_device->empty()) return bad_argument("target: the sub-device address is empty");
  return target;
}

mqtt::Result<json> json_from_js(const val& text, const char* where) {
  if (!text.isString()) return bad_argument(std::string(where) + ": expected JSON text");
  auto parsed = gateway::parse_json_text(text.as<std::string>());
  if (!parsed) return bad_argument(std::string(where) + ": " + parsed.error().message);
  return std::move(*parsed);
}

mqtt::Result<std::string> string_from_js(const val& value, const char* where) {
  if (!value.isString()) return bad_argument(std::string(where) + ": expected a string");
  return value.as<std::string>();
}

mqtt::Result<pf::Options> options_from_js(const val& value) {
  ObjectReader in(value, "options");
  pf::Options options;
  in.string("shareGroup", options.share_group);
  in.string("defaultGateway", options.default_gateway);
  bool auto_ack = true;
  if (in.ok() && in.has("autoAck")) {
    in.boolean("autoAck", auto_ack);
    options.auto_ack_attributes = auto_ack;
    options.auto_ack_events = auto_ack;
  }
  std::string ack_topics = "spec";
  in.string("ackTopics", ack_topics);
  std::uint32_t timeout = 10'000;
  in.integer("requestTimeout", timeout);
  std::uint32_t max_events = 16;
  in.integer("maxRecentEvents", max_events);
  if (!in.ok()) return in.error();
  if (ack_topics == "spec") {
    options.ack_topics = pf::AckTopics::Spec;
  } else if (ack_topics == "backend") {
    options.ack_topics = pf::AckTopics::Backend;
  } else if (ack_topics == "both") {
    options.ack_topics = pf::AckTopics::Both;
  } else {
    return bad_argument("options.ackTopics: expected 'spec', 'backend' or 'both'");
  }
  if (timeout == 0) return bad_argument("options.requestTimeout: expected an integer of at least 1 (ms)");
  options.request_timeout_ms = timeout;
  options.max_recent_events = max_events;
  return options;
}

val publication_to_js(const pf::Publication& p) {
  val out = val::object();
  out.set("topic", p.topic);
  out.set("payload", p.payload);
  out.set("qos", static_cast<int>(p.qos));
  out.set("retain", p.retain);
  return out;
}

struct EventToJs {
  val operator()(const pf::TelemetryReceived& e) const {
    val out = val::object();
    out.set("type", std::string("telemetry"));
    out.set("gateway", e.gateway);
    out.set("target", target_to_js(e.target));
    out.set("values", json_text(e.values));
    out.set("ts", static_cast<double>(e.ts_ms));
    return out;
  }
  val operator()(const pf::AttributesReceived& e) const {
    val out = val::object();
    out.set("type", std::string("attributes"));
    out.set("gateway", e.gateway);
    out.set("target", target_to_js(e.target));
    out.set("values", json_text(e.values));
    out.set("ts", static_cast<double>(e.ts_ms));
    out.set("messageId", e.message_id);
    return out;
  }
  val operator()(const pf::EventReceived& e) const {
    val out = val::object();
    out.set("type", std::string("event"));
    out.set("gateway", e.gateway);
    out.set("target", target_to_js(e.target));
    out.set("method", e.method);
    out.set("params", json_text(e.params));
    out.set("ts", static_cast<double>(e.ts_ms));
    out.set("messageId", e.message_id);
    return out;
  }
  val operator()(const pf::StatusChanged& e) const {
    val out = val::object();
    out.set("type", std::string("status"));
    out.set("deviceId", e.device_id);
    out.set("online", e.online);
    return out;
  }
  val operator()(const pf::RequestCompleted& e) const {
    const auto& r = e.response.response;
    val out = val::object();
    out.set("type", std::string("requestCompleted"));
    out.set("token", static_cast<double>(e.token));
    out.set("success", r.success);
    out.set("result", e.response.result ? val(*e.response.result) : val::null());
    out.set("errcode", r.errcode);
    out.set("message", r.message);
    out.set("ts", static_cast<double>(r.ts));
    out.set("method", r.method ? val(*r.method) : val::null());
    out.set("problem", e.response.problem);
    out.set("rttMs", static_cast<double>(e.rtt_ms));
    out.set("report", e.report ? val(json_text(*e.report)) : val::null());
    return out;
  }
  val operator()(const pf::RequestTimedOut& e) const {
    val out = val::object();
    out.set("type", std::string("requestTimedOut"));
    out.set("token", static_cast<double>(e.token));
    out.set("message", e.message);
    return out;
  }
  val operator()(const pf::ProtocolError& e) const {
    val out = val::object();
    out.set("type", std::string("protocolError"));
    out.set("topic", e.topic);
    out.set("gateway", e.gateway);
    out.set("error", error_to_js(e.error));
    return out;
  }
  val operator()(const pf::Warning& e) const {
    val out = val::object();
    out.set("type", std::string("warning"));
    out.set("topic", e.topic);
    out.set("gateway", e.gateway);
    out.set("message", e.message);
    return out;
  }
};

// {publications: [{topic, payload, qos, retain}], events: [{type, ...}]}
val outputs_to_js(const pf::Outputs& outputs) {
  val publications = val::array();
  for (const auto& p : outputs.publications) publications.call<void>("push", publication_to_js(p));
  val events = val::array();
  for (const auto& e : outputs.events) events.call<void>("push", std::visit(EventToJs{}, e));
  val out = val::object();
  out.set("publications", publications);
  out.set("events", events);
  return out;
}

// {ok: true, token, messageId, publication} or a failure.
val sent_to_js(const mqtt::Result<pf::Sent>& sent) {
  if (!sent) return failure_to_js(sent.error());
  val out = val::object();
  out.set("ok", true);
  out.set("token", static_cast<double>(sent->token));
  out.set("messageId", sent->message_id);
  out.set("publication", publication_to_js(sent->publication));
  return out;
}

json values_to_json(const std::map<std::string, gateway::ValueAt>& values) {
  json out = json::object();
  for (const auto& [key, v] : values) out[key] = json{{"value", v.value}, {"ts", v.ts_ms}};
  return out;
}

class PlatformRoleBinding {
 public:
  explicit PlatformRoleBinding(val options) {
    auto parsed = options_from_js(options);
    if (parsed) {
      role_.emplace(std::move(*parsed));
    } else {
      options_error_ = parsed.error();
    }
  }

  val optionsError() const { return options_error_ ? failure_to_js(*options_error_) : val::null(); }

  // {ok: true, filters: [...]} (one SUBSCRIBE each) or a failure.
  val subscriptions() const {
    if (!role_) return failure_to_js(*options_error_);
    auto filters = role_->subscriptions();
    if (!filters) return failure_to_js(filters.error());
    val list = val::array();
    for (const auto& f : *filters) list.call<void>("push", f);
    val out = val::object();
    out.set("ok", true);
    out.set("filters", list);
    return out;
  }

  // payload: Uint8Array or string; sender: string or undefined.
  val receive(std::string topic, val payload, double now, val sender) {
    if (!role_) return outputs_to_js({});
    auto bytes = bytes_from_js(payload);
    std::string text;
    if (bytes) text.assign(bytes->begin(), bytes->end());
    std::string from = sender.isString() ? sender.as<std::string>() : std::string();
    return outputs_to_js(role_->receive(topic, text, ms_from_js(now), from));
  }

  // The hot path (npm/src/platform.js): topic and payload were written back to
  // back at reserveScratch(); returns the address of [u32 length][JSON text],
  // the outputs and the next deadline as gateway/platform_json.hpp lays them
  // out, valid until the next call on this role. One call and one JSON.parse
  // per message instead of an Embind object per event and field.
  unsigned receiveScratch(unsigned topic_length, unsigned payload_length, double now, std::string sender) {
    const auto data = scratch(std::size_t{topic_length} + payload_length);
    const auto* bytes = reinterpret_cast<const char*>(data.data());
    const std::size_t topic_size = std::min<std::size_t>(topic_length, data.size());
    const std::string_view topic(bytes, topic_size);
    const std::string_view payload(bytes + topic_size, data.size() - topic_size);
    if (!role_) return packed({}, std::nullopt);
    auto outputs = role_->receive(topic, payload, ms_from_js(now), sender);
    return packed(outputs, role_->next_deadline());
  }

  // The same as JSON text, for hosts without the scratch area; payload is a
  // Uint8Array or a string.
  std::string receiveJson(std::string topic, std::string payload, double now, std::string sender) {
    if (!role_) return pf::outputs_json({}, std::nullopt);
    auto outputs = role_->receive(topic, payload, ms_from_js(now), sender);
    return pf::outputs_json(outputs, role_->next_deadline());
  }

  std::string tickJson(double now) {
    if (!role_) return pf::outputs_json({}, std::nullopt);
    auto outputs = role_->tick(ms_from_js(now));
    return pf::outputs_json(outputs, role_->next_deadline());
  }

  // tick() packed like receiveScratch().
  unsigned tickPacked(double now) {
    if (!role_) return packed({}, std::nullopt);
    auto outputs = role_->tick(ms_from_js(now));
    return packed(outputs, role_->next_deadline());
  }

  val sendCommand(val dn, val target, val method, val params_json, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    auto m = string_from_js(method, "method");
    if (!m) return failure_to_js(m.error());
    auto p = json_from_js(params_json, "params");
    if (!p) return failure_to_js(p.error());
    return sent_to_js(role_->send_command(*d, *t, *m, *p, ms_from_js(now)));
  }

  val sendAttributeSet(val dn, val target, val values_json, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    auto v = json_from_js(values_json, "values");
    if (!v) return failure_to_js(v.error());
    return sent_to_js(role_->send_attribute_set(*d, *t, *v, ms_from_js(now)));
  }

  // shape: 'spec' or 'keys'.
  val sendAttributeGet(val dn, val target, val keys, val shape, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    std::vector<std::string> key_list;
    if (!keys.isUndefined() && !keys.isNull()) {
      auto k = strings_from_js(keys, "keys");
      if (!k) return failure_to_js(k.error());
      key_list = std::move(*k);
    }
    gateway::AttributeGetShape get_shape = gateway::AttributeGetShape::Spec;
    if (shape.isString() && shape.as<std::string>() == "keys") {
      get_shape = gateway::AttributeGetShape::Keys;
    } else if (!shape.isUndefined() && !(shape.isString() && shape.as<std::string>() == "spec")) {
      return failure_to_js(bad_argument("shape: expected 'spec' or 'keys'"));
    }
    return sent_to_js(role_->send_attribute_get(*d, *t, key_list, get_shape, ms_from_js(now)));
  }

  val sendControl(val dn, val target, val values_json, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    auto v = json_from_js(values_json, "values");
    if (!v) return failure_to_js(v.error());
    return sent_to_js(role_->send_control(*d, *t, *v, ms_from_js(now)));
  }

  val tick(double now) { return role_ ? outputs_to_js(role_->tick(ms_from_js(now))) : outputs_to_js({}); }

  // ms, or null when nothing waits.
  val nextDeadline() const {
    if (!role_) return val::null();
    auto d = role_->next_deadline();
    return d ? val(static_cast<double>(*d)) : val::null();
  }

  double pendingCount() const { return role_ ? static_cast<double>(role_->pending_count()) : 0.0; }

  void mapDevice(std::string device_id, std::string device_number) {
    if (role_) role_->map_device(std::move(device_id), std::move(device_number));
  }

  // JSON text {"telemetry":{k:{value,ts}},"attributes":{...},"events":[{method,params,ts}]},
  // null if nothing was heard, or a failure for a bad target.
  val device(std::string gateway_id, val target) const {
    if (!role_) return val::null();
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    const auto* view = role_->view().device(gateway_id, *t);
    if (view == nullptr) return val::null();
    json events = json::array();
    for (const auto& e : view->events) {
      events.push_back(json{{"method", e.method}, {"params", e.params}, {"ts", e.ts_ms.value_or(0)}});
    }
    json out = {{"telemetry", values_to_json(view->telemetry)},
                {"attributes", values_to_json(view->attributes)},
                {"events", std::move(events)}};
    return val(json_text(out));
  }

  // true / false, or null if the broker never spoke of `device_id`.
  val online(std::string device_id) const {
    if (!role_) return val::null();
    auto o = role_->view().online(device_id);
    return o ? val(*o) : val::null();
  }

 private:
  unsigned packed(const pf::Outputs& outputs, std::optional<std::int64_t> deadline) {
    packed_.assign(4, '\0');
    pf::append_outputs_json(packed_, outputs, deadline);
    const auto length = static_cast<std::uint32_t>(packed_.size() - 4);
    std::memcpy(packed_.data(), &length, sizeof length);
    return static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(packed_.data()));
  }

  std::optional<pf::PlatformRole> role_;
  std::string packed_;  // the last receiveScratch()/tickPacked() result
  std::optional<mqtt::Error> options_error_;
};

}  // namespace
}  // namespace tpgate::bindings

EMSCRIPTEN_BINDINGS(tpgate_platform) {
  using tpgate::bindings::PlatformRoleBinding;
  emscripten::class_<PlatformRoleBinding>("PlatformRole")
      .constructor<emscripten::val>()
      .function("optionsError", &PlatformRoleBinding::optionsError)
      .function("subscriptions", &PlatformRoleBinding::subscriptions)
      .function("receive", &PlatformRoleBinding::receive)
      .function("receiveScratch", &PlatformRoleBinding::receiveScratch)
      .function("receiveJson", &PlatformRoleBinding::receiveJson)
      .function("tickPacked", &PlatformRoleBinding::tickPacked)
      .function("tickJson", &PlatformRoleBinding::tickJson)
      .function("sendCommand", &PlatformRoleBinding::sendCommand)
      .function("sendAttributeSet", &PlatformRoleBinding::sendAttributeSet)
      .function("sendAttributeGet", &PlatformRoleBinding::sendAttributeGet)
      .function("sendControl", &PlatformRoleBinding::sendControl)
      .function("tick", &PlatformRoleBinding::tick)
      .function("nextDeadline", &PlatformRoleBinding::nextDeadline)
      .function("pendingCount", &PlatformRoleBinding::pendingCount)
      .function("mapDevice", &PlatformRoleBinding::mapDevice)
      .function("device", &PlatformRoleBinding::device)
      .function("online", &PlatformRoleBinding::online);
}
