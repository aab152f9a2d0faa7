// MQTT 5.0 properties (2.2.2.2): one optional field per property, encoded in
// ascending identifier order, user properties in the order given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/types.hpp"

namespace tpgate::mqtt {

enum class PropertyId : std::uint8_t {
  PayloadFormatIndicator = 0x01,           // byte      PUBLISH, Will
  MessageExpiryInterval = 0x02,            // u32       PUBLISH, Will
  ContentType = 0x03,                      // utf8      PUBLISH, Will
  ResponseTopic = 0x08,                    // utf8      PUBLISH, Will
  CorrelationData = 0x09,                  // binary    PUBLISH, Will
  SubscriptionIdentifier = 0x0B,           // varint    PUBLISH, SUBSCRIBE
  SessionExpiryInterval = 0x11,            // u32       CONNECT, CONNACK, DISCONNECT
  AssignedClientIdentifier = 0x12,         // utf8      CONNACK
  ServerKeepAlive = 0x13,                  // u16       CONNACK
  AuthenticationMethod = 0x15,             // utf8      CONNECT, CONNACK, AUTH
  AuthenticationData = 0x16,               // binary    CONNECT, CONNACK, AUTH
  RequestProblemInformation = 0x17,        // byte      CONNECT
  WillDelayInterval = 0x18,                // u32       Will
  RequestResponseInformation = 0x19,       // byte      CONNECT
  ResponseInformation = 0x1A,              // utf8      CONNACK
  ServerReference = 0x1C,                  // utf8      CONNACK, DISCONNECT
  ReasonString = 0x1F,                     // utf8      CONNACK..AUTH acks, DISCONNECT, AUTH
  ReceiveMaximum = 0x21,                   // u16       CONNECT, CONNACK
  TopicAliasMaximum = 0x22,                // u16       CONNECT, CONNACK
  TopicAlias = 0x23,                       // u16       PUBLISH
  MaximumQoS = 0x24,                       // byte      CONNACK
  RetainAvailable = 0x25,                  // byte      CONNACK
  UserProperty = 0x26,                     // pair      all packets with properties
  MaximumPacketSize = 0x27,                // u32       CONNECT, CONNACK
  WildcardSubscriptionAvailable = 0x28,    // byte      CONNACK
  SubscriptionIdentifierAvailable = 0x29,  // byte      CONNACK
  SharedSubscriptionAvailable = 0x2A,      // byte      CONNACK
};

// Where a property set is carried; decides which properties are allowed
// (MQTT 5.0 2.2.2.2, table of properties). A property in the wrong place is a
// Protocol Error [MQTT-2.2.2-2 and the per-packet rules].
enum class PropertyContext : std::uint8_t {
  Connect,
  ConnAck,
  Publish,
  Will,
  PubAck,  // also PUBREC, PUBREL, PUBCOMP
  Subscribe,
  SubAck,
  Unsubscribe,
  UnsubAck,
  Disconnect,
  Auth,
};

using UserProperty = std::pair<std::string, std::string>;

struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::uint32_t> message_expiry_interval;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<Bytes> correlation_data;
  // A PUBLISH from the server may carry several (one per matching
  // subscription); SUBSCRIBE carries at most one.
  std::vector<std::uint32_t> subscription_identifiers;
  std::optional<std::uint32_t> session_expiry_interval;
  std::optional<std::string> assigned_client_identifier;
  std::optional<std::uint16_t> server_keep_alive;
  std::optional<std::string> authentication_method;
  std::optional<Bytes> authentication_data;
  std::optional<std::uint8_t> request_problem_information;
  std::optional<std::uint32_t> will_delay_interval;
  std::optional<std::uint8_t> request_response_information;
  std::optional<std::string> response_information;
  std::optional<std::string> server_reference;
  std::optional<std::string> reason_string;
  std::optional<std::uint16_t> receive_maximum;
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::uint16_t> topic_alias;
  std::optional<std::uint8_t> maximum_qos;
  std::optional<std::uint8_t> retain_available;
  std::vector<UserProperty> user_properties;
  std::optional<std::uint32_t> maximum_packet_size;
  std::optional<std::uint8_t> wildcard_subscription_available;
  std::optional<std::uint8_t> subscription_identifier_available;
  std::optional<std::uint8_t> shared_subscription_available;

  bool empty() const;
  bool operator==(const Properties&) const = default;
};

// Human-readable property name ("Topic Alias").
std::string_view property_name(std::uint8_t id);

}  // namespace tpgate::mqtt
