// Embind registration of the platform role (docs/thingspanel.md#roles): `new PlatformRole(options)`,
// a sans-I/O object the JS host (npm/src/platform.js) feeds with received
// messages and a clock. What a received message or a tick causes comes back as
// one frame (session_packed.hpp); the other calls return one plain JS object,
// JSON values (params, views) as JSON text parsed once in JS. Nothing throws:
// failures are {ok: false, code, reason, message}.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "convert.hpp"
#include "gateway/platform_frame.hpp"
#include "gateway/platform_role.hpp"
#include "json/writer.hpp"
#include "script_bindings.hpp"
#include "session_packed.hpp"

namespace tpgate::bindings {
namespace {

using gateway::json;
using gateway::Target;
namespace pf = gateway::platform;

mqtt::Error bad_argument(std::string path, const std::string& what) { return mqtt::argument_error(std::move(path), what); }

// Invalid UTF-8 becomes U+FFFD: dump() must not fail (no exceptions here).
std::string json_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::int64_t ms_from_js(double now) { return static_cast<std::int64_t>(now); }

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
      return bad_argument("target.subDevice", "expected a string, null or undefined");
    }
  } else {
    return bad_argument("target", "expected an array of addresses or {subGateways, subDevice}");
  }
  for (const auto& a : target.sub_gateways) {
    if (a.empty()) return bad_argument("target", "a sub-gateway address is empty");
  }
  if (target.sub_device && target.sub_device->empty()) return bad_argument("target", "the sub-device address is empty");
  return target;
}

mqtt::Result<json> json_from_js(const val& text, const char* where) {
  if (!text.isString()) return bad_argument(where, "expected JSON text");
  auto parsed = gateway::parse_json_text(text.as<std::string>());
  if (!parsed) return bad_argument(where, parsed.error().message);
  return std::move(*parsed);
}

mqtt::Result<std::string> string_from_js(const val& value, const char* where) {
  if (!value.isString()) return bad_argument(where, "expected a string");
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
    return bad_argument("options.ackTopics", "expected 'spec', 'backend' or 'both'");
  }
  if (timeout == 0) return bad_argument("options.requestTimeout", "expected an integer of at least 1 (ms)");
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

using Writer = tpgate::json::Writer;

// {"path":[...sub-gateways, sub-device?],"subGateways":[...],"subDevice":...,"name":...}
void write_target(Writer& w, const Target& target) {
  w.begin_object().key("path").begin_array();
  for (const auto& gw : target.sub_gateways) w.string(gw);
  if (target.sub_device) w.string(*target.sub_device);
  w.end_array().key("subGateways").begin_array();
  for (const auto& gw : target.sub_gateways) w.string(gw);
  w.end_array();
  if (target.sub_device) w.key("subDevice").string(*target.sub_device);
  w.key("name").string(target.to_string()).end_object();
}

// {"type":..., "event":{...}}: the shape the JS API emits; the caller closes both.
Writer& open_event(Writer& w, std::string_view type) {
  return w.begin_object().key("type").string(type).key("event").begin_object();
}

// The events that are not telemetry, as the JSON text of a JSON event record.
struct EventWriter {
  Writer& w;

  void operator()(const pf::TelemetryReceived&) const {}  // a kTelemetry record instead
  void operator()(const pf::AttributesReceived& e) const {
    open_event(w, "attributes").key("gateway").string(e.gateway).key("target");
    write_target(w, e.target);
    w.key("values").value(e.values).key("ts").integer(e.ts_ms).key("messageId").string(e.message_id);
    w.end_object().end_object();
  }
  void operator()(const pf::EventReceived& e) const {
    open_event(w, "event").key("gateway").string(e.gateway).key("target");
    write_target(w, e.target);
    w.key("method").string(e.method).key("params").value(e.params).key("ts").integer(e.ts_ms);
    w.key("messageId").string(e.message_id).end_object().end_object();
  }
  void operator()(const pf::StatusChanged& e) const {
    open_event(w, "status").key("deviceId").string(e.device_id).key("online").boolean(e.online);
    w.end_object().end_object();
  }
  void operator()(const pf::Warning& e) const {
    open_event(w, "warning").key("topic").string(e.topic).key("gateway").string(e.gateway);
    w.key("message").string(e.message).end_object().end_object();
  }
  // The request outcomes carry their fields beside "type".
  void operator()(const pf::RequestCompleted& e) const {
    const auto& r = e.response.response;
    w.begin_object().key("type").string("requestCompleted");
    w.key("token").integer(static_cast<std::int64_t>(e.token)).key("success").boolean(r.success).key("result");
    if (e.response.result) {
      w.value(json(*e.response.result));
    } else {
      w.null();
    }
    w.key("errcode").string(r.errcode).key("message").string(r.message).key("ts").integer(r.ts).key("method");
    if (r.method) {
      w.string(*r.method);
    } else {
      w.null();
    }
    w.key("problem").string(e.response.problem).key("rttMs").integer(e.rtt_ms).key("report");
    if (e.report) {
      w.value(*e.report);
    } else {
      w.null();
    }
    w.end_object();
  }
  void operator()(const pf::RequestTimedOut& e) const {
    w.begin_object().key("type").string("requestTimedOut");
    w.key("token").integer(static_cast<std::int64_t>(e.token)).key("message").string(e.message).end_object();
  }
  void operator()(const pf::ScriptFailed& e) const {
    w.begin_object().key("type").string("scriptFailed");
    w.key("topic").string(e.topic).key("gateway").string(e.gateway).key("configuration").string(e.configuration);
    w.key("scriptType").string(pf::script_type_name(e.type));
    w.key("kind").string(script::failure_kind_name(e.failure.kind)).key("line").integer(e.failure.line);
    w.key("luaMessage").string(e.failure.message).key("message").string(e.error.message).end_object();
  }
  void operator()(const pf::ProtocolError& e) const {
    w.begin_object().key("type").string("protocolError");
    w.key("topic").string(e.topic).key("gateway").string(e.gateway).key("error").begin_object();
    frame::error_members(w, e.error);
    w.end_object().end_object();
  }
};

// The frame of one call: the core's writer, with the events that are not
// telemetry written as JSON text in the shapes the JS API emits.
class PlatformFrame {
 public:
  void begin() { writer_.begin(); }
  void write(const pf::Outputs& outputs) {
    for (const auto& p : outputs.publications) writer_.publication(p);
    for (const auto& e : outputs.events) {
      if (const auto* t = std::get_if<pf::TelemetryReceived>(&e)) {
        writer_.telemetry(*t);
        continue;
      }
      writer_.json_event_with([&e](Writer& w) { std::visit(EventWriter{w}, e); });
    }
  }
  void fast(const pf::FastOutputs& f) { writer_.fast(f); }
  void use_keys(gateway::KeyTable& keys) { writer_.use_keys(keys); }
  unsigned finish(std::optional<std::int64_t> deadline) {
    return static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(writer_.finish(deadline)));
  }

 private:
  pf::FrameWriter writer_;
};

// {ok: true, token, messageId, publication} or a failure.
// A failure; a data script's (ErrorKind::Script) says so in `kind`.
val platform_failure_to_js(const mqtt::Error& error) {
  val out = failure_to_js(error);
  if (error.kind == mqtt::ErrorKind::Script) out.set("kind", std::string("script"));
  return out;
}

val sent_to_js(const mqtt::Result<pf::Sent>& sent) {
  if (!sent) return platform_failure_to_js(sent.error());
  val out = val::object();
  out.set("ok", true);
  out.set("token", static_cast<double>(sent->token));
  out.set("messageId", sent->message_id);
  out.set("publication", publication_to_js(sent->publication));
  return out;
}

json values_to_json(const gateway::ValuesAt& values) {
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
      frame_.use_keys(role_->keys());
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

  // The receive path (npm/src/platform.js): topic, payload and sender (the
  // gateway's identity when no envelope names it; may be empty) were written
  // back to back at reserveScratch(); returns the address of the frame of
  // outputs (session_packed.hpp), valid until the next call on this role.
  unsigned receiveScratch(unsigned topic_length, unsigned payload_length, unsigned sender_length, double now) {
    const auto data = scratch(std::size_t{topic_length} + payload_length + sender_length);
    const std::string_view all(reinterpret_cast<const char*>(data.data()), data.size());
    const std::string_view topic = all.substr(0, topic_length);
    const std::string_view payload = all.substr(topic.size(), payload_length);
    const std::string_view sender = all.substr(topic.size() + payload.size());
    frame_.begin();
    if (!role_) return frame_.finish(std::nullopt);
    auto outputs = role_->receive(topic, payload, ms_from_js(now), sender, &fast_);
    write(outputs);
    if (fast_.taken) frame_.fast(fast_);
    return frame_.finish(role_->next_deadline());
  }

  // This object's address, for the plain export below.
  double address() const { return static_cast<double>(reinterpret_cast<std::uintptr_t>(this)); }

  // Requests whose deadline is <= now time out; the frame as receiveScratch().
  unsigned tick(double now) {
    frame_.begin();
    if (!role_) return frame_.finish(std::nullopt);
    write(role_->tick(ms_from_js(now)));
    return frame_.finish(role_->next_deadline());
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
      return failure_to_js(bad_argument("shape", "expected 'spec' or 'keys'"));
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

  // Data scripts (docs/thingspanel.md#data-scripts). setScript compiles
  // `source` as `configuration`'s script of `type` ("telemetry_up", ...):
  // {ok: true} or a failure (kind "script" when it does not compile).
  // `limits`: {instructions, memoryBytes}, either may be absent.
  val setScript(std::string configuration, std::string type, std::string source, val limits) {
    if (!role_) return failure_to_js(*options_error_);
    auto t = pf::script_type_from_name(type);
    if (!t) return failure_to_js(bad_argument("type", "unknown script type '" + type + "' (telemetry_up, telemetry_down, attributes_up, attributes_down, command_down, event_up)"));
    auto l = script_limits_from_js(limits);
    if (!l) return failure_to_js(l.error());
    auto st = role_->scripts().set(configuration, *t, source, *l);
    if (!st) return platform_failure_to_js(st.error());
    val out = val::object();
    out.set("ok", true);
    return out;
  }
  void removeScript(std::string configuration, std::string type) {
    auto t = pf::script_type_from_name(type);
    if (role_ && t) role_->scripts().remove(configuration, *t);
  }
  void assignConfiguration(std::string device, std::string configuration) {
    if (role_) role_->scripts().assign(device, configuration);
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
  void write(const pf::Outputs& outputs) { frame_.write(outputs); }

  std::optional<pf::PlatformRole> role_;
  PlatformFrame frame_;  // the last receiveScratch()/tick() result
  pf::FastOutputs fast_;
  std::optional<mqtt::Error> options_error_;
};

}  // namespace
}  // namespace tpgate::bindings

// receiveScratch() as a plain export, called with the address that
// PlatformRole.address() gave: once per received message, and an export is
// called directly where an Embind method goes through a generic invoker.
extern "C" EMSCRIPTEN_KEEPALIVE double tpgate_platform_receive(std::uintptr_t role, unsigned topic_length,
                                                               unsigned payload_length, unsigned sender_length,
                                                               double now) {
  return reinterpret_cast<tpgate::bindings::PlatformRoleBinding*>(role)->receiveScratch(topic_length, payload_length,
                                                                                       sender_length, now);
}

EMSCRIPTEN_BINDINGS(tpgate_platform) {
  using tpgate::bindings::PlatformRoleBinding;
  emscripten::class_<PlatformRoleBinding>("PlatformRole")
      .constructor<emscripten::val>()
      .function("optionsError", &PlatformRoleBinding::optionsError)
      .function("subscriptions", &PlatformRoleBinding::subscriptions)
      .function("receiveScratch", &PlatformRoleBinding::receiveScratch)
      .function("address", &PlatformRoleBinding::address)
      .function("sendCommand", &PlatformRoleBinding::sendCommand)
      .function("sendAttributeSet", &PlatformRoleBinding::sendAttributeSet)
      .function("sendAttributeGet", &PlatformRoleBinding::sendAttributeGet)
      .function("sendControl", &PlatformRoleBinding::sendControl)
      .function("tick", &PlatformRoleBinding::tick)
      .function("nextDeadline", &PlatformRoleBinding::nextDeadline)
      .function("pendingCount", &PlatformRoleBinding::pendingCount)
      .function("mapDevice", &PlatformRoleBinding::mapDevice)
      .function("setScript", &PlatformRoleBinding::setScript)
      .function("removeScript", &PlatformRoleBinding::removeScript)
      .function("assignConfiguration", &PlatformRoleBinding::assignConfiguration)
      .function("device", &PlatformRoleBinding::device)
      .function("online", &PlatformRoleBinding::online);
}
