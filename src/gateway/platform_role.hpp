// The platform role (docs/thingspanel.md#roles: the server side): what the
// ThingsPanel backend does, as a sans-I/O object (no I/O, no clock read). It owns no
// MQTT session: the host subscribes to subscriptions(), hands every received
// message to receive(), publishes the returned Publications and calls
// tick(now) at next_deadline().
//
// Identity of the sender. Many gateways publish the same `gateway/telemetry`,
// so the topic does not say who sent it (docs/thingspanel.md#broker-envelope):
//   1. Behind the ThingsPanel broker each payload arrives in the envelope
//      {"device_id","values":base64}; the gateway is then the device_id.
//   2. Otherwise the host may pass `sender` to receive() (a device_number it
//      learnt from a per-gateway bridge topic, an MQTT 5 user property, ...).
//   3. Otherwise Options::default_gateway (a platform that talks to one gateway).
//   4. Otherwise the gateway is unknown (""): the data is still reported, but
//      reports cannot be acked and attribute gets cannot complete.
// The envelope wins over `sender`: it is the broker's word.
//
// Acks need the gateway's device_number ({dn} in the ack topic), which the
// envelope does not carry: the real backend looks the device_id up in its
// database. The host tells us the same with map_device(device_id, dn); for an
// unmapped device_id the device_id itself is used as dn (right for the tpgate
// dev broker, whose envelope device_id is the device_number). Without an
// envelope, the identity (sender / default_gateway) is the dn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/correlator.hpp"
#include "gateway/data_scripts.hpp"
#include "gateway/envelope.hpp"
#include "gateway/message_id.hpp"
#include "gateway/payload_body.hpp"
#include "gateway/payload_parse.hpp"
#include "gateway/payload_tree.hpp"
#include "gateway/platform_view.hpp"
#include "gateway/response.hpp"
#include "gateway/telemetry_fast.hpp"
#include "gateway/topics.hpp"
#include "mqtt/types.hpp"

namespace tpgate::gateway::platform {

// A message for the host to publish.
struct Publication {
  std::string topic;
  std::string payload;
  mqtt::QoS qos = mqtt::QoS::AtLeastOnce;
  bool retain = false;
  friend bool operator==(const Publication&, const Publication&) = default;
};

// Where acks of attribute and event reports go (docs/thingspanel.md#ack-topics).
enum class AckTopics : std::uint8_t {
  Spec,     // gateway/{attributes|event}/response/{dn}/{mid} (the seed spec)
  Backend,  // devices/{attributes|event}/response/{dn}/{mid} (the ThingsPanel backend)
  Both,     // one ack on each; a tpgate gateway takes the first and ignores the second
};

// One per target and record. `gateway` is the sender's identity (see above).
struct TelemetryReceived {
  std::string gateway;
  Target target;
  json values;
  std::int64_t ts_ms = 0;  // the record's ts (s or ms on the wire, docs/thingspanel.md#timestamps), else now
  std::uint32_t device = 0;  // the target's id in the view (DeviceView::id)
};
struct AttributesReceived {
  std::string gateway;
  Target target;
  json values;
  std::int64_t ts_ms = 0;  // now: attribute reports carry no ts
  std::string message_id;
};
struct EventReceived {
  std::string gateway;
  Target target;
  std::string method;
  json params;
  std::int64_t ts_ms = 0;  // the record's ts for a historical event, else now
  std::string message_id;
};
// devices/status/{device_id}, "1" / "0" (docs/thingspanel.md#online-status).
struct StatusChanged {
  std::string device_id;
  bool online = false;
};
// A command or attribute set was answered, or an attribute get was answered
// by an attribute report. `response` is the flat response as parsed
// (docs/thingspanel.md#flat-responses: non-JSON or a string result is a failure,
// `problem` says why). For an attribute get, `response` is a success and `report` holds the
// whole attribute report that answered it.
struct RequestCompleted {
  RequestToken token = 0;
  ParsedResponse response;
  std::int64_t rtt_ms = 0;
  std::optional<json> report;
};
// Nobody answered before the deadline, on the caller's clock (docs/thingspanel.md#correlation).
struct RequestTimedOut {
  RequestToken token = 0;
  std::string message;  // "command 0001234 to gw-1 timed out after 10000 ms"
};
// A message that could not be used (bad topic, payload, envelope, status,
// unmatched response). The role keeps working.
struct ProtocolError {
  std::string topic;
  std::string gateway;
  mqtt::Error error;
};
// Accepted, but worth telling (depth past 5, docs/thingspanel.md#sub-gateway-depth; ack impossible).
struct Warning {
  std::string topic;
  std::string gateway;
  std::string message;
};

// An upload data script failed (docs/thingspanel.md#data-scripts): the message
// is dropped. `error` is ErrorKind::Script and reads on its own; `failure` is
// the script's own account (kind, Lua message, line).
struct ScriptFailed {
  std::string topic;
  std::string gateway;
  std::string configuration;
  ScriptType type = ScriptType::TelemetryUp;
  script::Failure failure;
  mqtt::Error error;
};

using PlatformEvent = std::variant<TelemetryReceived, AttributesReceived, EventReceived, StatusChanged,
                                   RequestCompleted, RequestTimedOut, ProtocolError, Warning, ScriptFailed>;

struct Outputs {
  std::vector<Publication> publications;
  std::vector<PlatformEvent> events;
};

// Clean real-time telemetry as read (telemetry_fast.hpp), for a host that
// takes it without JSON values: receive() fills this instead of adding
// TelemetryReceived events. Readings point into the payload (or the role's
// copy of an enveloped one): valid until the next call on the role.
struct FastOutputs {
  bool taken = false;  // false: the message went the usual way, into Outputs
  std::string gateway;
  std::int64_t ts_ms = 0;              // now: real-time records carry no ts
  FastTelemetry telemetry;             // targets in route() order
  std::vector<std::uint32_t> devices;  // the view id of each target
  std::vector<std::uint32_t> key_ids;  // per reading (telemetry.readings): its key's id in view().keys()
};

// What a send_* call produced: the publication and the token its answer will
// carry (0 for control, which has no answer).
struct Sent {
  RequestToken token = 0;
  std::string message_id;  // empty for control and attribute get (no mid in their topics)
  Publication publication;
};

struct Options {
  std::string share_group;  // non-empty: subscribe under $share/{group}/ [MQTT-4.8.2]
  bool auto_ack_attributes = true;
  bool auto_ack_events = true;
  AckTopics ack_topics = AckTopics::Spec;
  std::int64_t request_timeout_ms = 10'000;
  PayloadLimits limits;
  MessageIdFunction message_id;  // empty: the spec's 7-digit ids (docs/thingspanel.md#message-id)
  std::size_t max_recent_events = 16;
  std::string default_gateway;  // identity when neither envelope nor sender says
};

class PlatformRole {
 public:
  explicit PlatformRole(Options options = {});

  // Filters to subscribe, each in a SUBSCRIBE of its own (docs/thingspanel.md#one-filter-per-subscribe).
  mqtt::Result<std::vector<std::string>> subscriptions() const;

  // One received message. `sender` identifies the gateway when no envelope does.
  // With `fast`, clean real-time telemetry is handed over there (see FastOutputs).
  Outputs receive(std::string_view topic, std::string_view payload, std::int64_t now_ms,
                  std::string_view sender = {}, FastOutputs* fast = nullptr);

  // Downlinks, one target each as the backend shapes them (docs/thingspanel.md#one-target-per-downlink).
  // Command and attribute set complete on their response (same message_id).
  mqtt::Result<Sent> send_command(std::string_view dn, const Target& target, std::string_view method,
                                  const json& params, std::int64_t now_ms);
  mqtt::Result<Sent> send_attribute_set(std::string_view dn, const Target& target, const json& values,
                                        std::int64_t now_ms);
  // Completes on the next attribute report from gateway `dn` whose body for
  // `target` carries every key asked (any attribute when `keys` is empty);
  // docs/thingspanel.md#attribute-get-shape. The Keys shape ({"keys":[...]}) can only ask the top-level
  // gateway itself.
  mqtt::Result<Sent> send_attribute_get(std::string_view dn, const Target& target,
                                        const std::vector<std::string>& keys, AttributeGetShape shape,
                                        std::int64_t now_ms);
  // No answer exists for control: token 0, nothing to wait for.
  mqtt::Result<Sent> send_control(std::string_view dn, const Target& target, const json& values,
                                  std::int64_t now_ms);

  // Times out requests whose deadline is <= now_ms.
  Outputs tick(std::int64_t now_ms);
  std::optional<std::int64_t> next_deadline() const;
  std::size_t pending_count() const { return correlator_.pending_count() + gets_.size(); }

  // The backend's device_id -> device_number lookup, for ack topics (see above).
  void map_device(std::string device_id, std::string device_number);

  // The device configurations' data scripts, run where the backend runs them
  // (docs/thingspanel.md#data-scripts): an upload script of the publishing
  // gateway's configuration on the whole unwrapped payload, before it is split
  // into targets (a failure drops the message with a ProtocolError of
  // ErrorKind::Script; a result that is not a JSON object is wrapped as
  // {"_raw": v}, for events {"method":"_raw","params":{"value":v}}); a download
  // script of the top-level gateway's configuration on the built body before it
  // is published (a failure fails the send_* call, nothing is sent). Responses
  // and acks never pass through a script; reports are acked before it runs.
  DataScripts& scripts() { return scripts_; }

  const PlatformView& view() const { return view_; }
  // The ids frames refer to member names by (FastOutputs::key_ids are from here).
  KeyTable& keys() { return view_.keys(); }

 private:
  struct Sender {
    std::string gateway;  // identity reported in events
    std::string dn;       // for ack topics and attribute-get matching; may be empty
  };
  struct PendingRequest {
    RequestKind kind;
    std::string message_id;
    std::string dn;
  };
  struct WantedKeys {
    Target target;
    std::vector<std::string> keys;
  };
  struct PendingGet {
    RequestToken token;
    std::string dn;
    std::vector<WantedKeys> wanted;
    std::int64_t sent_ms;
    std::int64_t deadline_ms;
  };

  void on_telemetry(const std::string& topic, const Sender& from, std::string_view payload,
                    std::int64_t now_ms, Outputs& out, FastOutputs* fast);
  void on_report(const TopicInfo& info, const std::string& topic, const Sender& from, std::string_view payload,
                 std::int64_t now_ms, Outputs& out, bool acked);
  // Runs the upload script for `kind`, if the sender's configuration has one:
  // false when it failed (the error is in `out`); `payload` then points at the result.
  bool run_upload_script(TopicKind kind, const std::string& topic, const TopicInfo& info, const Sender& from,
                         std::string_view& payload, std::int64_t now_ms, Outputs& out, bool& acked);
  // Encodes a built downlink with the download script of `dn`'s configuration, if any.
  mqtt::Status run_download_script(ScriptType type, std::string_view dn, std::string& payload);
  void on_response(const TopicInfo& info, const std::string& topic, const Sender& from,
                   std::string_view payload, std::int64_t now_ms, Outputs& out);
  void on_status(const TopicInfo& info, const std::string& topic, std::string_view payload, Outputs& out);
  void ack(const TopicInfo& info, const std::string& topic, const Sender& from, const Response& response,
           Outputs& out);
  void complete_gets(const Sender& from, const GatewayPayload& report, std::int64_t now_ms, Outputs& out);

  mqtt::Result<Sent> send_request(RequestKind kind, std::string_view dn, const Target& target, json body,
                                  std::int64_t now_ms);

  Options options_;
  MessageIds ids_;
  Correlator correlator_;
  PlatformView view_;
  std::vector<std::uint32_t> key_ids_;  // scratch of the fast path without FastOutputs
  RequestToken next_token_ = 1;
  std::map<RequestToken, PendingRequest> requests_;
  std::vector<PendingGet> gets_;
  std::map<std::string, std::string, std::less<>> device_numbers_;
  BrokerEnvelope envelope_;  // the last envelope: fast telemetry points into its payload
  Sender from_;              // the last sender (its strings' capacity kept from call to call)
  std::string topic_;        // the last topic received, likewise
  FastTelemetry scratch_;  // the fast path's buffers when the caller takes Outputs
  DataScripts scripts_;
  std::string scripted_;  // the last upload script's result: fast telemetry points into it
};

}  // namespace tpgate::gateway::platform

namespace tpgate::gateway {
using platform::PlatformRole;
}  // namespace tpgate::gateway
