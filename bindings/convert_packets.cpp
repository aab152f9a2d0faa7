// The fifteen MQTT packets between JS objects and mqtt::Packet.
#include <array>
#include <string_view>
#include <utility>

#include "convert.hpp"

namespace tpgate::bindings {

using mqtt::Bytes;
using mqtt::Packet;
using mqtt::Result;

namespace {

// Indexed like the mqtt::Packet variant (PacketType - 1).
constexpr std::array<std::string_view, 15> kPacketTypeNames = {
    "connect", "connack",   "publish",     "puback",   "pubrec",  "pubrel",     "pubcomp", "subscribe",
    "suback",  "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth",
};

mqtt::Error invalid_argument(std::string path, const std::string& what) {
  return mqtt::argument_error(std::move(path), what);
}

val reason_codes_to_js(const std::vector<std::uint8_t>& codes) {
  val out = val::array();
  for (std::uint8_t code : codes) out.call<void>("push", code);
  return out;
}

val subscriptions_to_js(const std::vector<mqtt::Subscription>& subscriptions) {
  val out = val::array();
  for (const auto& s : subscriptions) {
    val sub = val::object();
    sub.set("filter", s.filter);
    sub.set("qos", static_cast<std::uint8_t>(s.qos));
    sub.set("noLocal", s.no_local);
    sub.set("retainAsPublished", s.retain_as_published);
    sub.set("retainHandling", s.retain_handling);
    out.call<void>("push", sub);
  }
  return out;
}

// Writes the fields of each packet type onto `out`.
struct PacketWriter {
  val& out;

  void operator()(const mqtt::Connect& p) const {
    out.set("version", static_cast<std::uint8_t>(p.version));
    out.set("cleanStart", p.clean_start);
    out.set("keepAlive", p.keep_alive);
    out.set("clientId", p.client_id);
    if (p.will) out.set("will", will_to_js(*p.will));
    if (p.username) out.set("username", *p.username);
    if (p.password) out.set("password", bytes_to_js(*p.password));
    out.set("properties", properties_to_js(p.properties));
  }
  void operator()(const mqtt::ConnAck& p) const {
    out.set("sessionPresent", p.session_present);
    out.set("reasonCode", p.reason_code);
    out.set("properties", properties_to_js(p.properties));
  }
  void operator()(const mqtt::Publish& p) const {
    out.set("dup", p.dup);
    out.set("qos", static_cast<std::uint8_t>(p.qos));
    out.set("retain", p.retain);
    out.set("topic", p.topic);
    out.set("packetId", p.packet_id);
    out.set("properties", properties_to_js(p.properties));
    out.set("payload", bytes_to_js(p.payload));
  }
  template <mqtt::PacketType T>
  void operator()(const mqtt::PubResponse<T>& p) const {
    out.set("packetId", p.packet_id);
    out.set("reasonCode", p.reason_code);
    out.set("properties", properties_to_js(p.properties));
  }
  void operator()(const mqtt::Subscribe& p) const {
    out.set("packetId", p.packet_id);
    out.set("properties", properties_to_js(p.properties));
    out.set("subscriptions", subscriptions_to_js(p.subscriptions));
  }
  void operator()(const mqtt::SubAck& p) const {
    out.set("packetId", p.packet_id);
    out.set("properties", properties_to_js(p.properties));
    out.set("reasonCodes", reason_codes_to_js(p.reason_codes));
  }
  void operator()(const mqtt::Unsubscribe& p) const {
    out.set("packetId", p.packet_id);
    out.set("properties", properties_to_js(p.properties));
    out.set("filters", strings_to_js(p.filters));
  }
  void operator()(const mqtt::UnsubAck& p) const {
    out.set("packetId", p.packet_id);
    out.set("properties", properties_to_js(p.properties));
    out.set("reasonCodes", reason_codes_to_js(p.reason_codes));
  }
  void operator()(const mqtt::PingReq&) const {}
  void operator()(const mqtt::PingResp&) const {}
  void operator()(const mqtt::Disconnect& p) const {
    out.set("reasonCode", p.reason_code);
    out.set("properties", properties_to_js(p.properties));
  }
  void operator()(const mqtt::Auth& p) const {
    out.set("reasonCode", p.reason_code);
    out.set("properties", properties_to_js(p.properties));
  }
};

// Reads the fields of each packet type from `in`.
struct PacketReader {
  ObjectReader& in;

  void read(mqtt::Connect& p) const {
    if (in.has("version")) {
      auto version = version_from_js(in.get("version"));
      if (!version) return in.fail(version.error());
      p.version = *version;
    }
    in.boolean("cleanStart", p.clean_start);
    in.integer("keepAlive", p.keep_alive);
    in.string("clientId", p.client_id);
    if (in.ok() && in.has("will")) {
      auto will = will_from_js(in.get("will"), in.where() + ".will");
      if (!will) return in.fail(will.error());
      p.will = std::move(*will);
    }
    in.string("username", p.username);
    in.bytes("password", p.password);
    in.properties("properties", p.properties);
  }
  void read(mqtt::ConnAck& p) const {
    in.boolean("sessionPresent", p.session_present);
    in.integer("reasonCode", p.reason_code);
    in.properties("properties", p.properties);
  }
  void read(mqtt::Publish& p) const {
    in.boolean("dup", p.dup);
    in.qos("qos", p.qos);
    in.boolean("retain", p.retain);
    in.string("topic", p.topic);
    in.integer("packetId", p.packet_id);
    in.properties("properties", p.properties);
    in.bytes("payload", p.payload);
  }
  template <mqtt::PacketType T>
  void read(mqtt::PubResponse<T>& p) const {
    in.integer("packetId", p.packet_id);
    in.integer("reasonCode", p.reason_code);
    in.properties("properties", p.properties);
  }
  void read(mqtt::Subscribe& p) const {
    in.integer("packetId", p.packet_id);
    in.properties("properties", p.properties);
    if (!in.ok()) return;
    const val list = in.get("subscriptions");
    if (list.isUndefined()) return;
    if (!list.isArray()) return in.fail("subscriptions", "an array");
    const auto n = list["length"].as<unsigned>();
    for (unsigned i = 0; i < n; ++i) {
      auto sub = subscription_from_js(list[i], in.where() + ".subscriptions[" + std::to_string(i) + "]");
      if (!sub) return in.fail(sub.error());
      p.subscriptions.push_back(std::move(*sub));
    }
  }
  void read(mqtt::SubAck& p) const {
    in.integer("packetId", p.packet_id);
    in.properties("properties", p.properties);
    read_reason_codes(p.reason_codes);
  }
  void read(mqtt::Unsubscribe& p) const {
    in.integer("packetId", p.packet_id);
    in.properties("properties", p.properties);
    if (!in.ok() || !in.has("filters")) return;
    auto filters = strings_from_js(in.get("filters"), in.where() + ".filters");
    if (!filters) return in.fail(filters.error());
    p.filters = std::move(*filters);
  }
  void read(mqtt::UnsubAck& p) const {
    in.integer("packetId", p.packet_id);
    in.properties("properties", p.properties);
    read_reason_codes(p.reason_codes);
  }
  void read(mqtt::PingReq&) const {}
  void read(mqtt::PingResp&) const {}
  void read(mqtt::Disconnect& p) const {
    in.integer("reasonCode", p.reason_code);
    in.properties("properties", p.properties);
  }
  void read(mqtt::Auth& p) const {
    in.integer("reasonCode", p.reason_code);
    in.properties("properties", p.properties);
  }

  void read_reason_codes(std::vector<std::uint8_t>& out) const {
    if (!in.ok()) return;
    const val list = in.get("reasonCodes");
    if (list.isUndefined()) return;
    if (!list.isArray()) return in.fail("reasonCodes", "an array of integers from 0 to 255");
    const auto n = list["length"].as<unsigned>();
    for (unsigned i = 0; i < n; ++i) {
      auto code = integer_from_js(list[i], 255);
      if (!code) return in.fail("reasonCodes", "an array of integers from 0 to 255");
      out.push_back(static_cast<std::uint8_t>(*code));
    }
  }
};

// A default-constructed packet of variant alternative `index`.
template <std::size_t... I>
Packet make_packet(std::size_t index, std::index_sequence<I...>) {
  Packet packet;
  ((index == I ? (void)packet.emplace<I>() : (void)0), ...);
  return packet;
}

}  // namespace

val strings_to_js(const std::vector<std::string>& strings) {
  val out = val::array();
  for (const auto& s : strings) out.call<void>("push", s);
  return out;
}

val packet_to_js(const Packet& packet) {
  val out = val::object();
  out.set("type", std::string(kPacketTypeNames[packet.index()]));
  std::visit(PacketWriter{out}, packet);
  return out;
}

val will_to_js(const mqtt::Will& will) {
  val out = val::object();
  out.set("topic", will.topic);
  out.set("payload", bytes_to_js(will.payload));
  out.set("qos", static_cast<std::uint8_t>(will.qos));
  out.set("retain", will.retain);
  out.set("properties", properties_to_js(will.properties));
  return out;
}

Result<Packet> packet_from_js(const val& value) {
  ObjectReader in(value, "packet");
  if (!in.ok()) return in.error();
  const val type = in.get("type");
  if (!type.isString()) return invalid_argument("packet.type", "expected a packet type name such as 'publish'");
  const std::string name = type.as<std::string>();
  std::size_t index = 0;
  while (index < kPacketTypeNames.size() && kPacketTypeNames[index] != name) ++index;
  if (index == kPacketTypeNames.size()) return invalid_argument("packet.type", "unknown packet type '" + name + "'");

  ObjectReader fields(value, name);
  Packet packet = make_packet(index, std::make_index_sequence<std::variant_size_v<Packet>>{});
  std::visit([&](auto& p) { PacketReader{fields}.read(p); }, packet);
  if (!fields.ok()) return fields.error();
  return packet;
}

Result<mqtt::Publish> publish_from_js(const val& value, const std::string& where) {
  ObjectReader in(value, where);
  mqtt::Publish publish;
  PacketReader{in}.read(publish);
  if (!in.ok()) return in.error();
  return publish;
}

Result<mqtt::Will> will_from_js(const val& value, const std::string& where) {
  ObjectReader in(value, where);
  mqtt::Will will;
  in.string("topic", will.topic);
  in.bytes("payload", will.payload);
  in.qos("qos", will.qos);
  in.boolean("retain", will.retain);
  in.properties("properties", will.properties);
  if (!in.ok()) return in.error();
  return will;
}

Result<mqtt::Subscription> subscription_from_js(const val& value, const std::string& where) {
  if (value.isString()) {  // a bare filter: QoS 0, v5 options at their defaults
    mqtt::Subscription sub;
    sub.filter = value.as<std::string>();
    return sub;
  }
  ObjectReader in(value, where);
  mqtt::Subscription sub;
  in.string("filter", sub.filter);
  in.qos("qos", sub.qos);
  in.boolean("noLocal", sub.no_local);
  in.boolean("retainAsPublished", sub.retain_as_published);
  in.integer("retainHandling", sub.retain_handling);
  if (!in.ok()) return in.error();
  return sub;
}

Result<std::vector<std::string>> strings_from_js(const val& value, const std::string& where) {
  if (!value.isArray()) return invalid_argument(where, "expected an array of strings");
  std::vector<std::string> out;
  const auto n = value["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    const val item = value[i];
    if (!item.isString()) return invalid_argument(where, "expected an array of strings");
    out.push_back(item.as<std::string>());
  }
  return out;
}

}  // namespace tpgate::bindings
