// Writing packets: validate, measure with a counting Writer, then write once.
#include <algorithm>
#include <string>

#include "mqtt/codec.hpp"
#include "mqtt/codec_encode.hpp"
#include "mqtt/codec_rules.hpp"
#include "mqtt/property_codec.hpp"

namespace tpgate::mqtt {
namespace detail {
namespace {

using wire::Writer;

bool is_v5(ProtocolVersion v) { return v == ProtocolVersion::v5; }

void write(Writer& w, const Connect& p, ProtocolVersion) {
  const bool v5 = is_v5(p.version);
  w.string("MQTT");  // [MQTT-3.1.2-1]
  w.u8(static_cast<std::uint8_t>(p.version));
  std::uint8_t flags = 0;
  if (p.clean_start) flags |= 0x02U;
  if (p.will) {
    flags = static_cast<std::uint8_t>(flags | 0x04U | (static_cast<std::uint8_t>(p.will->qos) << 3));
    if (p.will->retain) flags |= 0x20U;
  }
  if (p.password) flags |= 0x40U;
  if (p.username) flags |= 0x80U;
  w.u8(flags);
  w.u16(p.keep_alive);
  if (v5) write_properties(w, p.properties);
  w.string(p.client_id);
  if (p.will) {
    if (v5) write_properties(w, p.will->properties);
    w.string(p.will->topic);
    w.binary(p.will->payload);
  }
  if (p.username) w.string(*p.username);
  if (p.password) w.binary(*p.password);
}

void write(Writer& w, const ConnAck& p, ProtocolVersion version) {
  w.u8(p.session_present ? 1 : 0);
  w.u8(p.reason_code);
  if (is_v5(version)) write_properties(w, p.properties);
}

void write(Writer& w, const Publish& p, ProtocolVersion version) { write_publish_body(w, view_of(p), version); }

// The shortest legal form: reason code and properties are left out when the
// reason is 0 and there are no properties, the properties alone when there
// are none (3.4.2.1 and the same rule in PUBREC, PUBREL, PUBCOMP, DISCONNECT
// and AUTH).
void write_reason_and_properties(Writer& w, std::uint8_t reason_code, const Properties& properties) {
  const bool no_properties = properties.empty();
  if (reason_code == 0 && no_properties) return;
  w.u8(reason_code);
  if (!no_properties) write_properties(w, properties);
}

template <PacketType T>
void write(Writer& w, const PubResponse<T>& p, ProtocolVersion version) {
  w.u16(p.packet_id);
  if (is_v5(version)) write_reason_and_properties(w, p.reason_code, p.properties);
}

void write(Writer& w, const Subscribe& p, ProtocolVersion version) {
  w.u16(p.packet_id);
  if (is_v5(version)) write_properties(w, p.properties);
  for (const Subscription& sub : p.subscriptions) {
    w.string(sub.filter);
    auto options = static_cast<std::uint8_t>(sub.qos);
    if (is_v5(version)) {
      if (sub.no_local) options |= 0x04U;
      if (sub.retain_as_published) options |= 0x08U;
      options = static_cast<std::uint8_t>(options | (sub.retain_handling << 4));
    }
    w.u8(options);
  }
}

void write(Writer& w, const SubAck& p, ProtocolVersion version) {
  w.u16(p.packet_id);
  if (is_v5(version)) write_properties(w, p.properties);
  w.raw(p.reason_codes);
}

void write(Writer& w, const Unsubscribe& p, ProtocolVersion version) {
  w.u16(p.packet_id);
  if (is_v5(version)) write_properties(w, p.properties);
  for (const std::string& filter : p.filters) w.string(filter);
}

void write(Writer& w, const UnsubAck& p, ProtocolVersion version) {
  w.u16(p.packet_id);
  if (!is_v5(version)) return;
  write_properties(w, p.properties);
  w.raw(p.reason_codes);
}

void write(Writer&, const PingReq&, ProtocolVersion) {}
void write(Writer&, const PingResp&, ProtocolVersion) {}

void write(Writer& w, const Disconnect& p, ProtocolVersion version) {
  if (is_v5(version)) write_reason_and_properties(w, p.reason_code, p.properties);
}

void write(Writer& w, const Auth& p, ProtocolVersion) { write_reason_and_properties(w, p.reason_code, p.properties); }

}  // namespace

void write_publish_body(Writer& w, const PublishView& p, ProtocolVersion version) {
  w.string(p.topic);
  if (p.qos != QoS::AtMostOnce) w.u16(p.packet_id);
  if (is_v5(version)) {
    if (p.properties != nullptr) {
      write_properties(w, *p.properties);
    } else if (p.topic_alias != 0) {
      // What write_properties() writes for a Topic Alias alone.
      w.varint(3);
      w.u8(static_cast<std::uint8_t>(PropertyId::TopicAlias));
      w.u16(p.topic_alias);
    } else {
      w.varint(0);
    }
  }
  w.raw(p.payload);
}

std::uint8_t fixed_header_byte(const Packet& packet) {
  const PacketType type = packet_type(packet);
  std::uint8_t flags = required_flags(type);
  if (const auto* publish = std::get_if<Publish>(&packet)) {
    flags = static_cast<std::uint8_t>((publish->dup ? 0x08U : 0U) | (static_cast<std::uint8_t>(publish->qos) << 1) |
                                      (publish->retain ? 0x01U : 0U));
  }
  return static_cast<std::uint8_t>((static_cast<std::uint8_t>(type) << 4) | flags);
}

void write_body(Writer& out, const Packet& packet, ProtocolVersion version) {
  std::visit([&out, version](const auto& p) { write(out, p, version); }, packet);
}

}  // namespace detail

namespace {

struct Plan {
  std::uint32_t remaining_length = 0;
  std::size_t total = 0;
};

ProtocolVersion version_of(const Packet& packet, const EncodeOptions& options) {
  // A CONNECT is written in the version it declares.
  if (const auto* connect = std::get_if<Connect>(&packet)) return connect->version;
  return options.version;
}

// The size checks of every packet, once its body is measured.
Result<Plan> check_size(PacketType type, std::size_t body, const EncodeOptions& options) {
  const std::uint32_t limit = options.max_packet_size != 0 ? options.max_packet_size : kMaxPacketSize;
  if (body > kMaxRemainingLength) {
    return make_error(ReasonCode::PacketTooLarge, detail::packet_name(type) + ": remaining length of " +
                                                      std::to_string(body) +
                                                      " bytes exceeds the protocol maximum of 268435455");
  }
  Plan result;
  result.remaining_length = static_cast<std::uint32_t>(body);
  result.total = 1 + wire::varint_size(result.remaining_length) + body;
  // Never send more than the peer's Maximum Packet Size [MQTT-3.1.2-24] [MQTT-3.2.2-15].
  if (result.total > limit) {
    return make_error(ReasonCode::PacketTooLarge, detail::packet_name(type) + ": packet of " +
                                                      std::to_string(result.total) +
                                                      " bytes exceeds the maximum packet size of " +
                                                      std::to_string(limit) + " bytes");
  }
  return result;
}

Result<Plan> plan(const Packet& packet, const EncodeOptions& options) {
  const ProtocolVersion version = version_of(packet, options);
  if (Status s = detail::validate_for_encoding(packet, options.version); !s) {
    return detail::in_packet(packet_type(packet), s.error());
  }
  wire::Writer counter;
  detail::write_body(counter, packet, version);
  return check_size(packet_type(packet), counter.size(), options);
}

std::uint8_t publish_header_byte(const PublishView& p) {
  return static_cast<std::uint8_t>((static_cast<std::uint8_t>(PacketType::Publish) << 4) | (p.dup ? 0x08U : 0U) |
                                   (static_cast<std::uint8_t>(p.qos) << 1) | (p.retain ? 0x01U : 0U));
}

void write_packet(const Packet& packet, const EncodeOptions& options, const Plan& p, std::uint8_t* out) {
  wire::Writer w(out);
  w.u8(detail::fixed_header_byte(packet));
  w.varint(p.remaining_length);
  detail::write_body(w, packet, version_of(packet, options));
}

}  // namespace

Status encode(const Packet& packet, const EncodeOptions& options, Bytes& out) {
  Result<Plan> p = plan(packet, options);
  if (!p) return p.error();
  const std::size_t start = out.size();
  out.resize(start + p->total);
  write_packet(packet, options, *p, out.data() + start);
  return ok_status();
}

Result<std::size_t> encode_into(const Packet& packet, const EncodeOptions& options, std::span<std::uint8_t> out) {
  Result<Plan> p = plan(packet, options);
  if (!p) return p.error();
  if (out.size() < p->total) {
    return make_error(ReasonCode::ImplementationSpecificError,
                      "buffer too short: need " + std::to_string(p->total) + " bytes, have " +
                          std::to_string(out.size()));
  }
  write_packet(packet, options, *p, out.data());
  return p->total;
}

Result<std::size_t> encoded_size(const Packet& packet, const EncodeOptions& options) {
  Result<Plan> p = plan(packet, options);
  if (!p) return p.error();
  return p->total;
}

Result<PublishPlan> plan_publish(const PublishView& publish, const EncodeOptions& options) {
  std::size_t body = 0;
  if (publish.properties == nullptr) {
    // Measured without a pass over the fields: topic, identifier, property
    // block (a lone Topic Alias or none), payload.
    body = 2 + publish.topic.size() + (publish.qos != QoS::AtMostOnce ? 2 : 0) + publish.payload.size();
    if (options.version == ProtocolVersion::v5) body += publish.topic_alias != 0 ? 4 : 1;
  } else {
    wire::Writer counter;
    detail::write_publish_body(counter, publish, options.version);
    body = counter.size();
  }
  Result<Plan> p = check_size(PacketType::Publish, body, options);
  if (!p) return p.error();
  return PublishPlan{p->remaining_length, p->total};
}

void write_publish(const PublishView& publish, const PublishPlan& plan, ProtocolVersion version, Bytes& out) {
  const std::size_t start = out.size();
  if (out.capacity() < start + plan.total) out.reserve(std::max(start + plan.total, out.capacity() * 2));
  if (publish.properties != nullptr) {
    out.resize(start + plan.total);
    wire::Writer w(out.data() + start);
    w.u8(publish_header_byte(publish));
    w.varint(plan.remaining_length);
    detail::write_publish_body(w, publish, version);
    return;
  }
  // Short fields around topic and payload, appended piece by piece: resize()
  // would first zero every byte, one at a time in the size-optimised wasm.
  // The same bytes as write_publish_body().
  std::uint8_t head[1 + 4 + 2];  // fixed header, Remaining Length, topic length
  wire::Writer h(head);
  h.u8(publish_header_byte(publish));
  h.varint(plan.remaining_length);
  h.u16(static_cast<std::uint16_t>(publish.topic.size()));
  out.insert(out.end(), head, head + h.size());
  out.insert(out.end(), publish.topic.begin(), publish.topic.end());
  std::uint8_t middle[2 + 4];  // packet identifier, property block
  wire::Writer m(middle);
  if (publish.qos != QoS::AtMostOnce) m.u16(publish.packet_id);
  if (version == ProtocolVersion::v5) {
    if (publish.topic_alias != 0) {
      m.varint(3);
      m.u8(static_cast<std::uint8_t>(PropertyId::TopicAlias));
      m.u16(publish.topic_alias);
    } else {
      m.varint(0);
    }
  }
  out.insert(out.end(), middle, middle + m.size());
  out.insert(out.end(), publish.payload.begin(), publish.payload.end());
}

Status encode_publish(const PublishView& publish, const EncodeOptions& options, Bytes& out) {
  if (Status s = detail::check_version(options.version); !s) return detail::in_packet(PacketType::Publish, s.error());
  if (Status s = detail::validate_publish(publish, options.version); !s) {
    return detail::in_packet(PacketType::Publish, s.error());
  }
  Result<PublishPlan> p = plan_publish(publish, options);
  if (!p) return p.error();
  write_publish(publish, *p, options.version, out);
  return ok_status();
}

}  // namespace tpgate::mqtt
