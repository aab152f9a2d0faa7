// Malformed and forbidden input: each case gives the exact reason code and a
// precise message, through both decode_packet() and the stream Decoder (fed
// one byte at a time). Also: truncation, oversize packets on both sides,
// encoder refusals, and random bytes that must never crash the decoder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "mqtt/codec.hpp"

namespace {

using namespace tpgate::mqtt;
using codec_test::hex;

constexpr auto v311 = ProtocolVersion::v311;
constexpr auto v5 = ProtocolVersion::v5;

struct BadInput {
  std::string name;
  ProtocolVersion version;
  Role role;
  Bytes bytes;
  ReasonCode reason;
  std::string message;  // a substring of the error message
  std::uint32_t max_packet_size = 0;
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name << " [" << hex(c.bytes) << "]"; }

constexpr auto kMalformed = ReasonCode::MalformedPacket;
constexpr auto kProtocol = ReasonCode::ProtocolError;
constexpr auto kAny = Role::Any;

std::vector<BadInput> fixed_header_cases() {
  return {
      {"remaining_length_5_bytes", v5, kAny, {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, kMalformed,
       "remaining length uses more than 4 bytes"},
      {"remaining_length_not_minimal", v5, kAny, {0xC0, 0x80, 0x00}, kMalformed,
       "minimum number of bytes [MQTT-1.5.5-1]"},
      {"packet_type_0", v5, kAny, {0x00, 0x00}, kMalformed, "packet type 0 is reserved"},
      {"auth_in_311", v311, kAny, {0xF0, 0x00}, kMalformed, "packet type 15 (AUTH) is reserved in MQTT 3.1.1"},
      // Reserved flag bits, one case per packet type [MQTT-2.1.3-1].
      {"flags_connect", v5, kAny, {0x11, 0x00}, kMalformed, "CONNECT: fixed header flags must be 0000, not 0001"},
      {"flags_connack", v5, kAny, {0x28, 0x03, 0x00, 0x00, 0x00}, kMalformed,
       "CONNACK: fixed header flags must be 0000, not 1000"},
      {"flags_puback", v5, kAny, {0x42, 0x02, 0x00, 0x01}, kMalformed,
       "PUBACK: fixed header flags must be 0000, not 0010"},
      {"flags_pubrec", v5, kAny, {0x51, 0x02, 0x00, 0x01}, kMalformed, "PUBREC: fixed header flags"},
      {"flags_pubrel", v5, kAny, {0x60, 0x02, 0x00, 0x01}, kMalformed,
       "PUBREL: fixed header flags must be 0010, not 0000"},
      {"flags_pubcomp", v5, kAny, {0x74, 0x02, 0x00, 0x01}, kMalformed, "PUBCOMP: fixed header flags"},
      {"flags_subscribe", v311, kAny, {0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}, kMalformed,
       "SUBSCRIBE: fixed header flags must be 0010, not 0000"},
      {"flags_suback", v5, kAny, {0x92, 0x04, 0x00, 0x01, 0x00, 0x00}, kMalformed, "SUBACK: fixed header flags"},
      {"flags_unsubscribe", v311, kAny, {0xA3, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}, kMalformed,
       "UNSUBSCRIBE: fixed header flags must be 0010, not 0011"},
      {"flags_unsuback", v311, kAny, {0xB8, 0x02, 0x00, 0x01}, kMalformed, "UNSUBACK: fixed header flags"},
      {"flags_pingreq", v5, kAny, {0xC1, 0x00}, kMalformed, "PINGREQ: fixed header flags"},
      {"flags_pingresp", v5, kAny, {0xDF, 0x00}, kMalformed, "PINGRESP: fixed header flags must be 0000, not 1111"},
      {"flags_disconnect", v5, kAny, {0xE2, 0x00}, kMalformed, "DISCONNECT: fixed header flags"},
      {"flags_auth", v5, kAny, {0xF8, 0x00}, kMalformed, "AUTH: fixed header flags"},
      {"oversize_vs_max_packet_size", v5, kAny, {0x30, 0x14}, ReasonCode::PacketTooLarge,
       "PUBLISH: packet of 22 bytes exceeds the maximum packet size of 21 bytes", 21},
  };
}

std::vector<BadInput> publish_cases() {
  return {
      {"qos_3", v5, kAny, {0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01}, kMalformed,
       "PUBLISH: QoS 3 is not a valid QoS [MQTT-3.3.1-4]"},
      {"dup_with_qos_0", v311, kAny, {0x38, 0x03, 0x00, 0x01, 't'}, kMalformed,
       "PUBLISH: DUP flag must be 0 for QoS 0 [MQTT-3.3.1-2]"},
      {"packet_id_0", v311, kAny, {0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00}, kProtocol,
       "PUBLISH: packet identifier must not be 0"},
      {"wildcard_hash_in_topic", v311, kAny, {0x30, 0x05, 0x00, 0x03, 'a', '/', '#'}, ReasonCode::TopicNameInvalid,
       "PUBLISH: topic name contains a wildcard"},
      {"wildcard_plus_in_topic", v5, kAny, {0x30, 0x06, 0x00, 0x03, 'a', '+', 'b', 0x00},
       ReasonCode::TopicNameInvalid, "wildcard"},
      {"u0000_in_topic", v311, kAny, {0x30, 0x04, 0x00, 0x02, 'a', 0x00}, kMalformed, "topic name: U+0000"},
      {"overlong_utf8_in_topic", v311, kAny, {0x30, 0x05, 0x00, 0x03, 'a', 0xC0, 0xAF}, kMalformed,
       "topic name: invalid UTF-8 lead byte"},
      {"overlong_3_byte_utf8_in_topic", v311, kAny, {0x30, 0x05, 0x00, 0x03, 0xE0, 0x80, 0xAF}, kMalformed,
       "overlong"},
      {"surrogate_in_topic", v311, kAny, {0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80}, kMalformed, "surrogate"},
      {"truncated_utf8_sequence_in_topic", v311, kAny, {0x30, 0x05, 0x00, 0x03, 'a', 0xE2, 0x82}, kMalformed,
       "truncated UTF-8 sequence"},
      {"topic_length_past_packet", v311, kAny, {0x30, 0x04, 0x00, 0x05, 'a', 'b'}, kMalformed,
       "topic name is truncated: needs 5 bytes, 2 left"},
      {"empty_topic_311", v311, kAny, {0x30, 0x02, 0x00, 0x00}, ReasonCode::TopicNameInvalid, "topic name is empty"},
      {"empty_topic_without_alias_v5", v5, kAny, {0x30, 0x03, 0x00, 0x00, 0x00}, kProtocol,
       "topic name is empty and there is no Topic Alias"},
      {"topic_alias_0", v5, kAny, {0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x00}, ReasonCode::TopicAliasInvalid,
       "property Topic Alias (0x23) must not be 0"},
      {"subscription_identifier_from_client", v5, Role::Server,
       {0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x0B, 0x01}, kProtocol, "must not carry a Subscription Identifier"},
      {"subscription_identifier_0", v5, kAny, {0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x0B, 0x00}, kProtocol,
       "property Subscription Identifier (0x0B) must be 1 to 268435455, not 0"},
  };
}

// CONNECT with level 5, the given flags byte and what follows the keep alive.
Bytes connect_with(std::uint8_t level, std::uint8_t flags, Bytes rest) {
  Bytes body = {0x00, 0x04, 'M', 'Q', 'T', 'T', level, flags, 0x00, 0x3C};
  body.insert(body.end(), rest.begin(), rest.end());
  Bytes out = {0x10, static_cast<std::uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<BadInput> property_cases() {
  return {
      {"duplicated_content_type", v5, kAny,
       {0x30, 0x0C, 0x00, 0x01, 't', 0x08, 0x03, 0x00, 0x01, 'a', 0x03, 0x00, 0x01, 'b'}, kProtocol,
       "PUBLISH: property Content Type (0x03) appears more than once"},
      {"duplicated_subscription_identifier_in_subscribe", v5, kAny,
       {0x82, 0x0B, 0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, 'a', 0x00}, kProtocol,
       "SUBSCRIBE: property Subscription Identifier (0x0B) appears more than once"},
      {"topic_alias_in_connect", v5, kAny,
       connect_with(5, 0x02, {0x03, 0x23, 0x00, 0x01, 0x00, 0x01, 'c'}), kProtocol, "CONNECT: property Topic Alias (0x23) is not allowed in CONNECT"},
      {"will_delay_in_publish", v5, kAny, {0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x18, 0x00, 0x00, 0x00, 0x01},
       kProtocol, "property Will Delay Interval (0x18) is not allowed in PUBLISH"},
      {"reason_string_in_subscribe", v5, kAny,
       {0x82, 0x0B, 0x00, 0x01, 0x04, 0x1F, 0x00, 0x01, 'r', 0x00, 0x01, 'a', 0x00}, kProtocol,
       "property Reason String (0x1F) is not allowed in SUBSCRIBE"},
      {"unknown_property_id", v5, kAny, {0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x05, 0x00}, kMalformed,
       "unknown property identifier 0x05"},
      {"property_length_overruns_packet", v5, kAny, {0x30, 0x06, 0x00, 0x01, 't', 0x0A, 0x01, 0x00}, kMalformed,
       "property length of 10 bytes overruns the packet (2 bytes left)"},
      {"subscription_identifier_5_bytes", v5, kAny,
       {0x30, 0x0A, 0x00, 0x01, 't', 0x06, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, kMalformed,
       "property Subscription Identifier (0x0B) uses more than 4 bytes"},
      {"property_length_not_minimal", v5, kAny, {0x30, 0x05, 0x00, 0x01, 't', 0x80, 0x00}, kMalformed,
       "PUBLISH: property length is not encoded in the minimum number of bytes"},
      {"property_value_truncated", v5, kAny, {0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x23, 0x00}, kMalformed,
       "property Topic Alias (0x23) is truncated: needs 2 bytes, 1 left"},
      {"invalid_utf8_in_user_property", v5, kAny,
       {0x30, 0x0C, 0x00, 0x01, 't', 0x08, 0x26, 0x00, 0x01, 0xFF, 0x00, 0x01, 'v', 'x'}, kMalformed,
       "User Property (0x26) name: invalid UTF-8"},
      {"receive_maximum_0", v5, kAny, {0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00}, kProtocol,
       "property Receive Maximum (0x21) must not be 0"},
      {"maximum_qos_2", v5, kAny, {0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02}, kProtocol,
       "property Maximum QoS (0x24) must be 0 or 1, not 2"},
      {"payload_format_indicator_2", v5, kAny, {0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x01, 0x02}, kProtocol,
       "Payload Format Indicator (0x01) must be 0 or 1"},
      {"maximum_packet_size_0", v5, kAny, {0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x00}, kProtocol,
       "Maximum Packet Size (0x27) must not be 0"},
      {"authentication_data_without_method", v5, kAny,
       connect_with(5, 0x02, {0x04, 0x16, 0x00, 0x01, 0xAA, 0x00, 0x01, 'c'}), kProtocol, "Authentication Data (0x16) requires an Authentication Method"},
      {"response_topic_with_wildcard", v5, kAny,
       {0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x08, 0x00, 0x02, 'a', '#'}, kProtocol,
       "Response Topic (0x08) is not a valid topic name"},
  };
}

std::vector<BadInput> connect_cases() {
  const Bytes id = {0x00, 0x01, 'c'};
  const Bytes props_id = {0x00, 0x00, 0x01, 'c'};
  return {
      {"wrong_protocol_name", v5, kAny,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'X', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x01, 'c'},
       ReasonCode::UnsupportedProtocolVersion, "protocol name must be \"MQTT\", not \"MQTX\""},
      {"mqtt_3_1_protocol_name", v5, kAny,
       {0x10, 0x0F, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x3C, 0x00, 0x01, 'c'},
       ReasonCode::UnsupportedProtocolVersion, "not \"MQIsdp\""},
      {"protocol_level_3", v5, kAny, connect_with(3, 0x02, id), ReasonCode::UnsupportedProtocolVersion,
       "protocol level 3 is not supported"},
      {"protocol_level_6", v311, kAny, connect_with(6, 0x02, id), ReasonCode::UnsupportedProtocolVersion,
       "protocol level 6 is not supported"},
      {"reserved_connect_flag", v5, kAny, connect_with(5, 0x03, props_id), kMalformed,
       "CONNECT: reserved connect flag (bit 0) must be 0 [MQTT-3.1.2-3]"},
      {"will_qos_without_will_flag", v5, kAny, connect_with(5, 0x0A, props_id), kMalformed,
       "Will QoS must be 0 when the Will Flag is 0"},
      {"will_retain_without_will_flag", v311, kAny, connect_with(4, 0x22, id), kMalformed,
       "Will Retain must be 0 when the Will Flag is 0"},
      {"will_qos_3", v5, kAny, connect_with(5, 0x1C, props_id), kMalformed, "Will QoS 3 is not a valid QoS"},
      {"password_without_user_name_311", v311, kAny, connect_with(4, 0x42, {0x00, 0x01, 'c', 0x00, 0x01, 'p'}),
       kMalformed, "Password Flag set without User Name Flag"},
      {"will_topic_with_wildcard", v311, kAny,
       connect_with(4, 0x06, {0x00, 0x01, 'c', 0x00, 0x01, '#', 0x00, 0x00}), ReasonCode::TopicNameInvalid,
       "CONNECT: will topic: topic name contains a wildcard"},
      {"user_name_flag_without_user_name", v5, kAny, connect_with(5, 0x82, props_id), kMalformed,
       "user name is truncated"},
      {"trailing_bytes_in_connect", v5, kAny, connect_with(5, 0x02, {0x00, 0x00, 0x01, 'c', 0xAA}), kMalformed,
       "CONNECT: 1 unexpected bytes after the CONNECT payload"},
      {"client_identifier_invalid_utf8", v5, kAny, connect_with(5, 0x02, {0x00, 0x00, 0x01, 0xFE}), kMalformed,
       "client identifier: invalid UTF-8"},
  };
}

std::vector<BadInput> ack_cases() {
  return {
      {"connack_reserved_flags", v5, kAny, {0x20, 0x03, 0x02, 0x00, 0x00}, kMalformed,
       "reserved connect acknowledge flags (bits 7-1) must be 0"},
      {"connack_return_code_6_311", v311, kAny, {0x20, 0x02, 0x00, 0x06}, kMalformed,
       "CONNACK: return code 0x06 is not defined in MQTT 3.1.1"},
      {"connack_reason_not_allowed", v5, kAny, {0x20, 0x03, 0x00, 0x10, 0x00}, kMalformed,
       "CONNACK: reason code 0x10 (No matching subscribers) is not allowed"},
      {"connack_session_present_on_refusal", v5, kAny, {0x20, 0x03, 0x01, 0x87, 0x00}, kProtocol,
       "Session Present must be 0 when the connection is refused"},
      {"connack_311_with_properties", v311, kAny, {0x20, 0x03, 0x00, 0x00, 0x00}, kMalformed,
       "1 unexpected bytes after the CONNACK"},
      {"connack_v5_missing_property_length", v5, kAny, {0x20, 0x02, 0x00, 0x00}, kMalformed,
       "CONNACK without properties: not a v5 CONNACK (return code 0)"},
      {"puback_reason_not_allowed", v5, kAny, {0x40, 0x03, 0x00, 0x01, 0x92}, kMalformed,
       "PUBACK: reason code 0x92 (Packet Identifier not found) is not allowed"},
      {"pubrel_reason_not_allowed", v5, kAny, {0x62, 0x03, 0x00, 0x01, 0x10}, kMalformed,
       "PUBREL: reason code 0x10"},
      {"puback_311_too_long", v311, kAny, {0x40, 0x03, 0x00, 0x01, 0x00}, kMalformed,
       "PUBACK: 1 unexpected bytes after the packet identifier"},
      {"puback_packet_id_0", v5, kAny, {0x40, 0x02, 0x00, 0x00}, kProtocol,
       "PUBACK: packet identifier must not be 0 [MQTT-2.2.1-3]"},
      {"pubcomp_remaining_length_1", v5, kAny, {0x70, 0x01, 0x00}, kMalformed,
       "PUBCOMP: packet identifier is truncated: needs 2 bytes, 1 left"},
      {"suback_return_code_3_311", v311, kAny, {0x90, 0x03, 0x00, 0x01, 0x03}, kMalformed,
       "SUBACK: return code 0x03 is not defined in MQTT 3.1.1"},
      {"suback_reason_not_allowed", v5, kAny, {0x90, 0x04, 0x00, 0x01, 0x00, 0x11}, kMalformed,
       "SUBACK: reason code 0x11"},
      {"suback_without_reason_codes", v5, kAny, {0x90, 0x03, 0x00, 0x01, 0x00}, kProtocol,
       "SUBACK: no reason code in the payload"},
      {"unsuback_reason_not_allowed", v5, kAny, {0xB0, 0x04, 0x00, 0x01, 0x00, 0x02}, kMalformed,
       "UNSUBACK: reason code 0x02"},
      {"unsuback_311_with_payload", v311, kAny, {0xB0, 0x03, 0x00, 0x01, 0x00}, kMalformed,
       "UNSUBACK: 1 unexpected bytes"},
  };
}

std::vector<BadInput> subscribe_cases() {
  return {
      {"empty_subscribe_311", v311, kAny, {0x82, 0x02, 0x00, 0x01}, kProtocol,
       "SUBSCRIBE: no topic filter [MQTT-3.8.3-2]"},
      {"empty_subscribe_v5", v5, kAny, {0x82, 0x03, 0x00, 0x01, 0x00}, kProtocol, "SUBSCRIBE: no topic filter"},
      {"subscribe_reserved_bits_311", v311, kAny, {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x04}, kMalformed,
       "reserved bits 7-2 of the requested QoS byte must be 0"},
      {"subscribe_qos_3_311", v311, kAny, {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x03}, kMalformed,
       "QoS 3 is not a valid QoS"},
      {"subscribe_reserved_bits_v5", v5, kAny, {0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x40}, kMalformed,
       "reserved bits 7-6 of subscription options must be 0"},
      {"subscribe_qos_3_v5", v5, kAny, {0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x03}, kProtocol,
       "QoS 3 is not a valid maximum QoS"},
      {"subscribe_retain_handling_3", v5, kAny, {0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x30}, kProtocol,
       "Retain Handling 3 is not valid"},
      {"no_local_on_shared_subscription", v5, kAny,
       {0x82, 0x10, 0x00, 0x01, 0x00, 0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', 0x04},
       kProtocol, "No Local must not be set on shared subscription \"$share/g/a\" [MQTT-3.8.3-4]"},
      {"invalid_topic_filter", v311, kAny, {0x82, 0x0A, 0x00, 0x01, 0x00, 0x05, 'a', '/', '#', '/', 'b', 0x00},
       ReasonCode::TopicFilterInvalid, "SUBSCRIBE: "},
      {"subscribe_missing_options_byte", v311, kAny, {0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}, kMalformed,
       "subscription options is truncated"},
      {"empty_unsubscribe", v5, kAny, {0xA2, 0x03, 0x00, 0x01, 0x00}, kProtocol,
       "UNSUBSCRIBE: no topic filter [MQTT-3.10.3-2]"},
      {"unsubscribe_packet_id_0", v311, kAny, {0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 'a'}, kProtocol,
       "UNSUBSCRIBE: packet identifier must not be 0"},
  };
}

std::vector<BadInput> other_cases() {
  return {
      {"pingreq_with_body", v5, kAny, {0xC0, 0x01, 0x00}, kMalformed,
       "PINGREQ: 1 unexpected bytes after the fixed header"},
      {"disconnect_311_with_body", v311, kAny, {0xE0, 0x01, 0x00}, kMalformed, "DISCONNECT: 1 unexpected bytes"},
      {"disconnect_reason_not_allowed", v5, kAny, {0xE0, 0x01, 0x01}, kMalformed,
       "DISCONNECT: reason code 0x01 (Granted QoS 1) is not allowed"},
      {"disconnect_session_expiry_from_server", v5, Role::Client,
       {0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A}, kProtocol,
       "must not carry a Session Expiry Interval [MQTT-3.14.2-2]"},
      {"disconnect_topic_alias", v5, kAny, {0xE0, 0x05, 0x00, 0x03, 0x23, 0x00, 0x01}, kProtocol,
       "property Topic Alias (0x23) is not allowed in DISCONNECT"},
      {"auth_continue_without_method", v5, kAny, {0xF0, 0x02, 0x18, 0x00}, kProtocol,
       "AUTH: Authentication Method is missing"},
      {"auth_reason_not_allowed", v5, kAny, {0xF0, 0x01, 0x04}, kMalformed, "AUTH: reason code 0x04"},
      // Role: a client never receives CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ...
      {"client_receives_connect", v5, Role::Client, {0x10}, kProtocol, "CONNECT: a client must not receive CONNECT"},
      {"client_receives_subscribe", v5, Role::Client, {0x82}, kProtocol, "a client must not receive SUBSCRIBE"},
      {"client_receives_unsubscribe", v5, Role::Client, {0xA2}, kProtocol, "a client must not receive UNSUBSCRIBE"},
      {"client_receives_pingreq", v5, Role::Client, {0xC0, 0x00}, kProtocol, "a client must not receive PINGREQ"},
      // ...and a server never receives CONNACK, SUBACK, UNSUBACK, PINGRESP.
      {"server_receives_connack", v5, Role::Server, {0x20, 0x03, 0x00, 0x00, 0x00}, kProtocol,
       "a server must not receive CONNACK"},
      {"server_receives_suback", v5, Role::Server, {0x90}, kProtocol, "a server must not receive SUBACK"},
      {"server_receives_unsuback", v311, Role::Server, {0xB0}, kProtocol, "a server must not receive UNSUBACK"},
      {"server_receives_pingresp", v5, Role::Server, {0xD0, 0x00}, kProtocol, "a server must not receive PINGRESP"},
  };
}

class MalformedTest : public testing::TestWithParam<BadInput> {
 protected:
  DecoderOptions options() const {
    DecoderOptions o;
    o.version = GetParam().version;
    o.role = GetParam().role;
    o.max_packet_size = GetParam().max_packet_size;
    return o;
  }
};

TEST_P(MalformedTest, DecodePacketGivesThePreciseError) {
  const BadInput& c = GetParam();
  Result<Packet> r = decode_packet(c.bytes, options());
  ASSERT_FALSE(r.ok()) << "decoded as " << testing::PrintToString(*r);
  EXPECT_EQ(static_cast<int>(r.error().reason), static_cast<int>(c.reason))
      << reason_code_name(static_cast<std::uint8_t>(r.error().reason)) << ": " << r.error().message;
  EXPECT_NE(r.error().message.find(c.message), std::string::npos) << "message: " << r.error().message;
}

TEST_P(MalformedTest, StreamDecoderFailsTheSameWayAndStaysFailed) {
  const BadInput& c = GetParam();
  auto result = codec_test::decode_in_chunks(c.bytes, codec_test::one_byte_chunks(c.bytes.size()), options());
  ASSERT_TRUE(result.failed);
  EXPECT_TRUE(result.packets.empty());
  EXPECT_EQ(static_cast<int>(result.error.reason), static_cast<int>(c.reason));
  EXPECT_NE(result.error.message.find(c.message), std::string::npos) << "message: " << result.error.message;
}

std::string case_name(const testing::TestParamInfo<BadInput>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(FixedHeader, MalformedTest, testing::ValuesIn(fixed_header_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Publish, MalformedTest, testing::ValuesIn(publish_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Properties, MalformedTest, testing::ValuesIn(property_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Connect, MalformedTest, testing::ValuesIn(connect_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Acks, MalformedTest, testing::ValuesIn(ack_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Subscribe, MalformedTest, testing::ValuesIn(subscribe_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Other, MalformedTest, testing::ValuesIn(other_cases()), case_name);

// ---------------------------------------------------------------- truncation

Bytes with_remaining_length(std::uint8_t first_byte, std::span<const std::uint8_t> body) {
  Bytes out = {first_byte};
  std::uint32_t n = static_cast<std::uint32_t>(body.size());
  do {
    auto b = static_cast<std::uint8_t>(n & 0x7F);
    n >>= 7;
    if (n != 0) b |= 0x80;
    out.push_back(b);
  } while (n != 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

struct TruncationCase {
  std::string name;
  ProtocolVersion version;
  Packet packet;
  // A body cut to k bytes is Malformed Packet, except: from `legal_from` on
  // and at `legal_at` a shorter packet may be legal (a shorter payload, a v5
  // short form), and at `protocol_error_at` the payload list is empty.
  std::size_t legal_from = SIZE_MAX;
  std::vector<std::size_t> legal_at = {};
  std::size_t protocol_error_at = SIZE_MAX;
};

void PrintTo(const TruncationCase& c, std::ostream* os) { *os << c.name; }

std::vector<TruncationCase> truncation_cases() {
  Connect connect;
  connect.client_id = "client";
  connect.will = Will{"w/t", Bytes{1, 2, 3}, QoS::AtLeastOnce, false, {}};
  connect.will->properties.will_delay_interval = 10;
  connect.username = "user";
  connect.password = Bytes{9, 9};
  connect.properties.session_expiry_interval = 60;
  connect.properties.user_properties = {{"k", "v"}};
  Connect connect311 = connect;
  connect311.version = v311;
  connect311.will->properties = {};
  connect311.properties = {};
  ConnAck connack{true, 0, {}};
  connack.properties.assigned_client_identifier = "id-1";
  connack.properties.receive_maximum = 5;
  Publish publish{false, QoS::ExactlyOnce, false, "a/b/c", 77, {}, Bytes{1, 2, 3}};
  publish.properties.content_type = "ct";
  publish.properties.user_properties = {{"x", "y"}};
  Subscribe subscribe{9, {}, {Subscription{"only/one", QoS::AtLeastOnce, false, false, 0}}};
  subscribe.properties.subscription_identifiers = {300};
  Disconnect disconnect{0x80, {}};
  disconnect.properties.reason_string = "why";
  UnsubAck unsuback{3, {}, {0x00}};
  unsuback.properties.reason_string = "r";
  return {
      {"connect_v5", v5, connect},
      {"connect_311", v311, connect311},
      {"connack_v5", v5, connack},
      // Past topic (7), packet identifier (2) and properties (1 + 11) only the payload shrinks.
      {"publish_v5", v5, publish, 7 + 2 + 1 + 11},
      // Packet identifier (2) and properties (1 + 3): then the filter list is empty.
      {"subscribe_v5", v5, subscribe, SIZE_MAX, {}, 2 + 1 + 3},
      // Nothing (Normal disconnection) or the reason code alone are legal.
      {"disconnect_v5", v5, disconnect, SIZE_MAX, {0, 1}},
      // Packet identifier (2) and properties (1 + 4): then no reason code.
      {"unsuback_v5", v5, unsuback, SIZE_MAX, {}, 2 + 1 + 4},
  };
}

class TruncationTest : public testing::TestWithParam<TruncationCase> {};

TEST_P(TruncationTest, RemainingLengthShorterThanTheContentsIsMalformed) {
  const TruncationCase& c = GetParam();
  EncodeOptions eo;
  eo.version = c.version;
  Bytes whole;
  ASSERT_TRUE(encode(c.packet, eo, whole).ok());
  const std::size_t header = (whole[1] & 0x80) != 0 ? 3 : 2;
  const std::span<const std::uint8_t> body(whole.data() + header, whole.size() - header);
  DecoderOptions options;
  options.version = c.version;
  std::size_t checked = 0;
  for (std::size_t k = 0; k < body.size(); ++k) {
    const Bytes cut = with_remaining_length(whole[0], body.first(k));
    Result<Packet> r = decode_packet(cut, options);
    const bool legal = k >= c.legal_from || std::find(c.legal_at.begin(), c.legal_at.end(), k) != c.legal_at.end();
    if (!legal) {
      ASSERT_FALSE(r.ok()) << "body cut to " << k << " bytes decoded: " << hex(cut);
      const ReasonCode expected = k == c.protocol_error_at ? ReasonCode::ProtocolError : ReasonCode::MalformedPacket;
      EXPECT_EQ(r.error().reason, expected) << k << ": " << r.error().message;
      ++checked;
    } else if (r.ok()) {
      // A legal shorter packet must survive a round trip.
      Bytes again;
      ASSERT_TRUE(encode(*r, eo, again).ok());
      Result<Packet> back = decode_packet(again, options);
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_TRUE(*back == *r);
    }
  }
  EXPECT_GT(checked, 1U);
}

TEST_P(TruncationTest, WholePacketCutAtEveryOffset) {
  // Remaining length larger than the bytes: decode_packet() says so, the
  // stream decoder waits.
  const TruncationCase& c = GetParam();
  EncodeOptions eo;
  eo.version = c.version;
  Bytes whole;
  ASSERT_TRUE(encode(c.packet, eo, whole).ok());
  DecoderOptions options;
  options.version = c.version;
  for (std::size_t n = 2; n < whole.size(); ++n) {
    Result<Packet> r = decode_packet(std::span(whole).first(n), options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, ReasonCode::MalformedPacket);
    EXPECT_NE(r.error().message.find("bytes follow the fixed header"), std::string::npos) << r.error().message;
  }
}

std::string truncation_name(const testing::TestParamInfo<TruncationCase>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(Packets, TruncationTest, testing::ValuesIn(truncation_cases()), truncation_name);

TEST(DecodePacket, RemainingLengthLargerThanTheBytes) {
  Result<Packet> r = decode_packet(Bytes{0x40, 0x02, 0x00});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ReasonCode::MalformedPacket);
  EXPECT_EQ(r.error().message, "PUBACK: remaining length is 2 but only 1 bytes follow the fixed header");
}

TEST(DecodePacket, TrailingBytesAreMalformed) {
  Result<Packet> r = decode_packet(Bytes{0xC0, 0x00, 0xC0, 0x00});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ReasonCode::MalformedPacket);
  EXPECT_EQ(r.error().message, "PINGREQ: 2 trailing bytes after the packet");
}

TEST(DecodePacket, EmptyInputAndTruncatedHeader) {
  Result<Packet> empty = decode_packet(Bytes{});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().reason, ReasonCode::MalformedPacket);
  Result<Packet> header = decode_packet(Bytes{0x30, 0x80});
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.error().message, "fixed header is truncated");
}

// ---------------------------------------------------------------- the stream decoder

TEST(DecoderErrors, OversizePacketIsRefusedFromItsFixedHeaderAlone) {
  DecoderOptions options;
  options.max_packet_size = 1000;
  Decoder decoder(options);
  decoder.feed(Bytes{0x30, 0xE8, 0x07});  // PUBLISH, remaining length 1000: 1003 bytes in all
  Packet p;
  Error e;
  ASSERT_EQ(decoder.next(p, e), Decoder::Status::Error);
  EXPECT_EQ(e.reason, ReasonCode::PacketTooLarge);
  EXPECT_EQ(e.message, "PUBLISH: packet of 1003 bytes exceeds the maximum packet size of 1000 bytes");
}

TEST(DecoderErrors, ExactlyMaxPacketSizeIsAccepted) {
  DecoderOptions options;
  options.max_packet_size = 8;
  const Bytes publish = {0x30, 0x06, 0x00, 0x01, 't', 0x00, 'a', 'b'};  // 8 bytes
  Result<Packet> r = decode_packet(publish, options);
  ASSERT_TRUE(r.ok()) << r.error().message;
  options.max_packet_size = 7;
  Result<Packet> refused = decode_packet(publish, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, ReasonCode::PacketTooLarge);
}

TEST(DecoderErrors, SetMaxPacketSizeAppliesToTheNextPacket) {
  Decoder decoder;
  decoder.set_max_packet_size(4);
  decoder.feed(Bytes{0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'});
  Packet p;
  Error e;
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::Error);
  EXPECT_EQ(e.reason, ReasonCode::PacketTooLarge);
}

TEST(DecoderErrors, AnErrorIsFinalUntilReset) {
  Decoder decoder;
  decoder.feed(Bytes{0x00, 0x00});  // reserved packet type
  Packet p;
  Error e;
  ASSERT_EQ(decoder.next(p, e), Decoder::Status::Error);
  const std::string first = e.message;
  decoder.feed(Bytes{0xD0, 0x00});  // a valid PINGRESP after the error changes nothing
  e = {};
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::Error);
  EXPECT_EQ(e.message, first);
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::Error);

  decoder.reset();
  EXPECT_EQ(decoder.buffered(), 0U);
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::NeedMore);
  decoder.feed(Bytes{0xD0, 0x00});
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::Packet);
  EXPECT_TRUE(std::holds_alternative<PingResp>(p));
}

TEST(DecoderErrors, PacketsBeforeTheBadOneAreDelivered) {
  Decoder decoder;
  decoder.feed(Bytes{0xD0, 0x00, 0xD0, 0x00, 0x36, 0x00});  // PINGRESP, PINGRESP, PUBLISH QoS 3
  Packet p;
  Error e;
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::Packet);
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::Packet);
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::Error);
  EXPECT_EQ(e.message, "PUBLISH: QoS 3 is not a valid QoS [MQTT-3.3.1-4]");
}

TEST(DecoderErrors, BadFirstByteFailsWithoutWaitingForTheLength) {
  Decoder decoder(DecoderOptions{ProtocolVersion::v5, Role::Client, 0});
  decoder.feed(Bytes{0x82});  // SUBSCRIBE to a client: nothing more is needed to know
  Packet p;
  Error e;
  ASSERT_EQ(decoder.next(p, e), Decoder::Status::Error);
  EXPECT_EQ(e.reason, ReasonCode::ProtocolError);
}

// Random input never crashes the decoder, and anything it accepts the encoder
// writes back to bytes that decode to the same packet.
void check_accepted_packet_round_trips(const Packet& p, ProtocolVersion version) {
  EncodeOptions eo;
  eo.version = version;
  Bytes again;
  Status s = encode(p, eo, again);
  ASSERT_TRUE(s.ok()) << "decoder accepted what the encoder refuses: " << s.error().message;
  DecoderOptions options;
  options.version = version;
  Result<Packet> back = decode_packet(again, options);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == p);
}

bool is_decode_reason(ReasonCode r) {
  switch (r) {
    case ReasonCode::MalformedPacket:
    case ReasonCode::ProtocolError:
    case ReasonCode::TopicNameInvalid:
    case ReasonCode::TopicFilterInvalid:
    case ReasonCode::TopicAliasInvalid:
    case ReasonCode::UnsupportedProtocolVersion:
    case ReasonCode::PacketTooLarge: return true;
    default: return false;
  }
}

TEST(DecoderRobustness, MutatedValidPacketsNeverCrash) {
  std::vector<std::pair<Packet, ProtocolVersion>> seeds;
  for (const auto& c : truncation_cases()) seeds.emplace_back(c.packet, c.version);
  seeds.emplace_back(Publish{false, QoS::AtLeastOnce, false, "t", 1, {}, Bytes{1}}, v311);
  seeds.emplace_back(SubAck{1, {}, {0x00, 0x01}}, v5);
  Auth auth{0x18, {}};
  auth.properties.authentication_method = "m";
  seeds.emplace_back(auth, v5);
  std::mt19937 rng(2024);
  std::size_t accepted = 0, rejected = 0;
  for (const auto& [packet, version] : seeds) {
    EncodeOptions eo;
    eo.version = version;
    Bytes original;
    ASSERT_TRUE(encode(packet, eo, original).ok());
    for (int i = 0; i < 400; ++i) {
      Bytes mutated = original;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        mutated[rng() % mutated.size()] ^= static_cast<std::uint8_t>(1U << (rng() % 8));
      }
      DecoderOptions options;
      options.version = version;
      Result<Packet> r = decode_packet(mutated, options);
      if (r.ok()) {
        ++accepted;
        check_accepted_packet_round_trips(*r, std::holds_alternative<Connect>(*r)
                                                  ? std::get<Connect>(*r).version
                                                  : version);
      } else {
        ++rejected;
        EXPECT_TRUE(is_decode_reason(r.error().reason)) << r.error().message;
        EXPECT_FALSE(r.error().message.empty());
      }
    }
  }
  EXPECT_GT(accepted, 0U);
  EXPECT_GT(rejected, 0U);
}

TEST(DecoderRobustness, RandomStreamsNeverCrash) {
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    Bytes stream(rng() % 200);
    for (auto& b : stream) b = static_cast<std::uint8_t>(rng());
    // Bias towards plausible first bytes so bodies get parsed too.
    if (!stream.empty()) stream[0] = static_cast<std::uint8_t>((1 + rng() % 15) << 4);
    DecoderOptions options;
    options.version = rng() % 2 == 0 ? v5 : v311;
    auto result = codec_test::decode_in_chunks(stream, codec_test::random_chunks(stream.size(), round), options);
    if (result.failed) {
      EXPECT_TRUE(is_decode_reason(result.error.reason)) << result.error.message;
    }
    for (const Packet& p : result.packets) {
      check_accepted_packet_round_trips(
          p, std::holds_alternative<Connect>(p) ? std::get<Connect>(p).version : options.version);
    }
  }
}

// ---------------------------------------------------------------- the encoder refuses

struct BadPacket {
  std::string name;
  ProtocolVersion version;
  Packet packet;
  ReasonCode reason;
  std::string message;
  std::uint32_t max_packet_size = 0;
};

void PrintTo(const BadPacket& c, std::ostream* os) { *os << c.name; }

std::vector<BadPacket> bad_packets() {
  const auto publish = [](std::string topic, QoS qos, std::uint16_t id) {
    return Publish{false, qos, false, std::move(topic), id, {}, Bytes{'x'}};
  };
  Publish alias0 = publish("t", QoS::AtMostOnce, 0);
  alias0.properties.topic_alias = 0;
  Publish alias_311 = publish("", QoS::AtMostOnce, 0);
  alias_311.properties.topic_alias = 3;
  Publish dup0 = publish("t", QoS::AtMostOnce, 0);
  dup0.dup = true;
  Publish big = publish("t", QoS::AtMostOnce, 0);
  big.payload = Bytes(100, 0);
  Publish long_correlation = publish("t", QoS::AtMostOnce, 0);
  long_correlation.properties.correlation_data = Bytes(70'000, 0);
  Publish nul_user_property = publish("t", QoS::AtMostOnce, 0);
  nul_user_property.properties.user_properties = {{std::string("a\0b", 3), "v"}};
  PubAck misplaced{1, 0, {}};
  misplaced.properties.topic_alias = 5;
  Subscribe two_ids{1, {}, {Subscription{"a", QoS::AtMostOnce, false, false, 0}}};
  two_ids.properties.subscription_identifiers = {1, 2};
  Connect password_311;
  password_311.version = v311;
  password_311.password = Bytes{1};
  Connect will_qos3;
  will_qos3.will = Will{"w", {}, static_cast<QoS>(3), false, {}};
  Connect bad_id;
  bad_id.client_id = "\xC3\x28";
  Connect will_wildcard;
  will_wildcard.will = Will{"w/+", {}, QoS::AtMostOnce, false, {}};
  Auth no_method{0x18, {}};
  return {
      {"publish_wildcard_topic", v5, publish("a/+", QoS::AtMostOnce, 0), ReasonCode::TopicNameInvalid,
       "PUBLISH: topic name contains a wildcard"},
      {"publish_qos1_packet_id_0", v5, publish("t", QoS::AtLeastOnce, 0), kProtocol,
       "PUBLISH: packet identifier must not be 0"},
      {"publish_qos0_with_packet_id", v311, publish("t", QoS::AtMostOnce, 5), kProtocol,
       "a QoS 0 PUBLISH has no packet identifier"},
      {"publish_qos_3", v5, publish("t", static_cast<QoS>(3), 1), kMalformed, "QoS 3 is not a valid QoS"},
      {"publish_dup_qos0", v5, dup0, kMalformed, "DUP flag must be 0 for QoS 0"},
      {"publish_empty_topic_v5", v5, publish("", QoS::AtMostOnce, 0), kProtocol, "no Topic Alias"},
      {"publish_empty_topic_311_alias_ignored", v311, alias_311, ReasonCode::TopicNameInvalid,
       "topic name is empty"},
      {"publish_topic_alias_0", v5, alias0, ReasonCode::TopicAliasInvalid, "Topic Alias (0x23) must not be 0"},
      {"publish_over_max_packet_size", v5, big, ReasonCode::PacketTooLarge,
       "PUBLISH: packet of 106 bytes exceeds the maximum packet size of 105 bytes", 105},
      {"publish_correlation_data_too_long", v5, long_correlation, kMalformed, "longer than 65535 bytes"},
      {"publish_user_property_with_nul", v5, nul_user_property, kMalformed, "U+0000"},
      {"puback_misplaced_property", v5, misplaced, kProtocol,
       "PUBACK: property Topic Alias (0x23) is not allowed in PUBACK, PUBREC, PUBREL or PUBCOMP"},
      {"puback_packet_id_0", v311, PubAck{0, 0, {}}, kProtocol, "packet identifier must not be 0"},
      {"pubrel_bad_reason", v5, PubRel{1, 0x10, {}}, kMalformed, "reason code 0x10"},
      {"subscribe_empty", v5, Subscribe{1, {}, {}}, kProtocol, "SUBSCRIBE: no topic filter"},
      {"subscribe_bad_filter", v5, Subscribe{1, {}, {Subscription{"a#", QoS::AtMostOnce, false, false, 0}}},
       ReasonCode::TopicFilterInvalid, "SUBSCRIBE: "},
      {"subscribe_retain_handling_3", v5, Subscribe{1, {}, {Subscription{"a", QoS::AtMostOnce, false, false, 3}}},
       kProtocol, "Retain Handling 3 is not valid"},
      {"subscribe_no_local_shared", v5,
       Subscribe{1, {}, {Subscription{"$share/g/a", QoS::AtMostOnce, true, false, 0}}}, kProtocol,
       "No Local must not be set on shared subscription"},
      {"subscribe_two_subscription_ids", v5, two_ids, kProtocol,
       "Subscription Identifier (0x0B) appears more than once"},
      {"suback_v5_code_in_311", v311, SubAck{1, {}, {0x8F}}, kMalformed, "return code 0x8F"},
      {"suback_empty", v5, SubAck{1, {}, {}}, kProtocol, "no reason code"},
      {"unsubscribe_empty", v311, Unsubscribe{1, {}, {}}, kProtocol, "UNSUBSCRIBE: no topic filter"},
      {"unsuback_bad_reason", v5, UnsubAck{1, {}, {0x01}}, kMalformed, "UNSUBACK: reason code 0x01"},
      {"connack_311_return_code_6", v311, ConnAck{false, 6, {}}, kMalformed, "return code 0x06"},
      {"connack_session_present_refused", v5, ConnAck{true, 0x80, {}}, kProtocol, "Session Present must be 0"},
      {"connect_311_password_without_user", v311, password_311, kProtocol, "a password requires a user name"},
      {"connect_will_qos_3", v5, will_qos3, kMalformed, "Will QoS 3 is not a valid QoS"},
      {"connect_client_id_invalid_utf8", v5, bad_id, kMalformed, "client identifier: "},
      {"connect_will_topic_wildcard", v5, will_wildcard, ReasonCode::TopicNameInvalid, "will topic: "},
      {"disconnect_bad_reason", v5, Disconnect{0x01, {}}, kMalformed, "DISCONNECT: reason code 0x01"},
      {"auth_in_311", v311, Auth{}, kMalformed, "AUTH: AUTH does not exist in MQTT 3.1.1"},
      {"auth_without_method", v5, no_method, kProtocol, "Authentication Method is missing"},
  };
}

class EncoderRefusesTest : public testing::TestWithParam<BadPacket> {};

TEST_P(EncoderRefusesTest, WithThePreciseErrorAndWritesNothing) {
  const BadPacket& c = GetParam();
  EncodeOptions eo;
  eo.version = c.version;
  eo.max_packet_size = c.max_packet_size;
  Bytes out = {0x01, 0x02};
  Status s = encode(c.packet, eo, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(static_cast<int>(s.error().reason), static_cast<int>(c.reason)) << s.error().message;
  EXPECT_NE(s.error().message.find(c.message), std::string::npos) << "message: " << s.error().message;
  EXPECT_EQ(out, (Bytes{0x01, 0x02}));  // left unchanged

  Result<std::size_t> size = encoded_size(c.packet, eo);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.error().message, s.error().message);
  Bytes buffer(1024);
  EXPECT_FALSE(encode_into(c.packet, eo, buffer).ok());
}

std::string bad_packet_name(const testing::TestParamInfo<BadPacket>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(Packets, EncoderRefusesTest, testing::ValuesIn(bad_packets()), bad_packet_name);

TEST(EncodeInto, BufferTooShort) {
  const Packet p = Publish{false, QoS::AtMostOnce, false, "t", 0, {}, Bytes{1, 2, 3}};
  Bytes buffer(7);  // needs 8 in v5: 30 06 00 01 74 00 01 02 03 is 9; 3.1.1 is 8
  EncodeOptions eo;
  eo.version = v311;
  Result<std::size_t> r = encode_into(p, eo, buffer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ReasonCode::ImplementationSpecificError);
  EXPECT_EQ(r.error().message, "buffer too short: need 8 bytes, have 7");
  buffer.resize(8);
  Result<std::size_t> fits = encode_into(p, eo, buffer);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(*fits, 8U);
}

TEST(Encode, V5OnlyFieldsAreIgnoredIn311) {
  // The 3.1.1 encoder leaves out what 3.1.1 cannot carry.
  PubAck ack{7, 0x80, {}};
  ack.properties.reason_string = "ignored";
  EncodeOptions eo;
  eo.version = v311;
  Bytes out;
  ASSERT_TRUE(encode(ack, eo, out).ok());
  EXPECT_EQ(hex(out), "40 02 00 07");
  Subscribe sub{1, {}, {Subscription{"a", QoS::AtLeastOnce, true, true, 2}}};
  out.clear();
  ASSERT_TRUE(encode(sub, eo, out).ok());
  EXPECT_EQ(hex(out), "82 06 00 01 00 01 61 01");
}

}  // namespace
