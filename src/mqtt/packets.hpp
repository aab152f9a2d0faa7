// The fifteen MQTT control packets as plain values. One model serves both
// protocol versions: fields that exist only in MQTT 5 (properties, most reason
// codes) are ignored by the 3.1.1 encoder and left at their defaults by the
// 3.1.1 decoder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mqtt/properties.hpp"
#include "mqtt/types.hpp"

namespace tpgate::mqtt {

struct Will {
  std::string topic;
  Bytes payload;
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  Properties properties;  // v5 will properties
  bool operator==(const Will&) const = default;
};

struct Connect {
  ProtocolVersion version = ProtocolVersion::v5;
  bool clean_start = true;  // "Clean Session" in 3.1.1
  std::uint16_t keep_alive = 60;  // seconds, 0 = off
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<Bytes> password;
  Properties properties;
  bool operator==(const Connect&) const = default;
};

struct ConnAck {
  bool session_present = false;
  // v5: a reason code; 3.1.1: the raw return code (0-5), see
  // reason_from_311_connack() for its v5 equivalent.
  std::uint8_t reason_code = 0;
  Properties properties;
  bool operator==(const ConnAck&) const = default;
};

struct Publish {
  bool dup = false;
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  // May be empty in v5 when a Topic Alias property names the topic.
  std::string topic;
  std::uint16_t packet_id = 0;  // present only when qos > 0
  Properties properties;
  Bytes payload;
  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape (3.4-3.7).
template <PacketType T>
struct PubResponse {
  static constexpr PacketType kType = T;
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = 0;  // v5 only
  Properties properties;         // v5 only
  bool operator==(const PubResponse&) const = default;
};
using PubAck = PubResponse<PacketType::PubAck>;
using PubRec = PubResponse<PacketType::PubRec>;
using PubRel = PubResponse<PacketType::PubRel>;
using PubComp = PubResponse<PacketType::PubComp>;

struct Subscription {
  std::string filter;
  QoS qos = QoS::AtMostOnce;
  bool no_local = false;             // v5
  bool retain_as_published = false;  // v5
  std::uint8_t retain_handling = 0;  // v5: 0, 1 or 2
  bool operator==(const Subscription&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<Subscription> subscriptions;
  bool operator==(const Subscribe&) const = default;
};

struct SubAck {
  std::uint16_t packet_id = 0;
  Properties properties;
  // v5 reason codes; 3.1.1 return codes (0, 1, 2 or 0x80).
  std::vector<std::uint8_t> reason_codes;
  bool operator==(const SubAck&) const = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string> filters;
  bool operator==(const Unsubscribe&) const = default;
};

struct UnsubAck {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::uint8_t> reason_codes;  // v5 only; empty in 3.1.1
  bool operator==(const UnsubAck&) const = default;
};

struct PingReq {
  bool operator==(const PingReq&) const = default;
};
struct PingResp {
  bool operator==(const PingResp&) const = default;
};

struct Disconnect {
  std::uint8_t reason_code = 0;  // v5 only
  Properties properties;         // v5 only
  bool operator==(const Disconnect&) const = default;
};

struct Auth {  // v5 only
  std::uint8_t reason_code = 0;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

// Alternative index + 1 == PacketType value.
using Packet = std::variant<Connect, ConnAck, Publish, PubAck, PubRec, PubRel, PubComp, Subscribe, SubAck,
                            Unsubscribe, UnsubAck, PingReq, PingResp, Disconnect, Auth>;

inline PacketType packet_type(const Packet& p) { return static_cast<PacketType>(p.index() + 1); }

}  // namespace tpgate::mqtt
