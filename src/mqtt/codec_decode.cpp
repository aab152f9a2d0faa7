// Decoding of the fixed header and of every packet body, both versions.
#include "mqtt/codec_decode.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "mqtt/codec_rules.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/topic.hpp"
#include "mqtt/wire.hpp"

namespace tpgate::mqtt::detail {
namespace {

using wire::Reader;

bool is_v5(const DecoderOptions& options) { return options.version == ProtocolVersion::v5; }

std::string flag_bits(std::uint8_t flags) {
  std::string bits;
  for (int i = 3; i >= 0; --i) bits += ((flags >> i) & 1U) != 0 ? '1' : '0';
  return bits;
}

bool expect_end(Reader& r, std::string_view after) {
  if (r.failed() || r.at_end()) return !r.failed();
  return r.fail(ReasonCode::MalformedPacket,
                std::to_string(r.remaining()) + " unexpected bytes after the " + std::string(after));
}

// Packet identifiers are non-zero wherever they appear [MQTT-2.2.1-3].
bool read_packet_id(Reader& r, std::uint16_t& id) {
  if (!r.read_u16(id, "packet identifier")) return false;
  if (id == 0) return r.fail(ReasonCode::ProtocolError, "packet identifier must not be 0 [MQTT-2.2.1-3]");
  return true;
}

bool read_reason_code(Reader& r, PacketType type, ProtocolVersion version, std::uint8_t& code,
                      std::string_view field) {
  if (!r.read_u8(code, field)) return false;
  if (!reason_code_allowed(type, code, version)) {
    return r.fail(ReasonCode::MalformedPacket, reason_code_error(code, version));
  }
  return true;
}

bool decode_connect(Reader& r, Connect& out) {
  std::string protocol_name;
  if (!r.read_string(protocol_name, "protocol name")) return false;
  // [MQTT-3.1.2-1]: the protocol name is "MQTT"; a server that declines answers
  // Unsupported Protocol Version (3.1.1: return code 1) and closes.
  if (protocol_name != "MQTT") {
    return r.fail(ReasonCode::UnsupportedProtocolVersion,
                  "protocol name must be \"MQTT\", not \"" + protocol_name + "\" [MQTT-3.1.2-1]");
  }
  std::uint8_t level = 0;
  if (!r.read_u8(level, "protocol level")) return false;
  if (level != static_cast<std::uint8_t>(ProtocolVersion::v311) &&
      level != static_cast<std::uint8_t>(ProtocolVersion::v5)) {
    return r.fail(ReasonCode::UnsupportedProtocolVersion,
                  "protocol level " + std::to_string(level) + " is not supported (4 = 3.1.1, 5 = 5.0) [MQTT-3.1.2-2]");
  }
  out.version = static_cast<ProtocolVersion>(level);
  const bool v5 = out.version == ProtocolVersion::v5;

  std::uint8_t flags = 0;
  if (!r.read_u8(flags, "connect flags")) return false;
  if ((flags & 0x01U) != 0) {
    return r.fail(ReasonCode::MalformedPacket, "reserved connect flag (bit 0) must be 0 [MQTT-3.1.2-3]");
  }
  out.clean_start = (flags & 0x02U) != 0;
  const bool will_flag = (flags & 0x04U) != 0;
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03U);
  const bool will_retain = (flags & 0x20U) != 0;
  const bool password_flag = (flags & 0x40U) != 0;
  const bool username_flag = (flags & 0x80U) != 0;
  // Will QoS and Will Retain are 0 without a will [MQTT-3.1.2-11] [MQTT-3.1.2-13]
  // (3.1.1: [MQTT-3.1.2-13] [MQTT-3.1.2-15]); QoS 3 is never valid [MQTT-3.1.2-12].
  if (!will_flag && will_qos != 0) {
    return r.fail(ReasonCode::MalformedPacket, "Will QoS must be 0 when the Will Flag is 0 [MQTT-3.1.2-11]");
  }
  if (!will_flag && will_retain) {
    return r.fail(ReasonCode::MalformedPacket, "Will Retain must be 0 when the Will Flag is 0 [MQTT-3.1.2-13]");
  }
  if (will_qos == 3) return r.fail(ReasonCode::MalformedPacket, "Will QoS 3 is not a valid QoS [MQTT-3.1.2-12]");
  // 3.1.1 forbids a password without a user name (3.1.1 [MQTT-3.1.2-22]);
  // MQTT 5 allows it (3.1.2.9).
  if (!v5 && password_flag && !username_flag) {
    return r.fail(ReasonCode::MalformedPacket,
                  "Password Flag set without User Name Flag (MQTT 3.1.1 [MQTT-3.1.2-22])");
  }
  if (!r.read_u16(out.keep_alive, "keep alive")) return false;
  if (v5 && !read_properties(r, PropertyContext::Connect, out.properties)) return false;
  if (!r.read_string(out.client_id, "client identifier")) return false;
  if (will_flag) {
    Will& will = out.will.emplace();
    will.qos = static_cast<QoS>(will_qos);
    will.retain = will_retain;
    if (v5 && !read_properties(r, PropertyContext::Will, will.properties)) return false;
    if (!r.read_string(will.topic, "will topic")) return false;
    if (Status s = validate_topic_name(will.topic); !s) return r.fail(s.error().reason, "will topic: " + s.error().message);
    if (!r.read_binary(will.payload, "will payload")) return false;
  }
  if (username_flag && !r.read_string(out.username.emplace(), "user name")) return false;
  if (password_flag && !r.read_binary(out.password.emplace(), "password")) return false;
  return expect_end(r, "CONNECT payload");
}

bool decode_connack(Reader& r, const DecoderOptions& options, ConnAck& out) {
  std::uint8_t flags = 0;
  if (!r.read_u8(flags, "connect acknowledge flags")) return false;
  if ((flags & 0xFEU) != 0) {
    return r.fail(ReasonCode::MalformedPacket,
                  "reserved connect acknowledge flags (bits 7-1) must be 0 [MQTT-3.2.2-1]");
  }
  out.session_present = (flags & 0x01U) != 0;
  // A 3.1.1-only server answers a v5 CONNECT with its own two-byte CONNACK (return
  // code 1, unacceptable protocol version) and closes [MQTT-3.1.2-2]; a v5 CONNACK
  // always has a property length, so two bytes can only be that. Report it as the
  // v5 refusal it means instead of a malformed packet, so the user learns to
  // connect with 3.1.1.
  if (is_v5(options) && r.remaining() == 1) {
    std::uint8_t code = 0;
    if (!r.read_u8(code, "return code")) return false;
    if (code >= 1 && code <= 5) {
      static constexpr std::uint8_t kV5Equivalent[] = {0x84, 0x85, 0x88, 0x86, 0x87};
      out.session_present = false;
      out.reason_code = kV5Equivalent[code - 1];
      return true;
    }
    return r.fail(ReasonCode::MalformedPacket, "CONNACK without properties: not a v5 CONNACK (return code " +
                                                   std::to_string(code) + ")");
  }
  const char* field = is_v5(options) ? "reason code" : "return code";
  if (!read_reason_code(r, PacketType::ConnAck, options.version, out.reason_code, field)) return false;
  // A refused connection has no session [MQTT-3.2.2-6] (3.1.1: [MQTT-3.2.2-4]).
  if (out.session_present && out.reason_code != 0) {
    return r.fail(ReasonCode::ProtocolError,
                  "Session Present must be 0 when the connection is refused [MQTT-3.2.2-6]");
  }
  if (is_v5(options) && !read_properties(r, PropertyContext::ConnAck, out.properties)) return false;
  return expect_end(r, "CONNACK");
}

// A PUBLISH read in place: topic and payload view the packet's bytes; the
// properties go into `properties`, which must be empty.
bool decode_publish_fields(Reader& r, const FixedHeader& header, const DecoderOptions& options, PublishView& out,
                           Properties& properties) {
  // The fixed header flags were checked in parse_fixed_header().
  out.dup = (header.flags & 0x08U) != 0;
  out.qos = static_cast<QoS>((header.flags >> 1) & 0x03U);
  out.retain = (header.flags & 0x01U) != 0;
  out.packet_id = 0;
  out.properties = &properties;
  out.topic_alias = 0;
  if (!r.read_string_view(out.topic, "topic name")) return false;
  // The Packet Identifier is there only for QoS 1 and 2 [MQTT-2.2.1-2].
  if (out.qos != QoS::AtMostOnce && !read_packet_id(r, out.packet_id)) return false;
  if (is_v5(options) && !read_properties(r, PropertyContext::Publish, properties)) return false;
  if (out.topic.empty() && is_v5(options) && properties.topic_alias) {
    // An empty topic name takes the topic from the Topic Alias (3.3.2.3.4);
    // whether the alias is known is for the session to say.
  } else if (out.topic.empty() && is_v5(options)) {
    return r.fail(ReasonCode::ProtocolError, "topic name is empty and there is no Topic Alias (3.3.2.1)");
  } else if (Status s = validate_topic_name(out.topic); !s) {
    return r.fail(s.error().reason, s.error().message);
  }
  // A client never sends a Subscription Identifier in PUBLISH [MQTT-3.3.4-6].
  if (options.role == Role::Server && !properties.subscription_identifiers.empty()) {
    return r.fail(ReasonCode::ProtocolError,
                  "a PUBLISH from a client must not carry a Subscription Identifier [MQTT-3.3.4-6]");
  }
  out.payload = r.read_rest();
  return true;
}

bool decode_publish(Reader& r, const FixedHeader& header, const DecoderOptions& options, Publish& out) {
  PublishView view;
  if (!decode_publish_fields(r, header, options, view, out.properties)) return false;
  out.dup = view.dup;
  out.qos = view.qos;
  out.retain = view.retain;
  out.topic.assign(view.topic);
  out.packet_id = view.packet_id;
  out.payload.assign(view.payload.begin(), view.payload.end());
  return true;
}

template <PacketType T>
bool decode_pub_response(Reader& r, const DecoderOptions& options, PubResponse<T>& out) {
  if (!read_packet_id(r, out.packet_id)) return false;
  if (!is_v5(options)) return expect_end(r, "packet identifier");
  // Remaining Length 2: reason code 0 and no properties; 3: no properties
  // (3.4.2.1, 3.4.2.2.1 and the same for PUBREC, PUBREL, PUBCOMP).
  if (r.at_end()) return true;
  if (!read_reason_code(r, T, options.version, out.reason_code, "reason code")) return false;
  if (r.at_end()) return true;
  if (!read_properties(r, PropertyContext::PubAck, out.properties)) return false;
  return expect_end(r, "properties");
}

bool decode_subscription_options(Reader& r, const DecoderOptions& options, Subscription& sub) {
  std::uint8_t bits = 0;
  if (!r.read_u8(bits, "subscription options")) return false;
  const auto qos = static_cast<std::uint8_t>(bits & 0x03U);
  if (!is_v5(options)) {
    // 3.1.1 [MQTT-3-8.3-4]: reserved bits 7-2 are 0 and QoS is 0, 1 or 2, or
    // the SUBSCRIBE is malformed.
    if ((bits & 0xFCU) != 0) {
      return r.fail(ReasonCode::MalformedPacket,
                    "reserved bits 7-2 of the requested QoS byte must be 0 (MQTT 3.1.1 [MQTT-3-8.3-4])");
    }
    if (qos == 3) return r.fail(ReasonCode::MalformedPacket, "QoS 3 is not a valid QoS (MQTT 3.1.1 [MQTT-3-8.3-4])");
    sub.qos = static_cast<QoS>(qos);
    return true;
  }
  if ((bits & 0xC0U) != 0) {
    return r.fail(ReasonCode::MalformedPacket, "reserved bits 7-6 of subscription options must be 0 [MQTT-3.8.3-5]");
  }
  // 3.8.3.1: Maximum QoS 3 and Retain Handling 3 are Protocol Errors.
  if (qos == 3) return r.fail(ReasonCode::ProtocolError, "QoS 3 is not a valid maximum QoS (3.8.3.1)");
  const auto retain_handling = static_cast<std::uint8_t>((bits >> 4) & 0x03U);
  if (retain_handling == 3) return r.fail(ReasonCode::ProtocolError, "Retain Handling 3 is not valid (3.8.3.1)");
  sub.qos = static_cast<QoS>(qos);
  sub.no_local = (bits & 0x04U) != 0;
  sub.retain_as_published = (bits & 0x08U) != 0;
  sub.retain_handling = retain_handling;
  return true;
}

bool read_filter(Reader& r, std::string& filter) {
  if (!r.read_string(filter, "topic filter")) return false;
  if (Status s = validate_topic_filter(filter); !s) return r.fail(s.error().reason, s.error().message);
  return true;
}

bool decode_subscribe(Reader& r, const DecoderOptions& options, Subscribe& out) {
  if (!read_packet_id(r, out.packet_id)) return false;
  if (is_v5(options) && !read_properties(r, PropertyContext::Subscribe, out.properties)) return false;
  // At least one topic filter [MQTT-3.8.3-2] (3.1.1: [MQTT-3.8.3-3]).
  if (r.at_end()) return r.fail(ReasonCode::ProtocolError, "no topic filter [MQTT-3.8.3-2]");
  while (!r.at_end()) {
    Subscription& sub = out.subscriptions.emplace_back();
    if (!read_filter(r, sub.filter) || !decode_subscription_options(r, options, sub)) return false;
    // No Local on a shared subscription is a Protocol Error [MQTT-3.8.3-4].
    if (sub.no_local && std::string_view(sub.filter).substr(0, 7) == "$share/") {
      return r.fail(ReasonCode::ProtocolError,
                    "No Local must not be set on shared subscription \"" + sub.filter + "\" [MQTT-3.8.3-4]");
    }
  }
  return true;
}

bool decode_reason_codes(Reader& r, PacketType type, const DecoderOptions& options, Bytes& codes) {
  // One reason code per topic filter of the request, so at least one.
  if (r.at_end()) return r.fail(ReasonCode::ProtocolError, "no reason code in the payload");
  codes.reserve(r.remaining());
  while (!r.at_end()) {
    std::uint8_t code = 0;
    if (!read_reason_code(r, type, options.version, code, "reason code")) return false;
    codes.push_back(code);
  }
  return true;
}

bool decode_suback(Reader& r, const DecoderOptions& options, SubAck& out) {
  if (!read_packet_id(r, out.packet_id)) return false;
  if (is_v5(options) && !read_properties(r, PropertyContext::SubAck, out.properties)) return false;
  return decode_reason_codes(r, PacketType::SubAck, options, out.reason_codes);
}

bool decode_unsubscribe(Reader& r, const DecoderOptions& options, Unsubscribe& out) {
  if (!read_packet_id(r, out.packet_id)) return false;
  if (is_v5(options) && !read_properties(r, PropertyContext::Unsubscribe, out.properties)) return false;
  // At least one topic filter [MQTT-3.10.3-2].
  if (r.at_end()) return r.fail(ReasonCode::ProtocolError, "no topic filter [MQTT-3.10.3-2]");
  while (!r.at_end()) {
    if (!read_filter(r, out.filters.emplace_back())) return false;
  }
  return true;
}

bool decode_unsuback(Reader& r, const DecoderOptions& options, UnsubAck& out) {
  if (!read_packet_id(r, out.packet_id)) return false;
  // A 3.1.1 UNSUBACK is the packet identifier alone (3.1.1 3.11).
  if (!is_v5(options)) return expect_end(r, "packet identifier");
  if (!read_properties(r, PropertyContext::UnsubAck, out.properties)) return false;
  return decode_reason_codes(r, PacketType::UnsubAck, options, out.reason_codes);
}

bool decode_disconnect(Reader& r, const DecoderOptions& options, Disconnect& out) {
  if (!is_v5(options)) return expect_end(r, "fixed header (a 3.1.1 DISCONNECT has no body)");
  // Remaining Length 0: Normal disconnection, no properties; 1: no
  // properties (3.14.2.1, 3.14.2.2.1).
  if (r.at_end()) return true;
  if (!read_reason_code(r, PacketType::Disconnect, options.version, out.reason_code, "reason code")) return false;
  if (r.at_end()) return true;
  if (!read_properties(r, PropertyContext::Disconnect, out.properties)) return false;
  // The server never sends a Session Expiry Interval in DISCONNECT [MQTT-3.14.2-2].
  if (options.role == Role::Client && out.properties.session_expiry_interval) {
    return r.fail(ReasonCode::ProtocolError,
                  "a DISCONNECT from the server must not carry a Session Expiry Interval [MQTT-3.14.2-2]");
  }
  return expect_end(r, "properties");
}

bool decode_auth(Reader& r, const DecoderOptions& options, Auth& out) {
  // Remaining Length 0: Success, no properties (3.15.2.1).
  if (r.at_end()) return true;
  if (!read_reason_code(r, PacketType::Auth, options.version, out.reason_code, "reason code")) return false;
  if (!r.at_end() && !read_properties(r, PropertyContext::Auth, out.properties)) return false;
  // 3.15.2.2.2: omitting the Authentication Method is a Protocol Error; only
  // the short form (Success, no properties) goes without it.
  if ((out.reason_code != 0 || !out.properties.empty()) && !out.properties.authentication_method) {
    return r.fail(ReasonCode::ProtocolError, "Authentication Method is missing (3.15.2.2.2)");
  }
  return expect_end(r, "properties");
}

bool decode_empty(Reader& r) { return expect_end(r, "fixed header (Remaining Length must be 0)"); }

bool dispatch(Reader& r, const FixedHeader& header, const DecoderOptions& options, Packet& out) {
  switch (header.type) {
    case PacketType::Connect: return decode_connect(r, out.emplace<Connect>());
    case PacketType::ConnAck: return decode_connack(r, options, out.emplace<ConnAck>());
    case PacketType::Publish: return decode_publish(r, header, options, out.emplace<Publish>());
    case PacketType::PubAck: return decode_pub_response(r, options, out.emplace<PubAck>());
    case PacketType::PubRec: return decode_pub_response(r, options, out.emplace<PubRec>());
    case PacketType::PubRel: return decode_pub_response(r, options, out.emplace<PubRel>());
    case PacketType::PubComp: return decode_pub_response(r, options, out.emplace<PubComp>());
    case PacketType::Subscribe: return decode_subscribe(r, options, out.emplace<Subscribe>());
    case PacketType::SubAck: return decode_suback(r, options, out.emplace<SubAck>());
    case PacketType::Unsubscribe: return decode_unsubscribe(r, options, out.emplace<Unsubscribe>());
    case PacketType::UnsubAck: return decode_unsuback(r, options, out.emplace<UnsubAck>());
    case PacketType::PingReq: out.emplace<PingReq>(); return decode_empty(r);
    case PacketType::PingResp: out.emplace<PingResp>(); return decode_empty(r);
    case PacketType::Disconnect: return decode_disconnect(r, options, out.emplace<Disconnect>());
    case PacketType::Auth: return decode_auth(r, options, out.emplace<Auth>());
  }
  return r.fail(ReasonCode::MalformedPacket, "unknown packet type");
}

Error header_error(ReasonCode reason, std::string message) { return make_error(reason, std::move(message)); }

}  // namespace

HeaderStatus parse_fixed_header(std::span<const std::uint8_t> bytes, const DecoderOptions& options,
                                FixedHeader& header, Error& error) {
  if (bytes.empty()) return HeaderStatus::NeedMore;
  const auto type = static_cast<std::uint8_t>(bytes[0] >> 4);
  const auto flags = static_cast<std::uint8_t>(bytes[0] & 0x0FU);
  // Packet type 0 is reserved (2.1.2); 15 is reserved in 3.1.1 and AUTH in 5.0.
  if (type == 0) {
    error = header_error(ReasonCode::MalformedPacket, "packet type 0 is reserved (2.1.2)");
    return HeaderStatus::Error;
  }
  header.type = static_cast<PacketType>(type);
  if (header.type == PacketType::Auth && options.version == ProtocolVersion::v311) {
    error = header_error(ReasonCode::MalformedPacket, "packet type 15 (AUTH) is reserved in MQTT 3.1.1");
    return HeaderStatus::Error;
  }
  if (!may_receive(options.role, header.type)) {
    const char* who = options.role == Role::Client ? "a client" : "a server";
    error = header_error(ReasonCode::ProtocolError,
                         packet_name(header.type) + ": " + who + " must not receive " + packet_name(header.type));
    return HeaderStatus::Error;
  }
  if (header.type == PacketType::Publish) {
    const auto qos = static_cast<std::uint8_t>((flags >> 1) & 0x03U);
    if (qos == 3) {
      error = header_error(ReasonCode::MalformedPacket, "PUBLISH: QoS 3 is not a valid QoS [MQTT-3.3.1-4]");
      return HeaderStatus::Error;
    }
    if (qos == 0 && (flags & 0x08U) != 0) {
      error = header_error(ReasonCode::MalformedPacket, "PUBLISH: DUP flag must be 0 for QoS 0 [MQTT-3.3.1-2]");
      return HeaderStatus::Error;
    }
  } else if (flags != required_flags(header.type)) {
    error = header_error(ReasonCode::MalformedPacket,
                         packet_name(header.type) + ": fixed header flags must be " +
                             flag_bits(required_flags(header.type)) + ", not " + flag_bits(flags) +
                             " [MQTT-2.1.3-1]");
    return HeaderStatus::Error;
  }
  header.flags = flags;

  std::size_t used = 0;
  switch (wire::parse_varint(bytes.subspan(1), header.remaining_length, used)) {
    case wire::VarintStatus::Ok: break;
    case wire::VarintStatus::NeedMore: return HeaderStatus::NeedMore;
    case wire::VarintStatus::TooLong:
      error = header_error(ReasonCode::MalformedPacket, "remaining length uses more than 4 bytes (1.5.5)");
      return HeaderStatus::Error;
    case wire::VarintStatus::NotMinimal:
      error = header_error(ReasonCode::MalformedPacket,
                           "remaining length is not encoded in the minimum number of bytes [MQTT-1.5.5-1]");
      return HeaderStatus::Error;
  }
  header.header_size = 1 + used;
  // Refuse before buffering the body [MQTT-3.1.2-24] [MQTT-3.2.2-15].
  if (options.max_packet_size != 0 && header.total_size() > options.max_packet_size) {
    error = header_error(ReasonCode::PacketTooLarge,
                         packet_name(header.type) + ": packet of " + std::to_string(header.total_size()) +
                             " bytes exceeds the maximum packet size of " + std::to_string(options.max_packet_size) +
                             " bytes");
    return HeaderStatus::Error;
  }
  return HeaderStatus::Ok;
}

bool decode_body(const FixedHeader& header, std::span<const std::uint8_t> body, const DecoderOptions& options,
                 Packet& out, Error& error) {
  Reader r(body);
  if (dispatch(r, header, options, out)) return true;
  error = in_packet(header.type, r.take_error());
  return false;
}

bool decode_publish_in_place(const FixedHeader& header, std::span<const std::uint8_t> body,
                             const DecoderOptions& options, PublishView& out, Properties& properties, Error& error) {
  Reader r(body);
  if (decode_publish_fields(r, header, options, out, properties)) return true;
  error = in_packet(header.type, r.take_error());
  return false;
}

}  // namespace tpgate::mqtt::detail

namespace tpgate::mqtt {

Result<Packet> decode_packet(std::span<const std::uint8_t> bytes, const DecoderOptions& options) {
  detail::FixedHeader header;
  Error error;
  switch (detail::parse_fixed_header(bytes, options, header, error)) {
    case detail::HeaderStatus::Error: return error;
    case detail::HeaderStatus::NeedMore:
      return make_error(ReasonCode::MalformedPacket,
                        bytes.empty() ? "no bytes to decode" : "fixed header is truncated");
    case detail::HeaderStatus::Ok: break;
  }
  if (bytes.size() < header.total_size()) {
    return make_error(ReasonCode::MalformedPacket,
                      detail::packet_name(header.type) + ": remaining length is " +
                          std::to_string(header.remaining_length) + " but only " +
                          std::to_string(bytes.size() - header.header_size) + " bytes follow the fixed header");
  }
  if (bytes.size() > header.total_size()) {
    return make_error(ReasonCode::MalformedPacket,
                      detail::packet_name(header.type) + ": " + std::to_string(bytes.size() - header.total_size()) +
                          " trailing bytes after the packet");
  }
  Packet packet;
  if (!detail::decode_body(header, bytes.subspan(header.header_size), options, packet, error)) return error;
  return packet;
}

}  // namespace tpgate::mqtt
