#include "gateway/platform_json.hpp"

#include <algorithm>
#include <string_view>
#include <variant>

#include "json/writer.hpp"

namespace tpgate::gateway::platform {
namespace {

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

void write_optional(Writer& w, const std::optional<std::string>& text) {
  if (text) {
    w.string(*text);
  } else {
    w.null();
  }
}

// {"type":..., "event":{...}}: the shape the JS API emits; the caller closes both.
Writer& open_event(Writer& w, std::string_view type) {
  return w.begin_object().key("type").string(type).key("event").begin_object();
}

struct EventWriter {
  Writer& w;

  void operator()(const TelemetryReceived& e) const {
    open_event(w, "telemetry").key("gateway").string(e.gateway).key("target");
    write_target(w, e.target);
    w.key("values").value(e.values).key("ts").integer(e.ts_ms).end_object().end_object();
  }
  void operator()(const AttributesReceived& e) const {
    open_event(w, "attributes").key("gateway").string(e.gateway).key("target");
    write_target(w, e.target);
    w.key("values").value(e.values).key("ts").integer(e.ts_ms).key("messageId").string(e.message_id);
    w.end_object().end_object();
  }
  void operator()(const EventReceived& e) const {
    open_event(w, "event").key("gateway").string(e.gateway).key("target");
    write_target(w, e.target);
    w.key("method").string(e.method).key("params").value(e.params).key("ts").integer(e.ts_ms);
    w.key("messageId").string(e.message_id).end_object().end_object();
  }
  void operator()(const StatusChanged& e) const {
    open_event(w, "status").key("deviceId").string(e.device_id).key("online").boolean(e.online);
    w.end_object().end_object();
  }
  void operator()(const Warning& e) const {
    open_event(w, "warning").key("topic").string(e.topic).key("gateway").string(e.gateway);
    w.key("message").string(e.message).end_object().end_object();
  }
  // The request outcomes carry their fields beside "type".
  void operator()(const RequestCompleted& e) const {
    const auto& r = e.response.response;
    w.begin_object().key("type").string("requestCompleted");
    w.key("token").integer(static_cast<std::int64_t>(e.token)).key("success").boolean(r.success).key("result");
    if (e.response.result) {
      w.value(json(*e.response.result));
    } else {
      w.null();
    }
    w.key("errcode").string(r.errcode).key("message").string(r.message).key("ts").integer(r.ts).key("method");
    write_optional(w, r.method);
    w.key("problem").string(e.response.problem).key("rttMs").integer(e.rtt_ms).key("report");
    if (e.report) {
      w.value(*e.report);
    } else {
      w.null();
    }
    w.end_object();
  }
  void operator()(const RequestTimedOut& e) const {
    w.begin_object().key("type").string("requestTimedOut");
    w.key("token").integer(static_cast<std::int64_t>(e.token)).key("message").string(e.message).end_object();
  }
  void operator()(const ProtocolError& e) const {
    w.begin_object().key("type").string("protocolError");
    w.key("topic").string(e.topic).key("gateway").string(e.gateway).key("error").begin_object();
    const auto code = static_cast<std::uint8_t>(e.error.reason);
    w.key("code").integer(code).key("reason").string(mqtt::reason_code_name(code));
    w.key("message").string(e.error.message).end_object().end_object();
  }
};

}  // namespace

void append_outputs_json(std::string& text, const Outputs& outputs, std::optional<std::int64_t> deadline) {
  Writer w(text);
  w.begin_object().key("publications").begin_array();
  for (const Publication& p : outputs.publications) {
    w.begin_object().key("topic").string(p.topic).key("payload").string(p.payload);
    w.key("qos").integer(static_cast<int>(p.qos)).key("retain").boolean(p.retain).end_object();
  }
  w.end_array();
  // Telemetry (nearly every event) goes in a compact array of its own when it
  // comes after every other event (as receive() orders them: warnings first)
  // and has one gateway (one message has one sender); the host emits "events"
  // first. Otherwise every event goes in "events".
  const auto is_telemetry = [](const PlatformEvent& e) { return std::holds_alternative<TelemetryReceived>(e); };
  auto first_telemetry = std::find_if(outputs.events.begin(), outputs.events.end(), is_telemetry);
  if (first_telemetry != outputs.events.end()) {
    const std::string& gateway = std::get<TelemetryReceived>(*first_telemetry).gateway;
    const bool compact = std::all_of(first_telemetry, outputs.events.end(), [&](const PlatformEvent& e) {
      const auto* t = std::get_if<TelemetryReceived>(&e);
      return t != nullptr && t->gateway == gateway;
    });
    if (!compact) first_telemetry = outputs.events.end();
  }
  w.key("events").begin_array();
  for (auto it = outputs.events.begin(); it != first_telemetry; ++it) std::visit(EventWriter{w}, *it);
  w.end_array();
  if (first_telemetry != outputs.events.end()) {
    w.key("gateway").string(std::get<TelemetryReceived>(*first_telemetry).gateway);
  }
  // [subGateways, subDevice | null, values, ts] each.
  w.key("telemetry").begin_array();
  for (auto it = first_telemetry; it != outputs.events.end(); ++it) {
    const auto& e = std::get<TelemetryReceived>(*it);
    w.begin_array().begin_array();
    for (const auto& gw : e.target.sub_gateways) w.string(gw);
    w.end_array();
    write_optional(w, e.target.sub_device);
    w.value(e.values).integer(e.ts_ms).end_array();
  }
  w.end_array().key("deadline");
  if (deadline) {
    w.integer(*deadline);
  } else {
    w.null();
  }
  w.end_object();
}

}  // namespace tpgate::gateway::platform
