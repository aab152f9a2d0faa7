// Embind registration of gateway::GatewayRole as `GatewayRole`.
//
// Thin: the role does the protocol; this file converts. Every call that the
// role answers with publications and events (receive, respond, the reports,
// tick) returns the address of ONE frame of the one layout
// (gateway/gateway_frame.hpp: publication records, and JSON event records for
// the events, a report's result and a refused call), which npm/src/packed.js
// reads in place; nothing throws. The received message comes in through the
// module's scratch area (tpgate_gateway_receive below); report and respond
// take JSON text. The JS owner must call delete() when done.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "convert.hpp"
#include "gateway/gateway_frame.hpp"
#include "gateway/gateway_role.hpp"
#include "gateway/payload_parse.hpp"
#include "session_packed.hpp"

namespace tpgate::bindings {
namespace {

namespace gw = tpgate::gateway;

std::int64_t gateway_millis(double now) {
  if (!std::isfinite(now)) return 0;
  constexpr double kLimit = static_cast<double>(kMaxSafeInteger);
  return static_cast<std::int64_t>(std::clamp(now, -kLimit, kLimit));
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

  // This object's address, for the plain export below.
  double address() const { return static_cast<double>(reinterpret_cast<std::uintptr_t>(this)); }

  // The receive path: topic and payload were written back to back into the
  // scratch area (packed.js writePublish()).
  unsigned receiveScratch(unsigned topic_length, unsigned payload_length, double now) {
    const auto data = scratch(std::size_t{topic_length} + payload_length);
    const std::string_view all(reinterpret_cast<const char*>(data.data()), data.size());
    frame_.begin();
    if (!role_) return failed(*error_);
    frame_.output(role_->receive(all.substr(0, topic_length), all.substr(topic_length), gateway_millis(now)));
    return finish();
  }

  // outcome: {ok: boolean, errcode?, message?, values?: JSON text of an object}
  unsigned respond(double id, val outcome, double now) {
    frame_.begin();
    if (!role_) return failed(*error_);
    auto request_id = integer_from_js(val(id), kMaxSafeInteger);
    if (!request_id) return failed(options_error("respond", "the request id must be a non-negative integer"));
    ObjectReader reader(outcome, "outcome");
    bool ok = true;
    std::string errcode;
    std::string message;
    std::string values_text;
    reader.boolean("ok", ok);
    reader.string("errcode", errcode);
    reader.string("message", message);
    reader.string("values", values_text);
    if (!reader.ok()) return failed(reader.error());
    gw::RequestOutcome parsed;
    if (ok) {
      gw::json values = gw::json::object();
      if (!values_text.empty()) {
        auto json = gw::parse_json_text(values_text, limits_);
        if (!json) return failed(json.error());
        values = std::move(json.value());
      }
      parsed = gw::RequestOutcome::success(std::move(values));
    } else {
      parsed = gw::RequestOutcome::failure(std::move(errcode), std::move(message));
    }
    auto result = role_->respond(*request_id, parsed, gateway_millis(now));
    if (!result) return failed(result.error());
    frame_.output(result.value());
    return finish();
  }

  unsigned reportTelemetry(std::string text, double now) { return report(Kind::Telemetry, text, now); }
  unsigned reportAttributes(std::string text, double now) { return report(Kind::Attributes, text, now); }
  unsigned reportEvent(std::string text, double now) { return report(Kind::Event, text, now); }

  unsigned tick(double now) {
    frame_.begin();
    if (!role_) return failed(*error_);
    frame_.output(role_->tick(gateway_millis(now)));
    return finish();
  }

  // A report awaiting its ack from before a restart: the frame holds {type: 'report', messageId, token}.
  unsigned resumeReport(bool event, std::string message_id, double now) {
    frame_.begin();
    if (!role_) return failed(*error_);
    auto result = role_->resume_report(event, std::move(message_id), gateway_millis(now));
    if (!result) return failed(result.error());
    frame_.report(result.value());
    return finish();
  }

  double pendingReports() const { return role_ ? static_cast<double>(role_->pending_reports()) : 0; }
  double openRequests() const { return role_ ? static_cast<double>(role_->open_requests()) : 0; }

 private:
  enum class Kind { Telemetry, Attributes, Event };

  // The frame of the last call, with the role's next ack deadline.
  unsigned finish() {
    const auto deadline = role_ ? role_->next_deadline() : std::nullopt;
    return static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(frame_.finish(deadline)));
  }
  // A frame holding only a failure event.
  unsigned failed(const mqtt::Error& error) {
    frame_.failure(error);
    return finish();
  }

  unsigned report(Kind kind, const std::string& text, double now) {
    frame_.begin();
    if (!role_) return failed(*error_);
    auto json = gw::parse_json_text(text, limits_);
    if (!json) return failed(json.error());
    const std::int64_t ms = gateway_millis(now);
    auto result = kind == Kind::Telemetry    ? role_->report_telemetry(json.value(), ms)
                  : kind == Kind::Attributes ? role_->report_attributes(json.value(), ms)
                                             : role_->report_event(json.value(), ms);
    if (!result) return failed(result.error());
    frame_.report(result.value());
    return finish();
  }

  std::optional<gw::GatewayRole> role_;
  std::optional<mqtt::Error> error_;
  gw::PayloadLimits limits_;
  gw::GatewayFrame frame_;  // the last call's result
};

}  // namespace
}  // namespace tpgate::bindings

// receiveScratch() as a plain export, called with the address that
// GatewayRole.address() gave: once per received message, a direct call where
// an Embind method goes through a generic invoker.
extern "C" EMSCRIPTEN_KEEPALIVE double tpgate_gateway_receive(std::uintptr_t role, unsigned topic_length,
                                                              unsigned payload_length, double now) {
  return reinterpret_cast<tpgate::bindings::GatewayRoleBinding*>(role)->receiveScratch(topic_length, payload_length,
                                                                                      now);
}

EMSCRIPTEN_BINDINGS(tpgate_gateway) {
  using tpgate::bindings::GatewayRoleBinding;
  emscripten::class_<GatewayRoleBinding>("GatewayRole")
      .constructor<emscripten::val>()
      .function("optionsError", &GatewayRoleBinding::optionsError)
      .function("subscriptions", &GatewayRoleBinding::subscriptions)
      .function("address", &GatewayRoleBinding::address)
      .function("respond", &GatewayRoleBinding::respond)
      .function("reportTelemetry", &GatewayRoleBinding::reportTelemetry)
      .function("reportAttributes", &GatewayRoleBinding::reportAttributes)
      .function("reportEvent", &GatewayRoleBinding::reportEvent)
      .function("tick", &GatewayRoleBinding::tick)
      .function("pendingReports", &GatewayRoleBinding::pendingReports)
      .function("resumeReport", &GatewayRoleBinding::resumeReport)
      .function("openRequests", &GatewayRoleBinding::openRequests);
}
