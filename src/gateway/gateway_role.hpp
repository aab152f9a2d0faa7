// The gateway (device side) of the ThingsPanel gateway protocol as a protocol object: it owns no
// MQTT session, reads no clock and does no I/O (it runs the same under tests, Node and browsers).
// The host feeds it every received message as (topic, payload, now) and sends the Publications it
// returns; reports are correlated with their acks and time out on `tick(now)`.
//
// How answers combine when one downlink carries several targets
// (docs/thingspanel.md#one-target-per-downlink):
//   - command / attribute set: ONE response per message_id, sent once every target was
//     answered through respond(). It is a success only if every target succeeded;
//     otherwise a failure whose errcode is the first failing target's and whose message
//     names every failing target ("sensor_001: busy; gw_1/s_9: unknown device"). A
//     command response carries the method of the message's first target.
//   - a target the host does not know (set_known_targets) is failed at once, with an
//     ErrorEvent; if no target of the message is left to answer, the failure response
//     goes out immediately.
//   - attribute get: one attribute report on gateway/attributes/{new message_id} holding
//     the values of every target that answered (docs/thingspanel.md#attribute-get-shape);
//     targets that failed or are unknown are left out and told in a Warning.
//   - control has no response topic: respond() only completes the request.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/correlator.hpp"
#include "gateway/message_id.hpp"
#include "gateway/payload_parse.hpp"
#include "gateway/payload_tree.hpp"
#include "gateway/response.hpp"
#include "gateway/topics.hpp"
#include "mqtt/types.hpp"

namespace tpgate::gateway {

struct GatewayRoleOptions {
  std::string device_number;  // the top-level gateway's {dn}
  PayloadLimits limits;
  MessageIdFunction message_id;  // empty: the spec's seven-digit ids (docs/thingspanel.md#message-id)
  std::int64_t ack_timeout_ms = 10'000;
  // Sub-gateway levels accepted in and out; overrides limits.max_sub_gateway_depth.
  // A warning is given past limits.warn_sub_gateway_depth (5, docs/thingspanel.md#sub-gateway-depth).
  int max_depth = 32;
  std::uint8_t qos = 1;
};

struct Publication {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 1;
  bool retain = false;
};

enum class DownlinkKind : std::uint8_t { Control, AttributeSet, AttributeGet, Command };
std::string_view downlink_kind_name(DownlinkKind kind);

// One target of a downlink, for the host to carry out and answer with respond().
struct Request {
  std::uint64_t id = 0;
  DownlinkKind kind = DownlinkKind::Control;
  std::string message_id;  // attribute set / command; empty for control and get
  Target target;
  // command: {"method","params"}; control / attribute set: the values object;
  // attribute get: {"keys":[...]} ([] = every attribute).
  json body;
};

// An attribute or event report was acked, by either ack family (docs/thingspanel.md#ack-topics).
// `success` is false for a failure ack, a non-JSON ack or a string `result`
// (docs/thingspanel.md#flat-responses).
struct ReportAcked {
  RequestToken token = 0;
  std::int64_t rtt_ms = 0;
  bool success = false;
  Response result;
  std::string problem;  // why a malformed ack counts as a failure; empty otherwise
  AckFamily family = AckFamily::Gateway;
};

struct ReportTimedOut {
  RequestToken token = 0;
  RequestKind kind = RequestKind::AttributeReport;
  std::string message_id;
};

// An attribute report the role sent by itself, answering an attribute get.
struct ReportSent {
  RequestToken token = 0;
  std::string message_id;
};

// A bad input: the message or the target it names was refused; the role keeps working.
struct ErrorEvent {
  mqtt::Error error;
  std::string topic;
};

struct Warning {
  std::string message;
};

using GatewayEvent = std::variant<Request, ReportAcked, ReportTimedOut, ReportSent, ErrorEvent, Warning>;

struct GatewayOutput {
  std::vector<Publication> publications;
  std::vector<GatewayEvent> events;
};

// The host's answer to one Request.
struct RequestOutcome {
  bool ok = true;
  std::string errcode;  // failure only, e.g. "INVALID_PARAM"
  std::string message;  // failure only
  json values;          // attribute get: object of key -> value for the target

  static RequestOutcome success(json values = json::object()) {
    RequestOutcome o;
    o.values = std::move(values);
    return o;
  }
  static RequestOutcome failure(std::string errcode, std::string message) {
    RequestOutcome o;
    o.ok = false;
    o.errcode = std::move(errcode);
    o.message = std::move(message);
    return o;
  }
};

// A report ready to send: the publication, and for attributes/events the message_id and
// the token its ack (ReportAcked) or timeout (ReportTimedOut) will carry.
struct Report {
  Publication publication;
  std::string message_id;             // empty for telemetry
  std::optional<RequestToken> token;  // none for telemetry (no ack, spec)
  // e.g. deeper than the backend reads (docs/thingspanel.md#sub-gateway-depth)
  std::vector<std::string> warnings;
};

// errcodes the role itself puts in failure responses.
inline constexpr std::string_view kErrcodeInvalidParam = "INVALID_PARAM";
inline constexpr std::string_view kErrcodeUnknownDevice = "DEVICE_NOT_FOUND";

class GatewayRole {
 public:
  explicit GatewayRole(GatewayRoleOptions options);

  // One filter per SUBSCRIBE packet (docs/thingspanel.md#one-filter-per-subscribe), both ack
  // families (docs/thingspanel.md#ack-topics).
  mqtt::Result<std::vector<std::string>> subscriptions() const;

  // The devices below this gateway. Until called, every target is accepted; after, a
  // target outside the set (the top-level gateway itself is always known) is refused.
  void set_known_targets(std::vector<Target> targets);
  void clear_known_targets();

  // A received PUBLISH. Never fails; the output holds:
  //  - a downlink: one Request per target (+ Warning for ignored members / depth past 5);
  //    an unknown target: ErrorEvent, and a failure response once nothing else is open;
  //  - an ack (either family): ReportAcked, or a Warning for a late, duplicate or unknown ack;
  //  - a bad topic or payload: ErrorEvent naming the JSON path, plus a failure response
  //    (errcode INVALID_PARAM) on the command / attribute set response topic;
  //  - a command or attribute set whose message_id is still open: ErrorEvent only.
  GatewayOutput receive(std::string_view topic, std::string_view payload, std::int64_t now_ms);

  // The host's answer to Request `request_id`. The output holds the response (or, for an
  // attribute get, the attribute report + ReportSent) once every target of the message was
  // answered, else nothing. Fails for an unknown or already answered request, or (attribute
  // get) values that are not an object; the request then stays open.
  mqtt::Result<GatewayOutput> respond(std::uint64_t request_id, const RequestOutcome& outcome,
                                      std::int64_t now_ms);

  // Uplinks, validated as the platform would read them (errors name the JSON path; past max_depth
  // refused, past 5 levels a warning in Report::warnings). Bodies are sent as given (historical
  // arrays included, docs/thingspanel.md#historical-mode); attributes and events get a fresh
  // message_id and a token resolved by an ack or a timeout.
  mqtt::Result<Report> report_telemetry(const GatewayNode& node, std::int64_t now_ms);
  mqtt::Result<Report> report_telemetry(const json& payload, std::int64_t now_ms);
  mqtt::Result<Report> report_attributes(const GatewayNode& node, std::int64_t now_ms);
  mqtt::Result<Report> report_attributes(const json& payload, std::int64_t now_ms);
  mqtt::Result<Report> report_event(const GatewayNode& node, std::int64_t now_ms);
  mqtt::Result<Report> report_event(const json& payload, std::int64_t now_ms);

  // An attribute or event report sent before a restart (kept by the session store) and
  // still awaiting its ack: its ack resolves the returned token as for a report made
  // here, or it times out ack_timeout_ms from now. The Report has no publication.
  mqtt::Result<Report> resume_report(bool event, std::string message_id, std::int64_t now_ms);

  // ReportTimedOut for each report whose ack did not come by now_ms (ack_timeout_ms).
  GatewayOutput tick(std::int64_t now_ms);
  std::optional<std::int64_t> next_deadline() const { return correlator_.next_deadline(); }

  std::size_t pending_reports() const { return correlator_.pending_count(); }
  std::size_t open_requests() const { return requests_.size(); }

 private:
  struct Group {
    DownlinkKind kind = DownlinkKind::Control;
    std::string message_id;
    std::optional<std::string> method;  // command: the first target's method
    std::size_t outstanding = 0;
    std::string errcode;                // the first failure's
    std::vector<std::string> failures;  // "target: message"
    GatewayNode values;                 // attribute get answers
  };
  struct OpenRequest {
    std::uint64_t group = 0;
    Target target;
    std::vector<std::string> keys;  // attribute get
  };
  struct SentReport {
    RequestKind kind = RequestKind::AttributeReport;
    std::string message_id;
  };

  bool is_known(const Target& target) const;
  void handle_ack(const TopicInfo& info, std::string_view payload, std::int64_t now_ms, GatewayOutput& out);
  void handle_request(const TopicInfo& info, DownlinkKind kind, std::string_view topic, std::string_view payload,
                      std::int64_t now_ms, GatewayOutput& out);
  void fail_message(DownlinkKind kind, const std::string& message_id, const mqtt::Error& error,
                    std::int64_t now_ms, GatewayOutput& out);
  void finish(std::uint64_t group_id, std::int64_t now_ms, GatewayOutput& out);
  mqtt::Result<Report> report(PayloadKind kind, const json& payload, std::int64_t now_ms);

  GatewayRoleOptions options_;
  MessageIds message_ids_;
  Correlator correlator_;
  std::optional<std::set<std::string>> known_;  // Target::to_string() of each known device
  std::map<std::uint64_t, Group> groups_;
  std::map<std::uint64_t, OpenRequest> requests_;
  std::map<RequestToken, SentReport> reports_;
  std::uint64_t next_group_ = 1;
  std::uint64_t next_request_ = 1;
  RequestToken next_token_ = 1;
};

}  // namespace tpgate::gateway
