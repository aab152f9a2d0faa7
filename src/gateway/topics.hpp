// ThingsPanel gateway topics (docs/thingspanel.md#topics): builders for every topic
// either side publishes, one parser that classifies an incoming topic, and the
// subscription lists of the gateway and of the platform.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/types.hpp"

namespace tpgate::gateway {

enum class TopicKind : std::uint8_t {
  // Gateway publishes (uplink).
  Telemetry,             // gateway/telemetry
  AttributeReport,       // gateway/attributes/{message_id}
  EventReport,           // gateway/event/{message_id}
  CommandResponse,       // gateway/command/response/{message_id}
  AttributeSetResponse,  // gateway/attributes/set/response/{message_id}
  // Platform publishes (downlink), aimed at the top-level gateway {dn}.
  Control,               // gateway/telemetry/control/{dn}
  AttributeSet,          // gateway/attributes/set/{dn}/{message_id}
  AttributeGet,          // gateway/attributes/get/{dn}
  Command,               // gateway/command/{dn}/{message_id}
  AttributeAck,          // {gateway|devices}/attributes/response/{dn}/{message_id}
  EventAck,              // {gateway|devices}/event/response/{dn}/{message_id}
  // The ThingsPanel broker publishes (docs/thingspanel.md#online-status).
  DeviceStatus,          // devices/status/{device_id}, payload "1" / "0"
};

// "attribute report", "command response", ... for messages.
std::string_view topic_kind_name(TopicKind kind);

// Which family an ack arrived on (docs/thingspanel.md#ack-topics): the spec's `gateway/...` or
// `devices/...`, which is what the ThingsPanel backend really publishes. Both
// mean the same ack; the family is kept only for diagnostics and for a
// platform that wants to answer like the spec or like the backend.
enum class AckFamily : std::uint8_t { Gateway, Devices };

// Who publishes the topic being parsed. Two topic shapes collide:
// `gateway/command/response/{mid}` is also `gateway/command/{dn}/{mid}` with
// dn = "response", and `gateway/attributes/set/response/{mid}` is also an
// attribute set for dn = "response". A session knows its role, so it says
// which side the message comes from; with Any, the response reading wins
// (a device_number "response" is not a real one).
enum class TopicDirection : std::uint8_t { Any, Uplink, Downlink };

struct TopicInfo {
  TopicKind kind = TopicKind::Telemetry;
  std::string device_number;  // downlinks and acks: the top-level gateway's device_number
  std::string message_id;     // kinds whose topic ends with {message_id}
  std::string device_id;      // DeviceStatus only: the platform's device id (a uuid)
  AckFamily ack_family = AckFamily::Gateway;  // AttributeAck / EventAck only
  friend bool operator==(const TopicInfo&, const TopicInfo&) = default;
};

// Whether a kind's topic carries a {message_id} / a {dn} level.
bool has_message_id(TopicKind kind);
bool has_device_number(TopicKind kind);

// A device_number or device_id as one topic level: non-empty, no '/', '+', '#',
// valid MQTT UTF-8. Error reason: TopicNameInvalid; message names the field.
mqtt::Status validate_topic_level(std::string_view value, std::string_view field);

// Builds the topic for `info` (the fields the kind does not use are ignored).
// Fails when a used field is not a valid single level; message_id is checked
// by validate_message_id (message_id.hpp) (docs/thingspanel.md#message-id).
mqtt::Result<std::string> build_topic(const TopicInfo& info);

// Convenience builders over build_topic.
std::string telemetry_topic();
mqtt::Result<std::string> attribute_report_topic(std::string_view message_id);
mqtt::Result<std::string> event_report_topic(std::string_view message_id);
mqtt::Result<std::string> command_response_topic(std::string_view message_id);
mqtt::Result<std::string> attribute_set_response_topic(std::string_view message_id);
mqtt::Result<std::string> control_topic(std::string_view device_number);
mqtt::Result<std::string> attribute_set_topic(std::string_view device_number, std::string_view message_id);
mqtt::Result<std::string> attribute_get_topic(std::string_view device_number);
mqtt::Result<std::string> command_topic(std::string_view device_number, std::string_view message_id);
mqtt::Result<std::string> attribute_ack_topic(std::string_view device_number, std::string_view message_id,
                                              AckFamily family = AckFamily::Gateway);
mqtt::Result<std::string> event_ack_topic(std::string_view device_number, std::string_view message_id,
                                          AckFamily family = AckFamily::Gateway);
mqtt::Result<std::string> device_status_topic(std::string_view device_id);

// Classifies a PUBLISH topic name. Errors (reason TopicNameInvalid) say what is
// wrong: "message_id is empty", "message_id contains '/'" (a topic with one
// level too many after a known prefix), "device_number is empty", "unknown
// topic ...". The topic of a received PUBLISH never carries `$share/`.
mqtt::Result<TopicInfo> parse_topic(std::string_view topic, TopicDirection direction = TopicDirection::Any);

// The filters a gateway subscribes to, in order: control, attribute set, attribute get, command,
// then the ack filters of both families (docs/thingspanel.md#ack-topics).
// docs/thingspanel.md#one-filter-per-subscribe: the ThingsPanel broker checks the ACL of only the
// first filter in a SUBSCRIBE and fails all of them when that one fails, so the caller must send
// each entry in a SUBSCRIBE packet of its own.
mqtt::Result<std::vector<std::string>> gateway_subscriptions(std::string_view device_number);

// The filters a platform subscribes to: every uplink of every gateway
// (telemetry, attribute and event reports, command and attribute-set
// responses) and the broker's `devices/status/+` (docs/thingspanel.md#online-status). With a
// non-empty `share_group` each filter becomes `$share/{group}/{filter}` so
// several platform instances share the load [MQTT-4.8.2]. Like the gateway's,
// each filter goes in its own SUBSCRIBE (docs/thingspanel.md#one-filter-per-subscribe).
mqtt::Result<std::vector<std::string>> platform_subscriptions(std::string_view share_group = {});

}  // namespace tpgate::gateway
