// Embind registration of gateway::GatewayRole as `GatewayRole`.
//
// Thin: the role does the protocol; this file converts. Every call that the
// role answers with publications and events returns ONE object
//   {ok: true, publications: [{topic, payload, qos, retain}], events: [{type, ...}]}
// or a failure {ok: false, code, reason, message}; nothing throws. JSON crosses
// the boundary as strings (payloads, request bodies, attribute values) so JS
// parses each one once. The JS owner must call delete() when done.
#include <emscripten/bind.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "convert.hpp"
#include "gateway/gateway_role.hpp"
#include "gateway/payload_parse.hpp"

namespace tpgate::bindings {
namespace {

namespace gw = tpgate::gateway;

std::int64_t gateway_millis(double now) {
  if (!std::isfinite(now)) return 0;
  constexpr double kLimit = static_cast<double>(kMaxSafeInteger);
  return static_cast<std::int64_t>(std::clamp(now, -kLimit, kLimit));
}

std::string dump(const gw::json& value) { return value.dump(-1, ' ', false, gw::json::error_handler_t::replace); }

const char* kind_key(gw::DownlinkKind kind) {
  switch (kind) {
    case gw::DownlinkKind::Control: return "control";
    case gw::DownlinkKind::AttributeSet: return "attributeSet";
    case gw::DownlinkKind::AttributeGet: return "attributeGet";
    case gw::DownlinkKind::Command: return "command";
  }
  return "unknown";
}

const char* report_kind_key(gw::RequestKind kind) {
  switch (kind) {
    case gw::RequestKind::AttributeReport: return "attributeReport";
    case gw::RequestKind::EventReport: return "eventReport";
    case gw::RequestKind::AttributeSet: return "attributeSet";
    case gw::RequestKind::Command: return "command";
  }
  return "unknown";
}

val strings_to_js(const std::vector<std::string>& list) {
  val out = val::array();
  for (const auto& s : list) out.call<void>("push", s);
  return out;
}

val target_to_js(const gw::Target& target) {
  val out = val::object();
  out.set("subGateways", strings_to_js(target.sub_gateways));
  if (target.sub_device) out.set("subDevice", *target.sub_device);
  return out;
}

val publication_to_js(const gw::Publication& pub) {
  val out = val::object();
  out.set("topic", pub.topic);
  out.set("payload", pub.payload);
  out.set("qos", pub.qos);
  out.set("retain", pub.retain);
  return out;
}

struct EventToJs {
  val operator()(const gw::Request& r) const {
    val out = val::object();
    out.set("type", "request");
    out.set("id", static_cast<double>(r.id));
    out.set("kind", kind_key(r.kind));
    out.set("messageId", r.message_id);
    out.set("target", target_to_js(r.target));
    out.set("body", dump(r.body));
    return out;
  }
  val operator()(const gw::ReportAcked& a) const {
    val out = val::object();
    out.set("type", "reportAcked");
    out.set("token", static_cast<double>(a.token));
    out.set("rttMs", static_cast<double>(a.rtt_ms));
    out.set("success", a.success);
    out.set("errcode", a.result.errcode);
    out.set("message", a.result.message);
    out.set("problem", a.problem);
    out.set("family", a.family == gw::AckFamily::Devices ? "devices" : "gateway");
    return out;
  }
  val operator()(const gw::ReportTimedOut& t) const {
    val out = val::object();
    out.set("type", "reportTimedOut");
    out.set("token", static_cast<double>(t.token));
    out.set("kind", report_kind_key(t.kind));
    out.set("messageId", t.message_id);
    return out;
  }
  val operator()(const gw::ReportSent& s) const {
    val out = val::object();
    out.set("type", "reportSent");
    out.set("token", static_cast<double>(s.token));
    out.set("messageId", s.message_id);
    return out;
  }
  val operator()(const gw::ErrorEvent& e) const {
    val out = val::object();
    out.set("type", "error");
    out.set("error", error_to_js(e.error));
    out.set("topic", e.topic);
    return out;
  }
  val operator()(const gw::Warning& w) const {
    val out = val::object();
    out.set("type", "warning");
    out.set("message", w.message);
    return out;
  }
};

val output_to_js(const gw::GatewayOutput& output) {
  val out = val::object();
  out.set("ok", true);
  val pubs = val::array();
  for (const auto& p : output.publications) pubs.call<void>("push", publication_to_js(p));
  val events = val::array();
  for (const auto& e : output.events) events.call<void>("push", std::visit(EventToJs{}, e));
  out.set("publications", pubs);
  out.set("events", events);
  return out;
}

// {ok: true, publications: [pub], events: [], messageId, token (null for telemetry), warnings}
val report_to_js(const mqtt::Result<gw::Report>& result) {
  if (!result) return failure_to_js(result.error());
  const gw::Report& report = result.value();
  val out = val::object();
  out.set("ok", true);
  val pubs = val::array();
  pubs.call<void>("push", publication_to_js(report.publication));
  out.set("publications", pubs);
  out.set("events", val::array());
  out.set("messageId", report.message_id);
  out.set("token", report.token ? val(static_cast<double>(*report.token)) : val::null());
  out.set("warnings", strings_to_js(report.warnings));
  return out;
}

mqtt::Error options_error(std::string path, const std::string& what) { return mqtt::argument_error(std::move(path), what); }

class GatewayRoleBinding {
 public:
  // {deviceNumber: string, ackTimeout?: ms, maxDepth?: int, qos?: 0|1|2, maxPayloadBytes?: int}
  explicit GatewayRoleBinding(val options) {
    gw::GatewayRoleOptions parsed;
    ObjectReader reader(options, "options");
    reader.string("deviceNumber", parsed.device_number);
    std::uint64_t ack_timeout = static_cast<std::uint64_t>(parsed.ack_timeout_ms);
    reader.integer("ackTimeout", ack_timeout);
    std::uint32_t max_depth = static_cast<std::uint32_t>(parsed.max_depth);
    reader.integer("maxDepth", max_depth);
    std::uint8_t qos = parsed.qos;
    reader.integer("qos", qos);
    std::uint64_t max_payload = parsed.limits.max_payload_bytes;
    reader.integer("maxPayloadBytes", max_payload);
    if (!reader.ok()) {
      error_ = reader.error();
      return;
    }
    if (parsed.device_number.empty()) {
      error_ = options_error("options.deviceNumber", "expected a non-empty string (the gateway's device_number)");
      return;
    }
    if (qos > 2) {
      error_ = options_error("options.qos", "expected 0, 1 or 2");
      return;
    }
    if (max_depth > 1000) {
      error_ = options_error("options.maxDepth", "expected an integer from 0 to 1000");
      return;
    }
    parsed.ack_timeout_ms = static_cast<std::int64_t>(ack_timeout);
    parsed.max_depth = static_cast<int>(max_depth);
    parsed.qos = qos;
    parsed.limits.max_payload_bytes = static_cast<std::size_t>(max_payload);
    limits_ = parsed.limits;
    role_.emplace(std::move(parsed));
  }

  val optionsError() const { return error_ ? failure_to_js(*error_) : val::null(); }

  val subscriptions() const {
    if (!role_) return failure_to_js(*error_);
    auto list = role_->subscriptions();
    if (!list) return failure_to_js(list.error());
    val out = val::object();
    out.set("ok", true);
    out.set("filters", strings_to_js(list.value()));
    return out;
  }

  val receive(std::string topic, val payload, double now) {
    if (!role_) return failure_to_js(*error_);
    auto bytes = bytes_from_js(payload);
    if (!bytes) return failure_to_js(bytes.error());
    std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    return output_to_js(role_->receive(topic, text, gateway_millis(now)));
  }

  // outcome: {ok: boolean, errcode?, message?, values?: JSON text of an object}
  val respond(double id, val outcome, double now) {
    if (!role_) return failure_to_js(*error_);
    auto request_id = integer_from_js(val(id), kMaxSafeInteger);
    if (!request_id) return failure_to_js(options_error("respond", "the request id must be a non-negative integer"));
    ObjectReader reader(outcome, "outcome");
    bool ok = true;
    std::string errcode;
    std::string message;
    std::string values_text;
    reader.boolean("ok", ok);
    reader.string("errcode", errcode);
    reader.string("message", message);
    reader.string("values", values_text);
    if (!reader.ok()) return failure_to_js(reader.error());
    gw::RequestOutcome parsed;
    if (ok) {
      gw::json values = gw::json::object();
      if (!values_text.empty()) {
        auto json = gw::parse_json_text(values_text, limits_);
        if (!json) return failure_to_js(json.error());
        values = std::move(json.value());
      }
      parsed = gw::RequestOutcome::success(std::move(values));
    } else {
      parsed = gw::RequestOutcome::failure(std::move(errcode), std::move(message));
    }
    auto result = role_->respond(*request_id, parsed, gateway_millis(now));
    if (!result) return failure_to_js(result.error());
    return output_to_js(result.value());
  }

  val reportTelemetry(std::string text, double now) { return report(Kind::Telemetry, text, now); }
  val reportAttributes(std::string text, double now) { return report(Kind::Attributes, text, now); }
  val reportEvent(std::string text, double now) { return report(Kind::Event, text, now); }

  val tick(double now) {
    if (!role_) return failure_to_js(*error_);
    return output_to_js(role_->tick(gateway_millis(now)));
  }

  // The earliest ack deadline (ms on the caller's clock), or null when nothing waits.
  val nextDeadline() const {
    if (!role_) return val::null();
    auto deadline = role_->next_deadline();
    return deadline ? val(static_cast<double>(*deadline)) : val::null();
  }

  double pendingReports() const { return role_ ? static_cast<double>(role_->pending_reports()) : 0; }
  double openRequests() const { return role_ ? static_cast<double>(role_->open_requests()) : 0; }

 private:
  enum class Kind { Telemetry, Attributes, Event };

  val report(Kind kind, const std::string& text, double now) {
    if (!role_) return failure_to_js(*error_);
    auto json = gw::parse_json_text(text, limits_);
    if (!json) return failure_to_js(json.error());
    const std::int64_t ms = gateway_millis(now);
    switch (kind) {
      case Kind::Telemetry: return report_to_js(role_->report_telemetry(json.value(), ms));
      case Kind::Attributes: return report_to_js(role_->report_attributes(json.value(), ms));
      case Kind::Event: return report_to_js(role_->report_event(json.value(), ms));
    }
    return val::null();
  }

  std::optional<gw::GatewayRole> role_;
  std::optional<mqtt::Error> error_;
  gw::PayloadLimits limits_;
};

}  // namespace
}  // namespace tpgate::bindings

EMSCRIPTEN_BINDINGS(tpgate_gateway) {
  using tpgate::bindings::GatewayRoleBinding;
  emscripten::class_<GatewayRoleBinding>("GatewayRole")
      .constructor<emscripten::val>()
      .function("optionsError", &GatewayRoleBinding::optionsError)
      .function("subscriptions", &GatewayRoleBinding::subscriptions)
      .function("receive", &GatewayRoleBinding::receive)
      .function("respond", &GatewayRoleBinding::respond)
      .function("reportTelemetry", &GatewayRoleBinding::reportTelemetry)
      .function("reportAttributes", &GatewayRoleBinding::reportAttributes)
      .function("reportEvent", &GatewayRoleBinding::reportEvent)
      .function("tick", &GatewayRoleBinding::tick)
      .function("nextDeadline", &GatewayRoleBinding::nextDeadline)
      .function("pendingReports", &GatewayRoleBinding::pendingReports)
      .function("openRequests", &GatewayRoleBinding::openRequests);
}
