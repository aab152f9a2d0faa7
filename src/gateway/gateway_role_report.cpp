// GatewayRole uplinks: telemetry, attribute and event reports, and their ack timeouts.
#include "gateway/gateway_role.hpp"

#include <utility>

namespace tpgate::gateway {

mqtt::Result<Report> GatewayRole::report(PayloadKind kind, const json& payload, std::int64_t now_ms) {
  // Validated exactly as a receiver would read it, so errors name the JSON path and
  // nothing the platform would refuse leaves (depth limit included, docs/thingspanel.md#sub-gateway-depth).
  auto parsed = parse_gateway_value(kind, payload, options_.limits);
  if (!parsed) return parsed.error();
  const std::string text = to_json(parsed->root).dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > options_.limits.max_payload_bytes) {
    return mqtt::make_error(mqtt::ReasonCode::PacketTooLarge,
                            "(root): payload of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                std::to_string(options_.limits.max_payload_bytes));
  }
  Report out;
  out.warnings = std::move(parsed->warnings);
  out.publication.payload = text;
  out.publication.qos = options_.qos;
  if (kind == PayloadKind::Telemetry) {
    out.publication.topic = telemetry_topic();
    return out;
  }
  // docs/thingspanel.md#message-id: a fresh message_id per report, never repeated within the window.
  auto mid = message_ids_.next(now_ms);
  if (!mid) return mid.error();
  const RequestKind rk = kind == PayloadKind::Event ? RequestKind::EventReport : RequestKind::AttributeReport;
  auto topic = rk == RequestKind::EventReport ? event_report_topic(*mid) : attribute_report_topic(*mid);
  if (!topic) return topic.error();
  const RequestToken token = next_token_++;
  if (auto st = correlator_.add(rk, *mid, token, now_ms, options_.ack_timeout_ms); !st) return st.error();
  reports_.emplace(token, SentReport{rk, *mid});
  out.publication.topic = std::move(*topic);
  out.message_id = std::move(*mid);
  out.token = token;
  return out;
}

mqtt::Result<Report> GatewayRole::resume_report(bool event, std::string message_id, std::int64_t now_ms) {
  if (message_id.empty()) {
    return mqtt::make_error(mqtt::ReasonCode::UnspecifiedError, "resume_report: the message_id is empty");
  }
  const RequestKind rk = event ? RequestKind::EventReport : RequestKind::AttributeReport;
  const RequestToken token = next_token_++;
  if (auto st = correlator_.add(rk, message_id, token, now_ms, options_.ack_timeout_ms); !st) return st.error();
  reports_.emplace(token, SentReport{rk, message_id});
  Report out;
  out.message_id = std::move(message_id);
  out.token = token;
  return out;
}

mqtt::Result<Report> GatewayRole::report_telemetry(const GatewayNode& node, std::int64_t now_ms) {
  return report(PayloadKind::Telemetry, to_json(node), now_ms);
}
mqtt::Result<Report> GatewayRole::report_telemetry(const json& payload, std::int64_t now_ms) {
  return report(PayloadKind::Telemetry, payload, now_ms);
}
mqtt::Result<Report> GatewayRole::report_attributes(const GatewayNode& node, std::int64_t now_ms) {
  return report(PayloadKind::Attributes, to_json(node), now_ms);
}
mqtt::Result<Report> GatewayRole::report_attributes(const json& payload, std::int64_t now_ms) {
  return report(PayloadKind::Attributes, payload, now_ms);
}
mqtt::Result<Report> GatewayRole::report_event(const GatewayNode& node, std::int64_t now_ms) {
  return report(PayloadKind::Event, to_json(node), now_ms);
}
mqtt::Result<Report> GatewayRole::report_event(const json& payload, std::int64_t now_ms) {
  return report(PayloadKind::Event, payload, now_ms);
}

GatewayOutput GatewayRole::tick(std::int64_t now_ms) {
  GatewayOutput out;
  for (RequestToken token : correlator_.expire(now_ms)) {
    ReportTimedOut timed_out;
    timed_out.token = token;
    if (auto it = reports_.find(token); it != reports_.end()) {
      timed_out.kind = it->second.kind;
      timed_out.message_id = it->second.message_id;
      reports_.erase(it);
    }
    out.events.push_back(std::move(timed_out));
  }
  return out;
}

}  // namespace tpgate::gateway
