// Per-packet rules shared by the encoder and the decoder: fixed header flags,
// the reason codes each packet may carry, and which side may receive what.
// Internal to the codec.
#pragma once

#include <cstdint>
#include <string>

#include "mqtt/codec.hpp"
#include "mqtt/types.hpp"

namespace tpgate::mqtt::detail {

// The fixed header flags every packet other than PUBLISH must carry
// [MQTT-2.1.3-1]: 0b0010 for PUBREL, SUBSCRIBE and UNSUBSCRIBE, 0 otherwise.
std::uint8_t required_flags(PacketType type);

// Whether `code` is a reason code (v5) or return code (3.1.1) that `type` may
// carry: the per-packet tables of MQTT 5.0 3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1,
// 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1, 3.15.2.1 and 3.1.1 3.2.2.3, 3.9.3.
bool reason_code_allowed(PacketType type, std::uint8_t code, ProtocolVersion version);

// "reason code 0x05 is not valid in PUBACK"; the caller adds the packet name.
std::string reason_code_error(std::uint8_t code, ProtocolVersion version);

// Whether the side in `role` may receive `type`: only clients receive
// CONNACK, SUBACK, UNSUBACK and PINGRESP; only servers receive CONNECT,
// SUBSCRIBE, UNSUBSCRIBE and PINGREQ.
bool may_receive(Role role, PacketType type);

inline std::string packet_name(PacketType type) {
  return std::string(packet_type_name(static_cast<std::uint8_t>(type)));
}

// Prefixes the message with the packet name: "PUBLISH: ...".
inline Error in_packet(PacketType type, Error error) {
  error.message = packet_name(type) + ": " + error.message;
  return error;
}

}  // namespace tpgate::mqtt::detail
