#include <array>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "mqtt/properties.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/topic.hpp"

namespace tpgate::mqtt {

bool Properties::empty() const {
  // Field by field: comparing with a default-constructed Properties builds
  // one on every call, and this sits on every packet's hot path.
  return !payload_format_indicator && !message_expiry_interval && !content_type && !response_topic &&
         !correlation_data && subscription_identifiers.empty() && !session_expiry_interval &&
         !assigned_client_identifier && !server_keep_alive && !authentication_method && !authentication_data &&
         !request_problem_information && !will_delay_interval && !request_response_information &&
         !response_information && !server_reference && !reason_string && !receive_maximum &&
         !topic_alias_maximum && !topic_alias && !maximum_qos && !retain_available && user_properties.empty() &&
         !maximum_packet_size && !wildcard_subscription_available && !subscription_identifier_available &&
         !shared_subscription_available;
}

std::string_view property_name(std::uint8_t id) {
  switch (static_cast<PropertyId>(id)) {
    case PropertyId::PayloadFormatIndicator: return "Payload Format Indicator";
    case PropertyId::MessageExpiryInterval: return "Message Expiry Interval";
    case PropertyId::ContentType: return "Content Type";
    case PropertyId::ResponseTopic: return "Response Topic";
    case PropertyId::CorrelationData: return "Correlation Data";
    case PropertyId::SubscriptionIdentifier: return "Subscription Identifier";
    case PropertyId::SessionExpiryInterval: return "Session Expiry Interval";
    case PropertyId::AssignedClientIdentifier: return "Assigned Client Identifier";
    case PropertyId::ServerKeepAlive: return "Server Keep Alive";
    case PropertyId::AuthenticationMethod: return "Authentication Method";
    case PropertyId::AuthenticationData: return "Authentication Data";
    case PropertyId::RequestProblemInformation: return "Request Problem Information";
    case PropertyId::WillDelayInterval: return "Will Delay Interval";
    case PropertyId::RequestResponseInformation: return "Request Response Information";
    case PropertyId::ResponseInformation: return "Response Information";
    case PropertyId::ServerReference: return "Server Reference";
    case PropertyId::ReasonString: return "Reason String";
    case PropertyId::ReceiveMaximum: return "Receive Maximum";
    case PropertyId::TopicAliasMaximum: return "Topic Alias Maximum";
    case PropertyId::TopicAlias: return "Topic Alias";
    case PropertyId::MaximumQoS: return "Maximum QoS";
    case PropertyId::RetainAvailable: return "Retain Available";
    case PropertyId::UserProperty: return "User Property";
    case PropertyId::MaximumPacketSize: return "Maximum Packet Size";
    case PropertyId::WildcardSubscriptionAvailable: return "Wildcard Subscription Available";
    case PropertyId::SubscriptionIdentifierAvailable: return "Subscription Identifier Available";
    case PropertyId::SharedSubscriptionAvailable: return "Shared Subscription Available";
  }
  return "Unknown Property";
}

namespace detail {
namespace {

using Mask = std::uint16_t;

constexpr Mask bit(PropertyContext c) { return static_cast<Mask>(1U << static_cast<unsigned>(c)); }

constexpr Mask kConnect = bit(PropertyContext::Connect);
constexpr Mask kConnAck = bit(PropertyContext::ConnAck);
constexpr Mask kPublish = bit(PropertyContext::Publish);
constexpr Mask kWill = bit(PropertyContext::Will);
constexpr Mask kPubAck = bit(PropertyContext::PubAck);
constexpr Mask kSubscribe = bit(PropertyContext::Subscribe);
constexpr Mask kSubAck = bit(PropertyContext::SubAck);
constexpr Mask kUnsubscribe = bit(PropertyContext::Unsubscribe);
constexpr Mask kUnsubAck = bit(PropertyContext::UnsubAck);
constexpr Mask kDisconnect = bit(PropertyContext::Disconnect);
constexpr Mask kAuth = bit(PropertyContext::Auth);
constexpr Mask kEverywhere = kConnect | kConnAck | kPublish | kWill | kPubAck | kSubscribe | kSubAck | kUnsubscribe |
                             kUnsubAck | kDisconnect | kAuth;

// Where each property may appear: the table in MQTT 5.0 2.2.2.2.
Mask allowed_contexts(std::uint8_t id) {
  switch (static_cast<PropertyId>(id)) {
    case PropertyId::PayloadFormatIndicator:
    case PropertyId::MessageExpiryInterval:
    case PropertyId::ContentType:
    case PropertyId::ResponseTopic:
    case PropertyId::CorrelationData: return kPublish | kWill;
    case PropertyId::SubscriptionIdentifier: return kPublish | kSubscribe;
    case PropertyId::SessionExpiryInterval: return kConnect | kConnAck | kDisconnect;
    case PropertyId::AssignedClientIdentifier:
    case PropertyId::ServerKeepAlive:
    case PropertyId::ResponseInformation:
    case PropertyId::MaximumQoS:
    case PropertyId::RetainAvailable:
    case PropertyId::WildcardSubscriptionAvailable:
    case PropertyId::SubscriptionIdentifierAvailable:
    case PropertyId::SharedSubscriptionAvailable: return kConnAck;
    case PropertyId::AuthenticationMethod:
    case PropertyId::AuthenticationData: return kConnect | kConnAck | kAuth;
    case PropertyId::RequestProblemInformation:
    case PropertyId::RequestResponseInformation: return kConnect;
    case PropertyId::WillDelayInterval: return kWill;
    case PropertyId::ServerReference: return kConnAck | kDisconnect;
    case PropertyId::ReasonString: return kConnAck | kPubAck | kSubAck | kUnsubAck | kDisconnect | kAuth;
    case PropertyId::ReceiveMaximum:
    case PropertyId::TopicAliasMaximum:
    case PropertyId::MaximumPacketSize: return kConnect | kConnAck;
    case PropertyId::TopicAlias: return kPublish;
    case PropertyId::UserProperty: return kEverywhere;
  }
  return 0;
}

// A Variable Byte Integer valued property (only Subscription Identifier), as
// opposed to the Four Byte Integer ones.
struct VarInt {
  std::uint32_t value;
};

// Calls visit(id, value) for every property that is set, in ascending
// identifier order; this is also the order they are written in.
template <class Visit>
void for_each_present(const Properties& p, Visit&& visit) {
  if (p.payload_format_indicator) visit(PropertyId::PayloadFormatIndicator, *p.payload_format_indicator);
  if (p.message_expiry_interval) visit(PropertyId::MessageExpiryInterval, *p.message_expiry_interval);
  if (p.content_type) visit(PropertyId::ContentType, *p.content_type);
  if (p.response_topic) visit(PropertyId::ResponseTopic, *p.response_topic);
  if (p.correlation_data) visit(PropertyId::CorrelationData, *p.correlation_data);
  for (std::uint32_t id : p.subscription_identifiers) visit(PropertyId::SubscriptionIdentifier, VarInt{id});
  if (p.session_expiry_interval) visit(PropertyId::SessionExpiryInterval, *p.session_expiry_interval);
  if (p.assigned_client_identifier) visit(PropertyId::AssignedClientIdentifier, *p.assigned_client_identifier);
  if (p.server_keep_alive) visit(PropertyId::ServerKeepAlive, *p.server_keep_alive);
  if (p.authentication_method) visit(PropertyId::AuthenticationMethod, *p.authentication_method);
  if (p.authentication_data) visit(PropertyId::AuthenticationData, *p.authentication_data);
  if (p.request_problem_information) {
    visit(PropertyId::RequestProblemInformation, *p.request_problem_information);
  }
  if (p.will_delay_interval) visit(PropertyId::WillDelayInterval, *p.will_delay_interval);
  if (p.request_response_information) {
    visit(PropertyId::RequestResponseInformation, *p.request_response_information);
  }
  if (p.response_information) visit(PropertyId::ResponseInformation, *p.response_information);
  if (p.server_reference) visit(PropertyId::ServerReference, *p.server_reference);
  if (p.reason_string) visit(PropertyId::ReasonString, *p.reason_string);
  if (p.receive_maximum) visit(PropertyId::ReceiveMaximum, *p.receive_maximum);
  if (p.topic_alias_maximum) visit(PropertyId::TopicAliasMaximum, *p.topic_alias_maximum);
  if (p.topic_alias) visit(PropertyId::TopicAlias, *p.topic_alias);
  if (p.maximum_qos) visit(PropertyId::MaximumQoS, *p.maximum_qos);
  if (p.retain_available) visit(PropertyId::RetainAvailable, *p.retain_available);
  for (const UserProperty& pair : p.user_properties) visit(PropertyId::UserProperty, pair);
  if (p.maximum_packet_size) visit(PropertyId::MaximumPacketSize, *p.maximum_packet_size);
  if (p.wildcard_subscription_available) {
    visit(PropertyId::WildcardSubscriptionAvailable, *p.wildcard_subscription_available);
  }
  if (p.subscription_identifier_available) {
    visit(PropertyId::SubscriptionIdentifierAvailable, *p.subscription_identifier_available);
  }
  if (p.shared_subscription_available) {
    visit(PropertyId::SharedSubscriptionAvailable, *p.shared_subscription_available);
  }
}

// "property Topic Alias (0x23)": how a property is named in messages. Built
// once, so reading a property never allocates for its would-be error text.
std::string_view describe(PropertyId id) {
  static const std::array<std::string, 0x2B> kNames = [] {
    std::array<std::string, 0x2B> names;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto raw = static_cast<std::uint8_t>(i);
      names[i] = "property " + std::string(property_name(raw)) + " (" + wire::hex_byte(raw) + ")";
    }
    return names;
  }();
  return kNames[static_cast<std::uint8_t>(id)];
}

Status value_error(PropertyId id, std::string what, ReasonCode reason = ReasonCode::ProtocolError) {
  return make_error(reason, std::string(describe(id)) + " " + std::move(what));
}

Status check_flag(const std::optional<std::uint8_t>& value, PropertyId id) {
  // Byte properties that are booleans: any other value is a Protocol Error
  // (e.g. 3.1.2.11.6 Request Problem Information, 3.2.2.3.4 Maximum QoS).
  if (value && *value > 1) return value_error(id, "must be 0 or 1, not " + std::to_string(*value));
  return ok_status();
}

Status check_nonzero(bool is_zero, PropertyId id) {
  if (is_zero) return value_error(id, "must not be 0");
  return ok_status();
}

// Value rules that hold wherever a property appears.
Status check_values(const Properties& p, PropertyContext context) {
  const std::pair<const std::optional<std::uint8_t>*, PropertyId> flags[] = {
      {&p.payload_format_indicator, PropertyId::PayloadFormatIndicator},
      {&p.request_problem_information, PropertyId::RequestProblemInformation},
      {&p.request_response_information, PropertyId::RequestResponseInformation},
      {&p.maximum_qos, PropertyId::MaximumQoS},
      {&p.retain_available, PropertyId::RetainAvailable},
      {&p.wildcard_subscription_available, PropertyId::WildcardSubscriptionAvailable},
      {&p.subscription_identifier_available, PropertyId::SubscriptionIdentifierAvailable},
      {&p.shared_subscription_available, PropertyId::SharedSubscriptionAvailable},
  };
  for (const auto& [value, id] : flags) {
    if (Status s = check_flag(*value, id); !s) return s;
  }
  // 3.1.2.11.3 / 3.2.2.3.3: a Receive Maximum of 0 is a Protocol Error.
  if (Status s = check_nonzero(p.receive_maximum == std::uint16_t{0}, PropertyId::ReceiveMaximum); !s) return s;
  // 3.1.2.11.4 / 3.2.2.3.6: a Maximum Packet Size of 0 is a Protocol Error.
  if (Status s = check_nonzero(p.maximum_packet_size == std::uint32_t{0}, PropertyId::MaximumPacketSize); !s) {
    return s;
  }
  // A Topic Alias of 0 is not permitted [MQTT-3.3.2-8]; the receiver answers
  // with Topic Alias invalid.
  if (p.topic_alias == std::uint16_t{0}) {
    return value_error(PropertyId::TopicAlias, "must not be 0 [MQTT-3.3.2-8]", ReasonCode::TopicAliasInvalid);
  }
  for (std::uint32_t id : p.subscription_identifiers) {
    // 3.8.2.1.2: 1 to 268,435,455; 0 is a Protocol Error.
    if (id == 0 || id > kMaxRemainingLength) {
      return value_error(PropertyId::SubscriptionIdentifier,
                         "must be 1 to 268435455, not " + std::to_string(id));
    }
  }
  // 3.8.2.1.2: SUBSCRIBE carries at most one Subscription Identifier.
  if (context == PropertyContext::Subscribe && p.subscription_identifiers.size() > 1) {
    return value_error(PropertyId::SubscriptionIdentifier, "appears more than once");
  }
  // The Response Topic is a Topic Name: no wildcards [MQTT-3.3.2-14].
  if (p.response_topic) {
    if (Status s = validate_topic_name(*p.response_topic); !s) {
      return value_error(PropertyId::ResponseTopic, "is not a valid topic name: " + s.error().message);
    }
  }
  // 3.1.2.11.10 / 3.15.2.2.3: Authentication Data without an Authentication
  // Method is a Protocol Error.
  if (p.authentication_data && !p.authentication_method) {
    return value_error(PropertyId::AuthenticationData, "requires an Authentication Method");
  }
  return ok_status();
}

// Writes (or counts) the property list, without Property Length.
void write_list(wire::Writer& out, const Properties& p) {
  if (p.empty()) return;  // most packets carry none
  for_each_present(p, [&out](PropertyId id, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    out.varint(static_cast<std::uint8_t>(id));
    if constexpr (std::is_same_v<T, std::uint8_t>) {
      out.u8(value);
    } else if constexpr (std::is_same_v<T, std::uint16_t>) {
      out.u16(value);
    } else if constexpr (std::is_same_v<T, std::uint32_t>) {
      out.u32(value);
    } else if constexpr (std::is_same_v<T, VarInt>) {
      out.varint(value.value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      out.string(value);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      out.binary(value);
    } else {
      static_assert(std::is_same_v<T, UserProperty>);
      out.string(value.first);
      out.string(value.second);
    }
  });
}

std::size_t list_size(const Properties& p) {
  wire::Writer counter;
  write_list(counter, p);
  return counter.size();
}

template <class T>
bool read_once(wire::Reader& in, std::optional<T>& field, bool (wire::Reader::*read)(T&, std::string_view),
               std::string_view field_name) {
  T value{};
  if (!(in.*read)(value, field_name)) return false;
  field = std::move(value);
  return true;
}

// Reads the value of property `id` (known and allowed) into `out`.
bool read_value(wire::Reader& in, PropertyId id, Properties& out) {
  const std::string_view name = describe(id);
  switch (id) {
    case PropertyId::PayloadFormatIndicator:
      return read_once(in, out.payload_format_indicator, &wire::Reader::read_u8, name);
    case PropertyId::MessageExpiryInterval:
      return read_once(in, out.message_expiry_interval, &wire::Reader::read_u32, name);
    case PropertyId::ContentType: return read_once(in, out.content_type, &wire::Reader::read_string, name);
    case PropertyId::ResponseTopic: return read_once(in, out.response_topic, &wire::Reader::read_string, name);
    case PropertyId::CorrelationData:
      return read_once(in, out.correlation_data, &wire::Reader::read_binary, name);
    case PropertyId::SubscriptionIdentifier: {
      std::uint32_t value = 0;
      if (!in.read_varint(value, name)) return false;
      out.subscription_identifiers.push_back(value);
      return true;
    }
    case PropertyId::SessionExpiryInterval:
      return read_once(in, out.session_expiry_interval, &wire::Reader::read_u32, name);
    case PropertyId::AssignedClientIdentifier:
      return read_once(in, out.assigned_client_identifier, &wire::Reader::read_string, name);
    case PropertyId::ServerKeepAlive: return read_once(in, out.server_keep_alive, &wire::Reader::read_u16, name);
    case PropertyId::AuthenticationMethod:
      return read_once(in, out.authentication_method, &wire::Reader::read_string, name);
    case PropertyId::AuthenticationData:
      return read_once(in, out.authentication_data, &wire::Reader::read_binary, name);
    case PropertyId::RequestProblemInformation:
      return read_once(in, out.request_problem_information, &wire::Reader::read_u8, name);
    case PropertyId::WillDelayInterval:
      return read_once(in, out.will_delay_interval, &wire::Reader::read_u32, name);
    case PropertyId::RequestResponseInformation:
      return read_once(in, out.request_response_information, &wire::Reader::read_u8, name);
    case PropertyId::ResponseInformation:
      return read_once(in, out.response_information, &wire::Reader::read_string, name);
    case PropertyId::ServerReference:
      return read_once(in, out.server_reference, &wire::Reader::read_string, name);
    case PropertyId::ReasonString: return read_once(in, out.reason_string, &wire::Reader::read_string, name);
    case PropertyId::ReceiveMaximum: return read_once(in, out.receive_maximum, &wire::Reader::read_u16, name);
    case PropertyId::TopicAliasMaximum:
      return read_once(in, out.topic_alias_maximum, &wire::Reader::read_u16, name);
    case PropertyId::TopicAlias: return read_once(in, out.topic_alias, &wire::Reader::read_u16, name);
    case PropertyId::MaximumQoS: return read_once(in, out.maximum_qos, &wire::Reader::read_u8, name);
    case PropertyId::RetainAvailable: return read_once(in, out.retain_available, &wire::Reader::read_u8, name);
    case PropertyId::UserProperty: {
      UserProperty pair;
      if (!in.read_string(pair.first, "property User Property (0x26) name") ||
          !in.read_string(pair.second, "property User Property (0x26) value")) {
        return false;
      }
      out.user_properties.push_back(std::move(pair));
      return true;
    }
    case PropertyId::MaximumPacketSize:
      return read_once(in, out.maximum_packet_size, &wire::Reader::read_u32, name);
    case PropertyId::WildcardSubscriptionAvailable:
      return read_once(in, out.wildcard_subscription_available, &wire::Reader::read_u8, name);
    case PropertyId::SubscriptionIdentifierAvailable:
      return read_once(in, out.subscription_identifier_available, &wire::Reader::read_u8, name);
    case PropertyId::SharedSubscriptionAvailable:
      return read_once(in, out.shared_subscription_available, &wire::Reader::read_u8, name);
  }
  return in.fail(ReasonCode::MalformedPacket, "unknown " + std::string(name));
}

}  // namespace

bool property_allowed(std::uint8_t id, PropertyContext context) { return (allowed_contexts(id) & bit(context)) != 0; }

std::string_view property_context_name(PropertyContext context) {
  switch (context) {
    case PropertyContext::Connect: return "CONNECT";
    case PropertyContext::ConnAck: return "CONNACK";
    case PropertyContext::Publish: return "PUBLISH";
    case PropertyContext::Will: return "Will Properties";
    case PropertyContext::PubAck: return "PUBACK, PUBREC, PUBREL or PUBCOMP";
    case PropertyContext::Subscribe: return "SUBSCRIBE";
    case PropertyContext::SubAck: return "SUBACK";
    case PropertyContext::Unsubscribe: return "UNSUBSCRIBE";
    case PropertyContext::UnsubAck: return "UNSUBACK";
    case PropertyContext::Disconnect: return "DISCONNECT";
    case PropertyContext::Auth: return "AUTH";
  }
  return "?";
}

Status validate_properties(const Properties& properties, PropertyContext context) {
  if (properties.empty()) return ok_status();  // most packets carry none
  Status result = ok_status();
  for_each_present(properties, [&](PropertyId id, const auto& value) {
    if (!result) return;
    using T = std::decay_t<decltype(value)>;
    const auto raw = static_cast<std::uint8_t>(id);
    if (!property_allowed(raw, context)) {
      result = make_error(ReasonCode::ProtocolError,
                          std::string(describe(id)) + " is not allowed in " +
                              std::string(property_context_name(context)));
      return;
    }
    if constexpr (std::is_same_v<T, std::string>) {
      if (Status s = validate_utf8_string(value); !s) result = value_error(id, s.error().message, s.error().reason);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      if (value.size() > wire::kMaxTwoByteLength) {
        result = value_error(id, "is longer than 65535 bytes", ReasonCode::MalformedPacket);
      }
    } else if constexpr (std::is_same_v<T, UserProperty>) {
      for (const std::string* s : {&value.first, &value.second}) {
        if (Status v = validate_utf8_string(*s); !v && result) {
          result = value_error(id, v.error().message, v.error().reason);
        }
      }
    }
  });
  if (!result) return result;
  return check_values(properties, context);
}

std::size_t properties_wire_size(const Properties& properties) {
  const std::size_t n = list_size(properties);
  return wire::varint_size(static_cast<std::uint32_t>(n)) + n;
}

void write_properties(wire::Writer& out, const Properties& properties) {
  out.varint(static_cast<std::uint32_t>(list_size(properties)));
  write_list(out, properties);
}

bool read_properties(wire::Reader& in, PropertyContext context, Properties& out) {
  std::uint32_t length = 0;
  if (!in.read_varint(length, "property length")) return false;
  if (length == 0) return true;  // most packets carry none; `out` stays empty
  wire::Reader block(std::span<const std::uint8_t>{});
  if (!in.read_block(length, block, "property length")) return false;
  std::uint64_t seen = 0;  // one bit per identifier; all known ones are below 64
  while (!block.at_end()) {
    std::uint32_t id = 0;
    if (!block.read_varint(id, "property identifier")) break;
    if (id > 0xFF || allowed_contexts(static_cast<std::uint8_t>(id)) == 0) {
      // An identifier the protocol does not define cannot be parsed past.
      block.fail(ReasonCode::MalformedPacket, "unknown property identifier " + wire::hex_byte(id));
      break;
    }
    const auto pid = static_cast<PropertyId>(id);
    if (!property_allowed(static_cast<std::uint8_t>(id), context)) {
      block.fail(ReasonCode::ProtocolError,
                 std::string(describe(pid)) + " is not allowed in " + std::string(property_context_name(context)));
      break;
    }
    // Only User Property may repeat, and Subscription Identifier in PUBLISH
    // (one per matching subscription, 3.3.2.3.8); any other property given
    // twice is a Protocol Error (2.2.2.2 and the per-property rules).
    const bool may_repeat = pid == PropertyId::UserProperty ||
                            (pid == PropertyId::SubscriptionIdentifier && context == PropertyContext::Publish);
    const std::uint64_t mask = std::uint64_t{1} << id;
    if (!may_repeat && (seen & mask) != 0) {
      block.fail(ReasonCode::ProtocolError, std::string(describe(pid)) + " appears more than once");
      break;
    }
    seen |= mask;
    if (!read_value(block, pid, out)) break;
  }
  if (block.failed()) return in.fail(block.error().reason, block.error().message);
  if (Status s = check_values(out, context); !s) return in.fail(s.error().reason, s.error().message);
  return true;
}

}  // namespace detail
}  // namespace tpgate::mqtt
