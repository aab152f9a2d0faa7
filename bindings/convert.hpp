// Conversion between JS values and the core's types. Conversion only: no
// defaults beyond the core's own, no protocol logic. Nothing here throws; a JS
// value of the wrong type becomes an mqtt::Error naming the field.
//
// JS shapes (camelCase of the C++ field names):
//   packet      {type: 'publish', topic, payload: Uint8Array, qos, retain, dup,
//                packetId, properties}, and likewise for the other 14 types
//   properties  {messageExpiryInterval: 60, userProperties: [['k', 'v']], ...}
//   error       {code: 0x81, reason: 'Malformed Packet', message}
//   failure     {ok: false, code, reason, message}
#pragma once

#include <emscripten/val.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "frame/buffer.hpp"
#include "frame/frame.hpp"
#include "mqtt/packets.hpp"
#include "mqtt/properties.hpp"
#include "mqtt/session.hpp"
#include "mqtt/types.hpp"

namespace tpgate::bindings {

using emscripten::val;

// --- C++ -> JS -----------------------------------------------------------------
// A new Uint8Array holding a copy: a view into the heap dies when memory grows.
val bytes_to_js(std::span<const std::uint8_t> bytes);
val error_to_js(const mqtt::Error& error);    // {code, reason, message}
val failure_to_js(const mqtt::Error& error);  // {ok: false, code, reason, message}
val properties_to_js(const mqtt::Properties& properties);
// The same object as a value of the frame (src/frame/frame.hpp), appended to `out`.
void write_properties(frame::Buffer& out, const mqtt::Properties& properties);
val packet_to_js(const mqtt::Packet& packet);
val will_to_js(const mqtt::Will& will);
val event_to_js(const mqtt::Event& event);  // {type: 'connected' | 'message' | ..., ...}
val strings_to_js(const std::vector<std::string>& strings);

// --- JS -> C++ -----------------------------------------------------------------
// Uint8Array (or any ArrayBuffer view), ArrayBuffer, or a string (UTF-8).
mqtt::Result<mqtt::Bytes> bytes_from_js(const val& value);
// 4 or 5, the CONNECT protocol level.
mqtt::Result<mqtt::ProtocolVersion> version_from_js(const val& value);
mqtt::Result<mqtt::Packet> packet_from_js(const val& value);
// A PUBLISH without its `type` field: {topic, payload, qos, retain, dup,
// packetId, properties}.
mqtt::Result<mqtt::Publish> publish_from_js(const val& value, const std::string& where);
// undefined reads as no properties; unknown names are an error.
mqtt::Result<mqtt::Properties> properties_from_js(const val& value, const std::string& where);
// {topic, payload, qos, retain, properties}; `where` prefixes error messages.
mqtt::Result<mqtt::Will> will_from_js(const val& value, const std::string& where);
// {filter, qos, noLocal, retainAsPublished, retainHandling}
mqtt::Result<mqtt::Subscription> subscription_from_js(const val& value, const std::string& where);
// An array of strings.
mqtt::Result<std::vector<std::string>> strings_from_js(const val& value, const std::string& where);
// Session options: {version, clientId, cleanStart, keepAlive, username,
// password, will, properties, maxQueued, connectTimeout, pingTimeout,
// reconnect: {enabled, minDelay, maxDelay}, randomSeed, autoTopicAlias,
// resubscribe}.
mqtt::Result<mqtt::SessionOptions> session_options_from_js(const val& value);

// Reads typed fields of one JS object. The first field of the wrong type sets
// error(); later reads leave their outputs unchanged. An undefined field leaves
// the output unchanged (the core's default stands).
class ObjectReader {
 public:
  // `where` prefixes error messages ("publish", "options.will").
  // `object` may be undefined (every field then reads as undefined).
  ObjectReader(val object, std::string where);

  val get(const char* key) const;
  bool has(const char* key) const { return !get(key).isUndefined(); }

  // Integers are range-checked against the C++ type only; what the protocol
  // allows is the core's business.
  template <class Int>
    requires std::is_unsigned_v<Int>
  void integer(const char* key, Int& out) {
    read_integer(key, out);
  }
  void qos(const char* key, mqtt::QoS& out);
  void boolean(const char* key, bool& out);
  void string(const char* key, std::string& out);
  void string(const char* key, std::optional<std::string>& out);
  void bytes(const char* key, mqtt::Bytes& out);
  void bytes(const char* key, std::optional<mqtt::Bytes>& out);
  void properties(const char* key, mqtt::Properties& out);

  void fail(const std::string& key, const std::string& expected);
  void fail(const mqtt::Error& nested);
  bool ok() const { return !error_.has_value(); }
  const mqtt::Error& error() const { return *error_; }
  const std::string& where() const { return where_; }

 private:
  template <class Int>
  void read_integer(const char* key, Int& out);

  val object_;
  std::string where_;
  std::optional<mqtt::Error> error_;
};

// The largest integer a JS number holds exactly (Number.MAX_SAFE_INTEGER).
inline constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;

// A finite integer in [0, min(max, kMaxSafeInteger)], or nullopt.
std::optional<std::uint64_t> integer_from_js(const val& value, std::uint64_t max);

template <class Int>
void ObjectReader::read_integer(const char* key, Int& out) {
  if (!ok()) return;
  val value = get(key);
  if (value.isUndefined()) return;
  const std::uint64_t max = std::min<std::uint64_t>(std::numeric_limits<Int>::max(), kMaxSafeInteger);
  auto n = integer_from_js(value, max);
  if (!n) {
    fail(key, "an integer from 0 to " + std::to_string(max));
    return;
  }
  out = static_cast<Int>(*n);
}

}  // namespace tpgate::bindings
