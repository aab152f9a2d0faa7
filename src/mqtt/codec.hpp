// Encoder and incremental decoder for every MQTT 3.1.1 and 5.0 packet.
//
// Encoding validates what the peer would reject (topic rules, property
// placement, identifier ranges, packet size) so the core never puts a packet on
// the wire that the other side must treat as a protocol violation.
//
// Decoding is incremental: feed() any chunking of the byte stream, then call
// next() until it returns NeedMore. A decode error is final for the stream (the
// connection must be closed, with the error's reason code in v5).
//
// Which reason code an error carries (the same on both sides):
//  - Malformed Packet: what cannot be parsed as the spec lays it out: reserved
//    packet type or fixed header flags [MQTT-2.1.3-1], QoS 3 or DUP on QoS 0 in
//    PUBLISH, a Remaining Length or other Variable Byte Integer longer than 4
//    bytes or not minimal (MQTT 5 requires the minimum [MQTT-1.5.5-1]; 3.1.1
//    has no such rule but no conforming encoder differs, so both versions
//    refuse it), a field running past the packet, trailing bytes, ill-formed
//    UTF-8 or U+0000 in a string, an unknown property identifier, reserved
//    CONNECT / CONNACK / subscription option bits, inconsistent will flags, a
//    reason or return code the packet does not define, AUTH in 3.1.1.
//  - Protocol Error: parsed but not allowed: a property in the wrong packet or
//    given twice, out-of-range property values, packet identifier 0, an empty
//    SUBSCRIBE / UNSUBSCRIBE / SUBACK / UNSUBACK list, No Local on a shared
//    subscription, Retain Handling 3 or maximum QoS 3 in a v5 SUBSCRIBE, a
//    packet the receiving Role never receives, v5 PUBLISH with neither topic
//    nor Topic Alias.
//  - Topic Name invalid / Topic Filter invalid: a topic or filter that is
//    well-formed UTF-8 but breaks the topic rules (wildcards, empty, $share).
//  - Topic Alias invalid: Topic Alias 0. Packet too large: over the maximum
//    packet size. Unsupported Protocol Version: CONNECT with a protocol name
//    other than "MQTT" (so "MQIsdp", MQTT 3.1, too) or a level other than 4/5.
// Left to the session (it needs connection state): topic alias ranges and
// resolution, Receive Maximum, a second CONNECT, the Payload Format Indicator
// check (see check_payload_format()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mqtt/packets.hpp"
#include "mqtt/types.hpp"

namespace tpgate::mqtt {

// Which side of the connection decodes or encodes. A client must not receive a
// CONNECT, a server must not receive a CONNACK, and so on; checking the
// direction turns such packets into a Protocol Error. Any accepts all.
enum class Role : std::uint8_t { Any, Client, Server };

struct EncodeOptions {
  ProtocolVersion version = ProtocolVersion::v5;
  // The peer's Maximum Packet Size (0 = protocol maximum). A larger packet is
  // refused with PacketTooLarge and nothing is written [MQTT-3.1.2-24].
  std::uint32_t max_packet_size = 0;
};

// Appends the encoded packet to `out`. On error `out` is left unchanged.
// A CONNECT is written in the version it declares (Connect::version); every
// other packet in options.version, where the fields 3.1.1 cannot carry are
// left out. v5 acks, DISCONNECT and AUTH take their shortest legal form.
Status encode(const Packet& packet, const EncodeOptions& options, Bytes& out);

// Encodes into a caller-owned buffer; returns the number of bytes written, or
// an Error (ImplementationSpecificError, "buffer too short: need N bytes") when
// `out` is too small, in which case nothing useful is in `out`.
Result<std::size_t> encode_into(const Packet& packet, const EncodeOptions& options, std::span<std::uint8_t> out);

// The exact size encode() would produce, or the error it would report.
Result<std::size_t> encoded_size(const Packet& packet, const EncodeOptions& options);

// A PUBLISH by its fields, where they already are (no Publish, no Packet):
// the session's publish path. Encoded byte for byte as encode() encodes the
// Publish with the same fields.
struct PublishView {
  std::string_view topic;  // may be empty in v5 with a Topic Alias
  std::span<const std::uint8_t> payload;
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // present only when qos > 0
  // v5 properties, or nullptr for none but `topic_alias` (0 = none). With
  // properties, the alias is properties->topic_alias and `topic_alias` is unused.
  const Properties* properties = nullptr;
  std::uint16_t topic_alias = 0;
};

// A Publish seen as a PublishView (its properties included).
inline PublishView view_of(const Publish& p) {
  return PublishView{p.topic, p.payload, p.qos, p.retain, p.dup, p.packet_id, &p.properties, 0};
}

// Size of a PUBLISH on the wire; `total` is what is appended.
struct PublishPlan {
  std::uint32_t remaining_length = 0;
  std::size_t total = 0;
};

// encode() for a PublishView: validates, measures once, writes once.
Status encode_publish(const PublishView& publish, const EncodeOptions& options, Bytes& out);

// The two steps after validation, for a caller that has checked the fields
// itself (the session checks the topic when the call is made): the size, or
// PacketTooLarge with encode()'s message; then the bytes, appended to `out`.
Result<PublishPlan> plan_publish(const PublishView& publish, const EncodeOptions& options);
void write_publish(const PublishView& publish, const PublishPlan& plan, ProtocolVersion version, Bytes& out);

struct DecoderOptions {
  // Version used for packets before a CONNECT is seen. A decoded CONNECT
  // switches the decoder to the version it declares (server side).
  ProtocolVersion version = ProtocolVersion::v5;
  Role role = Role::Any;  // the role of the side that receives
  // Our Maximum Packet Size (0 = protocol maximum): a larger packet is refused
  // as soon as its fixed header is read, before its body is buffered.
  std::uint32_t max_packet_size = 0;
};

// A PUBLISH that Decoder::next(out, publish, error) read in place.
struct ReceivedPublish {
  bool set = false;  // the last Status::Packet was this PUBLISH (and `out` was left alone)
  // Topic and payload view the decoder's buffer: valid until its next feed()
  // or reset(). view.properties points at `properties`.
  PublishView view;
  Properties properties;
};

class Decoder {
 public:
  // g++ 12's -Wshadow reports a scoped enumerator named like a namespace-level
  // type although nothing is shadowed (the enumerator is Status::Packet).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
  enum class Status : std::uint8_t { Packet, NeedMore, Error };
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  explicit Decoder(DecoderOptions options = {});

  // Appends bytes to the internal buffer. Cheap; decoding happens in next().
  void feed(std::span<const std::uint8_t> bytes);

  // Decodes the next complete packet into `out`. Returns NeedMore when the
  // buffered bytes hold no complete packet, Error (with `error` set) when the
  // stream is malformed; after an Error every further call returns Error.
  Status next(Packet& out, Error& error);
  // The same, but a PUBLISH is read in place into `publish` (no copy of its
  // topic or payload) and every other packet into `out`.
  Status next(Packet& out, ReceivedPublish& publish, Error& error);

  void set_version(ProtocolVersion v) { options_.version = v; }
  ProtocolVersion version() const { return options_.version; }
  void set_max_packet_size(std::uint32_t n) { options_.max_packet_size = n; }
  // Drops buffered bytes and any error; for a new connection.
  void reset();
  // Bytes fed but not yet consumed by a decoded packet.
  std::size_t buffered() const { return buffer_.size() - offset_; }

 private:
  Status next_packet(Packet& out, ReceivedPublish* publish, Error& error);

  DecoderOptions options_;
  Bytes buffer_;
  std::size_t offset_ = 0;
  bool failed_ = false;
  Error error_;
};

// The receiver's optional check of a PUBLISH whose Payload Format Indicator
// is 1: the payload must be well-formed UTF-8 (3.3.2.3.2), else
// PayloadFormatInvalid. The codec does not run it itself: the spec makes the
// check a MAY and its answer depends on the QoS (a PUBACK or PUBREC with 0x99,
// or a DISCONNECT for QoS 0), so it belongs to whoever receives the message.
Status check_payload_format(const Publish& publish);

// Decodes exactly one whole packet from `bytes` (all of them). Trailing bytes
// are a Malformed Packet error.
Result<Packet> decode_packet(std::span<const std::uint8_t> bytes, const DecoderOptions& options = {});

}  // namespace tpgate::mqtt
