#include "mqtt/codec_rules.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "mqtt/topic.hpp"
#include "mqtt/wire.hpp"

namespace tpgate::mqtt {
namespace detail {
namespace {

bool one_of(std::uint8_t code, std::initializer_list<std::uint8_t> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

bool v5_reason_allowed(PacketType type, std::uint8_t code) {
  switch (type) {
    case PacketType::ConnAck:  // 3.2.2.2
      return one_of(code, {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90,
                           0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
    case PacketType::PubAck:  // 3.4.2.1
    case PacketType::PubRec:  // 3.5.2.1
      return one_of(code, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
    case PacketType::PubRel:   // 3.6.2.1
    case PacketType::PubComp:  // 3.7.2.1
      return one_of(code, {0x00, 0x92});
    case PacketType::SubAck:  // 3.9.3
      return one_of(code, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
    case PacketType::UnsubAck:  // 3.11.3
      return one_of(code, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
    case PacketType::Disconnect:  // 3.14.2.1
      return one_of(code, {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90,
                           0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F,
                           0xA0, 0xA1, 0xA2});
    case PacketType::Auth:  // 3.15.2.1
      return one_of(code, {0x00, 0x18, 0x19});
    default:
      return false;
  }
}

}  // namespace

std::uint8_t required_flags(PacketType type) {
  switch (type) {
    case PacketType::PubRel:
    case PacketType::Subscribe:
    case PacketType::Unsubscribe: return 0x2;
    default: return 0x0;
  }
}

bool reason_code_allowed(PacketType type, std::uint8_t code, ProtocolVersion version) {
  if (version == ProtocolVersion::v5) return v5_reason_allowed(type, code);
  switch (type) {
    case PacketType::ConnAck: return code <= 5;  // 3.1.1 3.2.2.3
    // Other values are reserved and MUST NOT be used (3.1.1 [MQTT-3.9.3-2]).
    case PacketType::SubAck: return one_of(code, {0x00, 0x01, 0x02, 0x80});
    default: return false;
  }
}

std::string reason_code_error(std::uint8_t code, ProtocolVersion version) {
  const std::string hex = wire::hex_byte(code);
  if (version == ProtocolVersion::v311) return "return code " + hex + " is not defined in MQTT 3.1.1";
  return "reason code " + hex + " (" + std::string(reason_code_name(code)) + ") is not allowed in this packet";
}

bool may_receive(Role role, PacketType type) {
  switch (role) {
    case Role::Any: return true;
    case Role::Client:
      return type != PacketType::Connect && type != PacketType::Subscribe && type != PacketType::Unsubscribe &&
             type != PacketType::PingReq;
    case Role::Server:
      return type != PacketType::ConnAck && type != PacketType::SubAck && type != PacketType::UnsubAck &&
             type != PacketType::PingResp;
  }
  return true;
}

}  // namespace detail

Status check_payload_format(const Publish& publish) {
  // A Payload Format Indicator of 1 declares UTF-8 Encoded Character Data
  // (3.3.2.3.2): well-formed UTF-8 per RFC 3629. Unlike a UTF-8 Encoded String
  // (1.5.4) it has no length limit and may contain U+0000, so the payload is
  // checked in pieces that end at a NUL or before a 65,535-byte limit.
  if (publish.properties.payload_format_indicator != std::uint8_t{1}) return ok_status();
  const std::string_view text(reinterpret_cast<const char*>(publish.payload.data()), publish.payload.size());
  constexpr std::size_t kPiece = 60'000;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + kPiece);
    const std::size_t nul = text.find('\0', start);
    if (nul < end) {
      end = nul;
    } else {
      // Do not cut a multi-byte sequence in two: end before its lead byte.
      while (end < text.size() && end > start && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
      if (end == start) end = std::min(text.size(), start + kPiece);  // only continuation bytes: invalid anyway
    }
    if (Status s = validate_utf8_string(text.substr(start, end - start)); !s) {
      return make_error(ReasonCode::PayloadFormatInvalid,
                        "PUBLISH: payload is not well-formed UTF-8 although Payload Format Indicator is 1: " +
                            s.error().message);
    }
    start = end < text.size() && text[end] == '\0' ? end + 1 : end;
  }
  return ok_status();
}

}  // namespace tpgate::mqtt
