#include "gateway/gateway_frame.hpp"

#include <variant>

namespace tpgate::gateway {
namespace {

using Writer = tpgate::json::Writer;

const char* downlink_key(DownlinkKind kind) {
  switch (kind) {
    case DownlinkKind::Control: return "control";
    case DownlinkKind::AttributeSet: return "attributeSet";
    case DownlinkKind::AttributeGet: return "attributeGet";
    case DownlinkKind::Command: return "command";
  }
  return "unknown";
}

const char* report_key(RequestKind kind) {
  switch (kind) {
    case RequestKind::AttributeReport: return "attributeReport";
    case RequestKind::EventReport: return "eventReport";
    case RequestKind::AttributeSet: return "attributeSet";
    case RequestKind::Command: return "command";
  }
  return "unknown";
}

Writer& open(Writer& w, const char* type) { return w.begin_object().key("type").string(type); }

struct EventWriter {
  Writer& w;

  void operator()(const Request& r) const {
    open(w, "request").key("id").integer(r.id).key("kind").string(downlink_key(r.kind));
    w.key("messageId").string(r.message_id).key("target").begin_object().key("subGateways").begin_array();
    for (const auto& gw : r.target.sub_gateways) w.string(gw);
    w.end_array();
    if (r.target.sub_device) w.key("subDevice").string(*r.target.sub_device);
    w.end_object().key("body").value(r.body).end_object();
  }
  void operator()(const ReportAcked& a) const {
    open(w, "reportAcked").key("token").integer(a.token).key("rttMs").integer(a.rtt_ms).key("success").boolean(a.success);
    w.key("errcode").string(a.result.errcode).key("message").string(a.result.message).key("problem").string(a.problem);
    w.key("family").string(a.family == AckFamily::Devices ? "devices" : "gateway").end_object();
  }
  void operator()(const ReportTimedOut& t) const {
    open(w, "reportTimedOut").key("token").integer(t.token).key("kind").string(report_key(t.kind));
    w.key("messageId").string(t.message_id).end_object();
  }
  void operator()(const ReportSent& s) const {
    open(w, "reportSent").key("token").integer(s.token).key("messageId").string(s.message_id).end_object();
  }
  void operator()(const ErrorEvent& e) const {
    open(w, "error").key("error").begin_object();
    frame::error_members(w, e.error);
    w.end_object().key("topic").string(e.topic).end_object();
  }
  void operator()(const Warning& e) const { open(w, "warning").key("message").string(e.message).end_object(); }
};

}  // namespace

void GatewayFrame::output(const GatewayOutput& output) {
  for (const auto& p : output.publications) publication(p);
  for (const auto& e : output.events) {
    writer_.json_event_with([&e](Writer& w) { std::visit(EventWriter{w}, e); });
  }
}

void GatewayFrame::report(const Report& report) {
  if (!report.publication.topic.empty()) publication(report.publication);
  writer_.json_event_with([&report](Writer& w) {
    open(w, "report").key("messageId").string(report.message_id).key("token");
    if (report.token) {
      w.integer(*report.token);
    } else {
      w.null();
    }
    w.key("warnings").begin_array();
    for (const auto& warning : report.warnings) w.string(warning);
    w.end_array().end_object();
  });
}

void GatewayFrame::failure(const mqtt::Error& error) {
  writer_.json_event_with([&error](Writer& w) {
    open(w, "failure");
    frame::error_members(w, error);
    w.end_object();
  });
}

}  // namespace tpgate::gateway
