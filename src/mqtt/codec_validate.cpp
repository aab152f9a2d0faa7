// Validation before encoding: the encoder never writes a packet the peer must
// treat as Malformed Packet or Protocol Error.
#include <string>
#include <string_view>

#include "mqtt/codec_encode.hpp"
#include "mqtt/codec_rules.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/topic.hpp"

namespace tpgate::mqtt::detail {

Status check_version(ProtocolVersion version) {
  if (version != ProtocolVersion::v311 && version != ProtocolVersion::v5) {
    return make_error(ReasonCode::UnsupportedProtocolVersion,
                      "protocol level " + std::to_string(static_cast<unsigned>(version)) + " is not supported");
  }
  return ok_status();
}

namespace {

Status fail(ReasonCode reason, std::string message) { return make_error(reason, std::move(message)); }

Status check_string(std::string_view s, std::string_view field) {
  if (Status v = validate_utf8_string(s); !v) return fail(v.error().reason, std::string(field) + ": " + v.error().message);
  return ok_status();
}

Status check_binary(const Bytes& b, std::string_view field) {
  if (b.size() > wire::kMaxTwoByteLength) {
    return fail(ReasonCode::MalformedPacket,
                std::string(field) + " of " + std::to_string(b.size()) + " bytes exceeds the 65535-byte limit");
  }
  return ok_status();
}

Status check_qos(QoS qos, std::string_view field) {
  if (static_cast<std::uint8_t>(qos) > 2) {
    return fail(ReasonCode::MalformedPacket,
                std::string(field) + " " + std::to_string(static_cast<unsigned>(qos)) + " is not a valid QoS");
  }
  return ok_status();
}

// Packet identifiers are non-zero wherever they appear [MQTT-2.2.1-3].
Status check_packet_id(std::uint16_t id) {
  if (id == 0) return fail(ReasonCode::ProtocolError, "packet identifier must not be 0 [MQTT-2.2.1-3]");
  return ok_status();
}

Status check_reason(PacketType type, std::uint8_t code, ProtocolVersion version) {
  if (!reason_code_allowed(type, code, version)) return fail(ReasonCode::MalformedPacket, reason_code_error(code, version));
  return ok_status();
}

bool is_v5(ProtocolVersion v) { return v == ProtocolVersion::v5; }


Status validate(const Connect& p, ProtocolVersion) {
  // CONNECT is written in the version it declares.
  if (Status s = check_version(p.version); !s) return s;
  const bool v5 = is_v5(p.version);
  if (Status s = check_string(p.client_id, "client identifier"); !s) return s;
  if (!v5 && p.client_id.empty() && !p.clean_start) {
    // MQTT 5 lets the server assign one and keep the session (3.1.3.1).
    return fail(ReasonCode::ClientIdentifierNotValid,
                "an empty client identifier needs CleanSession 1 in MQTT 3.1.1 [MQTT-3.1.3-7]");
  }
  if (p.will) {
    if (Status s = check_qos(p.will->qos, "Will QoS"); !s) return s;
    if (Status s = validate_topic_name(p.will->topic); !s) return fail(s.error().reason, "will topic: " + s.error().message);
    if (Status s = check_binary(p.will->payload, "will payload"); !s) return s;
    if (v5) {
      if (Status s = validate_properties(p.will->properties, PropertyContext::Will); !s) return s;
    }
  }
  if (p.username) {
    if (Status s = check_string(*p.username, "user name"); !s) return s;
  }
  if (p.password) {
    if (Status s = check_binary(*p.password, "password"); !s) return s;
    if (!v5 && !p.username) {
      return fail(ReasonCode::ProtocolError, "a password requires a user name in MQTT 3.1.1 [MQTT-3.1.2-22]");
    }
  }
  if (v5) return validate_properties(p.properties, PropertyContext::Connect);
  return ok_status();
}

Status validate(const ConnAck& p, ProtocolVersion version) {
  if (Status s = check_reason(PacketType::ConnAck, p.reason_code, version); !s) return s;
  if (p.session_present && p.reason_code != 0) {
    return fail(ReasonCode::ProtocolError, "Session Present must be 0 when the connection is refused [MQTT-3.2.2-6]");
  }
  if (is_v5(version)) return validate_properties(p.properties, PropertyContext::ConnAck);
  return ok_status();
}

Status validate(const Publish& p, ProtocolVersion version) { return validate_publish(view_of(p), version); }

template <PacketType T>
Status validate(const PubResponse<T>& p, ProtocolVersion version) {
  if (Status s = check_packet_id(p.packet_id); !s) return s;
  if (!is_v5(version)) return ok_status();  // reason code and properties are v5 only
  if (Status s = check_reason(T, p.reason_code, version); !s) return s;
  return validate_properties(p.properties, PropertyContext::PubAck);
}

Status validate(const Subscribe& p, ProtocolVersion version) {
  if (Status s = check_packet_id(p.packet_id); !s) return s;
  if (p.subscriptions.empty()) return fail(ReasonCode::ProtocolError, "no topic filter [MQTT-3.8.3-2]");
  for (const Subscription& sub : p.subscriptions) {
    if (Status s = validate_topic_filter(sub.filter); !s) return s;
    if (Status s = check_qos(sub.qos, "maximum QoS"); !s) return s;
    if (!is_v5(version)) continue;  // the other options are v5 only
    if (sub.retain_handling > 2) {
      return fail(ReasonCode::ProtocolError,
                  "Retain Handling " + std::to_string(sub.retain_handling) + " is not valid (3.8.3.1)");
    }
    if (sub.no_local && std::string_view(sub.filter).substr(0, 7) == "$share/") {
      return fail(ReasonCode::ProtocolError,
                  "No Local must not be set on shared subscription \"" + sub.filter + "\" [MQTT-3.8.3-4]");
    }
  }
  if (is_v5(version)) return validate_properties(p.properties, PropertyContext::Subscribe);
  return ok_status();
}

Status validate_codes(PacketType type, const Bytes& codes, ProtocolVersion version) {
  if (codes.empty()) return fail(ReasonCode::ProtocolError, "no reason code in the payload");
  for (std::uint8_t code : codes) {
    if (Status s = check_reason(type, code, version); !s) return s;
  }
  return ok_status();
}

Status validate(const SubAck& p, ProtocolVersion version) {
  if (Status s = check_packet_id(p.packet_id); !s) return s;
  if (Status s = validate_codes(PacketType::SubAck, p.reason_codes, version); !s) return s;
  if (is_v5(version)) return validate_properties(p.properties, PropertyContext::SubAck);
  return ok_status();
}

Status validate(const Unsubscribe& p, ProtocolVersion version) {
  if (Status s = check_packet_id(p.packet_id); !s) return s;
  if (p.filters.empty()) return fail(ReasonCode::ProtocolError, "no topic filter [MQTT-3.10.3-2]");
  for (const std::string& filter : p.filters) {
    if (Status s = validate_topic_filter(filter); !s) return s;
  }
  if (is_v5(version)) return validate_properties(p.properties, PropertyContext::Unsubscribe);
  return ok_status();
}

Status validate(const UnsubAck& p, ProtocolVersion version) {
  if (Status s = check_packet_id(p.packet_id); !s) return s;
  if (!is_v5(version)) return ok_status();  // a 3.1.1 UNSUBACK has no reason codes
  if (Status s = validate_codes(PacketType::UnsubAck, p.reason_codes, version); !s) return s;
  return validate_properties(p.properties, PropertyContext::UnsubAck);
}

Status validate(const PingReq&, ProtocolVersion) { return ok_status(); }
Status validate(const PingResp&, ProtocolVersion) { return ok_status(); }

Status validate(const Disconnect& p, ProtocolVersion version) {
  if (!is_v5(version)) return ok_status();
  if (Status s = check_reason(PacketType::Disconnect, p.reason_code, version); !s) return s;
  return validate_properties(p.properties, PropertyContext::Disconnect);
}

Status validate(const Auth& p, ProtocolVersion version) {
  if (!is_v5(version)) {
    return fail(ReasonCode::MalformedPacket, "AUTH does not exist in MQTT 3.1.1 (packet type 15 is reserved)");
  }
  if (Status s = check_reason(PacketType::Auth, p.reason_code, version); !s) return s;
  if (Status s = validate_properties(p.properties, PropertyContext::Auth); !s) return s;
  if ((p.reason_code != 0 || !p.properties.empty()) && !p.properties.authentication_method) {
    return fail(ReasonCode::ProtocolError, "Authentication Method is missing (3.15.2.2.2)");
  }
  return ok_status();
}

}  // namespace

Status validate_publish(const PublishView& p, ProtocolVersion version) {
  if (Status s = check_qos(p.qos, "QoS"); !s) return s;
  if (p.dup && p.qos == QoS::AtMostOnce) {
    return fail(ReasonCode::MalformedPacket, "DUP flag must be 0 for QoS 0 [MQTT-3.3.1-2]");
  }
  if (p.qos == QoS::AtMostOnce && p.packet_id != 0) {
    return fail(ReasonCode::ProtocolError, "a QoS 0 PUBLISH has no packet identifier (it must be 0) [MQTT-2.2.1-2]");
  }
  if (p.qos != QoS::AtMostOnce) {
    if (Status s = check_packet_id(p.packet_id); !s) return s;
  }
  bool has_alias = p.topic_alias != 0;
  if (p.properties != nullptr) {
    has_alias = p.properties->topic_alias.has_value();
    if (is_v5(version)) {
      if (Status s = validate_properties(*p.properties, PropertyContext::Publish); !s) return s;
    }
  }
  // v5: an empty topic name is sent with a Topic Alias (3.3.2.3.4).
  if (p.topic.empty() && is_v5(version) && has_alias) return ok_status();
  if (p.topic.empty() && is_v5(version)) {
    return fail(ReasonCode::ProtocolError, "topic name is empty and there is no Topic Alias (3.3.2.1)");
  }
  return validate_topic_name(p.topic);
}

Status validate_for_encoding(const Packet& packet, ProtocolVersion version) {
  if (Status s = check_version(version); !s) return s;
  return std::visit([version](const auto& p) { return validate(p, version); }, packet);
}

}  // namespace tpgate::mqtt::detail
