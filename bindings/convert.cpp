// Scalars, bytes, errors and MQTT 5 properties between JS and C++.
#include "convert.hpp"

#include <cmath>
#include <cstring>
#include <utility>

namespace tpgate::bindings {

using mqtt::Bytes;
using mqtt::Error;
using mqtt::Properties;
using mqtt::Result;

namespace {

Error invalid_argument(std::string path, const std::string& what) {
  return mqtt::argument_error(std::move(path), what);
}

const val& uint8_array_class() {
  static const val cls = val::global("Uint8Array");
  return cls;
}

// One table per property value type: the JS name and the field it fills.
template <class T>
struct PropertyField {
  const char* name;
  std::optional<T> Properties::*member;
};

constexpr PropertyField<std::uint8_t> kByteProperties[] = {
    {"payloadFormatIndicator", &Properties::payload_format_indicator},
    {"requestProblemInformation", &Properties::request_problem_information},
    {"requestResponseInformation", &Properties::request_response_information},
    {"maximumQoS", &Properties::maximum_qos},
    {"retainAvailable", &Properties::retain_available},
    {"wildcardSubscriptionAvailable", &Properties::wildcard_subscription_available},
    {"subscriptionIdentifierAvailable", &Properties::subscription_identifier_available},
    {"sharedSubscriptionAvailable", &Properties::shared_subscription_available},
};
constexpr PropertyField<std::uint16_t> kTwoByteProperties[] = {
    {"serverKeepAlive", &Properties::server_keep_alive},
    {"receiveMaximum", &Properties::receive_maximum},
    {"topicAliasMaximum", &Properties::topic_alias_maximum},
    {"topicAlias", &Properties::topic_alias},
};
constexpr PropertyField<std::uint32_t> kFourByteProperties[] = {
    {"messageExpiryInterval", &Properties::message_expiry_interval},
    {"sessionExpiryInterval", &Properties::session_expiry_interval},
    {"willDelayInterval", &Properties::will_delay_interval},
    {"maximumPacketSize", &Properties::maximum_packet_size},
};
constexpr PropertyField<std::string> kStringProperties[] = {
    {"contentType", &Properties::content_type},
    {"responseTopic", &Properties::response_topic},
    {"assignedClientIdentifier", &Properties::assigned_client_identifier},
    {"authenticationMethod", &Properties::authentication_method},
    {"responseInformation", &Properties::response_information},
    {"serverReference", &Properties::server_reference},
    {"reasonString", &Properties::reason_string},
};
constexpr PropertyField<Bytes> kBinaryProperties[] = {
    {"correlationData", &Properties::correlation_data},
    {"authenticationData", &Properties::authentication_data},
};
constexpr const char* kSubscriptionIdentifiers = "subscriptionIdentifiers";
constexpr const char* kUserProperties = "userProperties";

template <class T, std::size_t N>
const PropertyField<T>* find_field(const PropertyField<T> (&table)[N], const std::string& name) {
  for (const auto& field : table) {
    if (name == field.name) return &field;
  }
  return nullptr;
}

// Reads one optional property `name` of `reader`'s object through `read`.
template <class T, std::size_t N, class Read>
bool read_property(const PropertyField<T> (&table)[N], const std::string& name, Properties& out, Read read) {
  const auto* field = find_field(table, name);
  if (field == nullptr) return false;
  T value{};
  if (read(value)) out.*(field->member) = std::move(value);
  return true;
}

}  // namespace

// --- C++ -> JS -------------------------------------------------------------------

val bytes_to_js(std::span<const std::uint8_t> bytes) {
  return val(emscripten::typed_memory_view(bytes.size(), bytes.data())).call<val>("slice");
}

val error_to_js(const Error& error) {
  val out = val::object();
  const auto code = static_cast<std::uint8_t>(error.reason);
  out.set("code", code);
  out.set("reason", std::string(mqtt::reason_code_name(code)));
  out.set("message", error.message);
  if (error.kind != mqtt::ErrorKind::Mqtt) {
    out.set("kind", std::string(mqtt::error_kind_name(error.kind)));
    out.set("path", error.path);
  }
  return out;
}

val failure_to_js(const Error& error) {
  val out = error_to_js(error);
  out.set("ok", false);
  return out;
}

val properties_to_js(const Properties& properties) {
  val out = val::object();
  for (const auto& f : kByteProperties) {
    if (const auto& v = properties.*(f.member)) out.set(f.name, *v);
  }
  for (const auto& f : kTwoByteProperties) {
    if (const auto& v = properties.*(f.member)) out.set(f.name, *v);
  }
  for (const auto& f : kFourByteProperties) {
    if (const auto& v = properties.*(f.member)) out.set(f.name, *v);
  }
  for (const auto& f : kStringProperties) {
    if (const auto& v = properties.*(f.member)) out.set(f.name, *v);
  }
  for (const auto& f : kBinaryProperties) {
    if (const auto& v = properties.*(f.member)) out.set(f.name, bytes_to_js(*v));
  }
  if (!properties.subscription_identifiers.empty()) {
    val ids = val::array();
    for (std::uint32_t id : properties.subscription_identifiers) ids.call<void>("push", id);
    out.set(kSubscriptionIdentifiers, ids);
  }
  if (!properties.user_properties.empty()) {
    val pairs = val::array();
    for (const auto& [name, value] : properties.user_properties) {
      val pair = val::array();
      pair.call<void>("push", name);
      pair.call<void>("push", value);
      pairs.call<void>("push", pair);
    }
    out.set(kUserProperties, pairs);
  }
  return out;
}

void write_properties(frame::Buffer& out, const Properties& properties) {
  const std::size_t count_at = out.size() + 1;
  out.grow(5)[0] = frame::kValueObject;
  std::uint32_t count = 0;
  const auto key = [&](const char* name) {
    const auto length = static_cast<std::uint32_t>(std::strlen(name));
    frame::put<std::uint32_t>(out.grow(4), frame::kInlineKey);
    frame::put<std::uint32_t>(out.grow(4), length);
    out.append(name, length);
    ++count;
  };
  const auto number = [&](double v) {
    std::uint8_t* at = out.grow(9);
    at[0] = frame::kValueNumber;
    frame::put<double>(at + 1, v);
  };
  const auto bytes = [&](std::uint8_t tag, const void* data, std::size_t size) {
    std::uint8_t* at = out.grow(5);
    at[0] = tag;
    frame::put<std::uint32_t>(at + 1, static_cast<std::uint32_t>(size));
    out.append(data, size);
  };
  for (const auto& f : kByteProperties) {
    if (const auto& v = properties.*(f.member)) key(f.name), number(*v);
  }
  for (const auto& f : kTwoByteProperties) {
    if (const auto& v = properties.*(f.member)) key(f.name), number(*v);
  }
  for (const auto& f : kFourByteProperties) {
    if (const auto& v = properties.*(f.member)) key(f.name), number(*v);
  }
  for (const auto& f : kStringProperties) {
    if (const auto& v = properties.*(f.member)) key(f.name), bytes(frame::kValueString, v->data(), v->size());
  }
  for (const auto& f : kBinaryProperties) {
    if (const auto& v = properties.*(f.member)) key(f.name), bytes(frame::kValueBytes, v->data(), v->size());
  }
  if (!properties.subscription_identifiers.empty()) {
    key(kSubscriptionIdentifiers);
    std::uint8_t* at = out.grow(5);
    at[0] = frame::kValueArray;
    frame::put<std::uint32_t>(at + 1, static_cast<std::uint32_t>(properties.subscription_identifiers.size()));
    for (std::uint32_t id : properties.subscription_identifiers) number(id);
  }
  if (!properties.user_properties.empty()) {
    key(kUserProperties);
    std::uint8_t* at = out.grow(5);
    at[0] = frame::kValueArray;
    frame::put<std::uint32_t>(at + 1, static_cast<std::uint32_t>(properties.user_properties.size()));
    for (const auto& [name, value] : properties.user_properties) {
      at = out.grow(5);
      at[0] = frame::kValueArray;
      frame::put<std::uint32_t>(at + 1, 2);
      bytes(frame::kValueString, name.data(), name.size());
      bytes(frame::kValueString, value.data(), value.size());
    }
  }
  frame::put<std::uint32_t>(out.data() + count_at, count);
}

// --- JS -> C++ -------------------------------------------------------------------

std::optional<std::uint64_t> integer_from_js(const val& value, std::uint64_t max) {
  if (!value.isNumber()) return std::nullopt;
  const double n = value.as<double>();
  const double limit = static_cast<double>(std::min(max, kMaxSafeInteger));
  if (!std::isfinite(n) || n < 0 || n > limit || std::floor(n) != n) return std::nullopt;
  return static_cast<std::uint64_t>(n);
}

Result<Bytes> bytes_from_js(const val& value) {
  if (value.isString()) {
    const std::string text = value.as<std::string>();  // UTF-8
    return Bytes(text.begin(), text.end());
  }
  const val& u8 = uint8_array_class();
  if (value.instanceof(u8)) return emscripten::convertJSArrayToNumberVector<std::uint8_t>(value);
  if (value.instanceof(val::global("ArrayBuffer"))) {
    return emscripten::convertJSArrayToNumberVector<std::uint8_t>(u8.new_(value));
  }
  if (!value.isUndefined() && !value.isNull() && val::global("ArrayBuffer").call<bool>("isView", value)) {
    return emscripten::convertJSArrayToNumberVector<std::uint8_t>(
        u8.new_(value["buffer"], value["byteOffset"], value["byteLength"]));
  }
  return invalid_argument("", "expected a Uint8Array, ArrayBuffer or string");
}

Result<mqtt::ProtocolVersion> version_from_js(const val& value) {
  auto n = integer_from_js(value, 255);
  if (n == 4u) return mqtt::ProtocolVersion::v311;
  if (n == 5u) return mqtt::ProtocolVersion::v5;
  return invalid_argument("version", "expected 4 (MQTT 3.1.1) or 5 (MQTT 5.0)");
}

// --- ObjectReader ----------------------------------------------------------------

ObjectReader::ObjectReader(val object, std::string where) : object_(std::move(object)), where_(std::move(where)) {
  if (object_.isUndefined()) return;
  if (object_.isNull() || object_.typeOf().as<std::string>() != "object") {
    error_ = invalid_argument(where_, "expected an object");
  }
}

val ObjectReader::get(const char* key) const {
  if (object_.isUndefined() || object_.isNull()) return val::undefined();
  return object_[key];
}

void ObjectReader::fail(const std::string& key, const std::string& expected) {
  if (ok()) error_ = invalid_argument(where_ + "." + key, "expected " + expected);
}

void ObjectReader::fail(const Error& nested) {
  if (ok()) error_ = nested;
}

void ObjectReader::qos(const char* key, mqtt::QoS& out) {
  std::uint8_t n = static_cast<std::uint8_t>(out);
  integer(key, n);
  out = static_cast<mqtt::QoS>(n);  // 3 passes through: the encoder rejects it [MQTT-3.3.1-4]
}

void ObjectReader::boolean(const char* key, bool& out) {
  if (!ok()) return;
  val value = get(key);
  if (value.isUndefined()) return;
  if (value.isTrue()) {
    out = true;
  } else if (value.isFalse()) {
    out = false;
  } else {
    fail(key, "a boolean");
  }
}

void ObjectReader::string(const char* key, std::string& out) {
  if (!ok()) return;
  val value = get(key);
  if (value.isUndefined()) return;
  if (!value.isString()) return fail(key, "a string");
  out = value.as<std::string>();
}

void ObjectReader::string(const char* key, std::optional<std::string>& out) {
  std::string value;
  if (!has(key)) return;
  string(key, value);
  if (ok()) out = std::move(value);
}

void ObjectReader::bytes(const char* key, Bytes& out) {
  if (!ok()) return;
  val value = get(key);
  if (value.isUndefined()) return;
  auto converted = bytes_from_js(value);
  if (!converted) return fail(key, "a Uint8Array, ArrayBuffer or string");
  out = std::move(*converted);
}

void ObjectReader::bytes(const char* key, std::optional<Bytes>& out) {
  Bytes value;
  if (!has(key)) return;
  bytes(key, value);
  if (ok()) out = std::move(value);
}

void ObjectReader::properties(const char* key, Properties& out) {
  if (!ok()) return;
  val value = get(key);
  if (value.isUndefined()) return;
  auto converted = properties_from_js(value, where_ + "." + key);
  if (!converted) return fail(converted.error());
  out = std::move(*converted);
}

Result<Properties> properties_from_js(const val& value, const std::string& where) {
  Properties out;
  if (value.isUndefined()) return out;
  ObjectReader reader(value, where);
  if (!reader.ok()) return reader.error();

  // Only the keys present are looked at: most property sets are empty or small.
  const val keys = val::global("Object").call<val>("keys", value);
  const auto count = keys["length"].as<unsigned>();
  for (unsigned i = 0; i < count && reader.ok(); ++i) {
    const std::string name = keys[i].as<std::string>();
    const char* k = name.c_str();
    auto read_int = [&](auto& v) {
      reader.integer(k, v);
      return reader.ok() && reader.has(k);
    };
    auto read_string = [&](std::string& v) {
      reader.string(k, v);
      return reader.ok() && reader.has(k);
    };
    auto read_bytes = [&](Bytes& v) {
      reader.bytes(k, v);
      return reader.ok() && reader.has(k);
    };
    if (read_property(kByteProperties, name, out, read_int)) continue;
    if (read_property(kTwoByteProperties, name, out, read_int)) continue;
    if (read_property(kFourByteProperties, name, out, read_int)) continue;
    if (read_property(kStringProperties, name, out, read_string)) continue;
    if (read_property(kBinaryProperties, name, out, read_bytes)) continue;

    const val list = value[name];
    if (list.isUndefined()) continue;
    if (name == kSubscriptionIdentifiers) {
      const char* expected = "an array of integers from 0 to 4294967295";
      if (!list.isArray()) {
        reader.fail(name, expected);
        break;
      }
      const auto n = list["length"].as<unsigned>();
      for (unsigned j = 0; j < n; ++j) {
        auto id = integer_from_js(list[j], 0xFFFF'FFFFu);
        if (!id) {
          reader.fail(name, expected);
          break;
        }
        out.subscription_identifiers.push_back(static_cast<std::uint32_t>(*id));
      }
    } else if (name == kUserProperties) {
      const char* expected = "an array of [name, value] string pairs";
      if (!list.isArray()) {
        reader.fail(name, expected);
        break;
      }
      const auto n = list["length"].as<unsigned>();
      for (unsigned j = 0; j < n; ++j) {
        const val pair = list[j];
        if (!pair.isArray() || pair["length"].as<unsigned>() != 2 || !pair[0].isString() || !pair[1].isString()) {
          reader.fail(name, expected);
          break;
        }
        out.user_properties.emplace_back(pair[0].as<std::string>(), pair[1].as<std::string>());
      }
    } else {
      reader.fail(invalid_argument(where, "unknown property '" + name + "'"));
    }
  }
  if (!reader.ok()) return reader.error();
  return out;
}

}  // namespace tpgate::bindings
