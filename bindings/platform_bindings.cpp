// Embind registration of the platform role (docs/thingspanel.md#roles): `new PlatformRole(options)`,
// a sans-I/O object the JS host (npm/src/platform.js) feeds with received
// messages and a clock. What a received message or a tick causes comes back as
// one frame (session_packed.hpp); the other calls return one plain JS object,
// JSON values (params, views) as JSON text parsed once in JS. Nothing throws:
// failures are {ok: false, code, reason, message}.
#include <emscripten/bind.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "convert.hpp"
#include "gateway/platform_role.hpp"
#include "json/writer.hpp"
#include "session_packed.hpp"

namespace tpgate::bindings {
namespace {

using gateway::json;
using gateway::Target;
namespace pf = gateway::platform;

mqtt::Error bad_argument(std::string path, const std::string& what) { return mqtt::argument_error(std::move(path), what); }

// Invalid UTF-8 becomes U+FFFD: dump() must not fail (no exceptions here).
std::string json_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::int64_t ms_from_js(double now) { return static_cast<std::int64_t>(now); }

// An array [...subGateways, subDevice] (the last element is the sub-device;
// [] is the gateway itself) or {subGateways, subDevice} (which can also name a
// sub-gateway itself).
mqtt::Result<Target> target_from_js(const val& value) {
  Target target;
  if (value.isUndefined() || value.isNull()) return target;
  if (val::global("Array").call<bool>("isArray", value)) {
    auto parts = strings_from_js(value, "target");
    if (!parts) return parts.error();
    if (!parts->empty()) {
      target.sub_device = parts->back();
      parts->pop_back();
      target.sub_gateways = std::move(*parts);
    }
  } else if (value.typeOf().as<std::string>() == "object") {
    val gateways = value["subGateways"];
    if (!gateways.isUndefined() && !gateways.isNull()) {
      auto parts = strings_from_js(gateways, "target.subGateways");
      if (!parts) return parts.error();
      target.sub_gateways = std::move(*parts);
    }
    val device = value["subDevice"];
    if (device.isString()) {
      target.sub_device = device.as<std::string>();
    } else if (!device.isUndefined() && !device.isNull()) {
      return bad_argument("target.subDevice", "expected a string, null or undefined");
    }
  } else {
    return bad_argument("target", "expected an array of addresses or {subGateways, subDevice}");
  }
  for (const auto& a : target.sub_gateways) {
    if (a.empty()) return bad_argument("target", "a sub-gateway address is empty");
  }
  if (target.sub_device && target.sub_device->empty()) return bad_argument("target", "the sub-device address is empty");
  return target;
}

mqtt::Result<json> json_from_js(const val& text, const char* where) {
  if (!text.isString()) return bad_argument(where, "expected JSON text");
  auto parsed = gateway::parse_json_text(text.as<std::string>());
  if (!parsed) return bad_argument(where, parsed.error().message);
  return std::move(*parsed);
}

mqtt::Result<std::string> string_from_js(const val& value, const char* where) {
  if (!value.isString()) return bad_argument(where, "expected a string");
  return value.as<std::string>();
}

mqtt::Result<pf::Options> options_from_js(const val& value) {
  ObjectReader in(value, "options");
  pf::Options options;
  in.string("shareGroup", options.share_group);
  in.string("defaultGateway", options.default_gateway);
  bool auto_ack = true;
  if (in.ok() && in.has("autoAck")) {
    in.boolean("autoAck", auto_ack);
    options.auto_ack_attributes = auto_ack;
    options.auto_ack_events = auto_ack;
  }
  std::string ack_topics = "spec";
  in.string("ackTopics", ack_topics);
  std::uint32_t timeout = 10'000;
  in.integer("requestTimeout", timeout);
  std::uint32_t max_events = 16;
  in.integer("maxRecentEvents", max_events);
  if (!in.ok()) return in.error();
  if (ack_topics == "spec") {
    options.ack_topics = pf::AckTopics::Spec;
  } else if (ack_topics == "backend") {
    options.ack_topics = pf::AckTopics::Backend;
  } else if (ack_topics == "both") {
    options.ack_topics = pf::AckTopics::Both;
  } else {
    return bad_argument("options.ackTopics", "expected 'spec', 'backend' or 'both'");
  }
  if (timeout == 0) return bad_argument("options.requestTimeout", "expected an integer of at least 1 (ms)");
  options.request_timeout_ms = timeout;
  options.max_recent_events = max_events;
  return options;
}

val publication_to_js(const pf::Publication& p) {
  val out = val::object();
  out.set("topic", p.topic);
  out.set("payload", p.payload);
  out.set("qos", static_cast<int>(p.qos));
  out.set("retain", p.retain);
  return out;
}

using Writer = tpgate::json::Writer;

// {"code","reason","message"} and, beside an MQTT outcome, {"kind","path"} (error_to_js's shape).
void write_error(Writer& w, const mqtt::Error& error) {
  const auto code = static_cast<std::uint8_t>(error.reason);
  w.begin_object().key("code").integer(code).key("reason").string(mqtt::reason_code_name(code));
  w.key("message").string(error.message);
  if (error.kind != mqtt::ErrorKind::Mqtt) {
    w.key("kind").string(error.kind == mqtt::ErrorKind::Argument ? "argument" : "payload").key("path").string(error.path);
  }
  w.end_object();
}

// {"path":[...sub-gateways, sub-device?],"subGateways":[...],"subDevice":...,"name":...}
void write_target(Writer& w, const Target& target) {
  w.begin_object().key("path").begin_array();
  for (const auto& gw : target.sub_gateways) w.string(gw);
  if (target.sub_device) w.string(*target.sub_device);
  w.end_array().key("subGateways").begin_array();
  for (const auto& gw : target.sub_gateways) w.string(gw);
  w.end_array();
  if (target.sub_device) w.key("subDevice").string(*target.sub_device);
  w.key("name").string(target.to_string()).end_object();
}

// {"type":..., "event":{...}}: the shape the JS API emits; the caller closes both.
Writer& open_event(Writer& w, std::string_view type) {
  return w.begin_object().key("type").string(type).key("event").begin_object();
}

// The events that are not telemetry, as the JSON text of a kJsonEvent record.
struct EventWriter {
  Writer& w;

  void operator()(const pf::TelemetryReceived&) const {}  // a kTelemetry record instead
  void operator()(const pf::AttributesReceived& e) const {
    open_event(w, "attributes").key("gateway").string(e.gateway).key("target");
    write_target(w, e.target);
    w.key("values").value(e.values).key("ts").integer(e.ts_ms).key("messageId").string(e.message_id);
    w.end_object().end_object();
  }
  void operator()(const pf::EventReceived& e) const {
    open_event(w, "event").key("gateway").string(e.gateway).key("target");
    write_target(w, e.target);
    w.key("method").string(e.method).key("params").value(e.params).key("ts").integer(e.ts_ms);
    w.key("messageId").string(e.message_id).end_object().end_object();
  }
  void operator()(const pf::StatusChanged& e) const {
    open_event(w, "status").key("deviceId").string(e.device_id).key("online").boolean(e.online);
    w.end_object().end_object();
  }
  void operator()(const pf::Warning& e) const {
    open_event(w, "warning").key("topic").string(e.topic).key("gateway").string(e.gateway);
    w.key("message").string(e.message).end_object().end_object();
  }
  // The request outcomes carry their fields beside "type".
  void operator()(const pf::RequestCompleted& e) const {
    const auto& r = e.response.response;
    w.begin_object().key("type").string("requestCompleted");
    w.key("token").integer(static_cast<std::int64_t>(e.token)).key("success").boolean(r.success).key("result");
    if (e.response.result) {
      w.value(json(*e.response.result));
    } else {
      w.null();
    }
    w.key("errcode").string(r.errcode).key("message").string(r.message).key("ts").integer(r.ts).key("method");
    if (r.method) {
      w.string(*r.method);
    } else {
      w.null();
    }
    w.key("problem").string(e.response.problem).key("rttMs").integer(e.rtt_ms).key("report");
    if (e.report) {
      w.value(*e.report);
    } else {
      w.null();
    }
    w.end_object();
  }
  void operator()(const pf::RequestTimedOut& e) const {
    w.begin_object().key("type").string("requestTimedOut");
    w.key("token").integer(static_cast<std::int64_t>(e.token)).key("message").string(e.message).end_object();
  }
  void operator()(const pf::ProtocolError& e) const {
    w.begin_object().key("type").string("protocolError");
    w.key("topic").string(e.topic).key("gateway").string(e.gateway).key("error");
    write_error(w, e.error);
    w.end_object();
  }
};

// Member names by id, for the key records: an open-addressing hash table
// (FNV-1a), so that each reading costs one hash and one compare, not a tree
// walk of string compares.
class KeyTable {
 public:
  static constexpr std::uint32_t kMissing = 0xFFFFFFFF;

  std::size_t size() const { return names_.size(); }

  std::uint32_t find(std::string_view name) const {
    if (slots_.empty()) return kMissing;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(name) & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = slots_[i];
      if (slot == 0) return kMissing;
      if (names_[slot - 1] == name) return slot - 1;
    }
  }

  // Adds `name` (not in the table) and returns its id.
  std::uint32_t add(std::string_view name) {
    if ((names_.size() + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 64 : slots_.size() * 2);
    names_.emplace_back(name);
    const auto id = static_cast<std::uint32_t>(names_.size() - 1);
    place(id);
    return id;
  }

 private:
  static std::size_t hash(std::string_view name) {
    std::uint32_t h = 2166136261U;
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619U;
    return h;
  }
  void place(std::uint32_t id) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash(names_[id]) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = id + 1;
  }
  void rehash(std::size_t size) {
    slots_.assign(size, 0);
    for (std::uint32_t id = 0; id < names_.size(); ++id) place(id);
  }

  std::vector<std::string> names_;
  std::vector<std::uint32_t> slots_;  // id + 1; 0 is empty
};

// Writes the platform role's outputs as one frame (session_packed.hpp: the
// publication, JSON event, telemetry, device and key records). Device and key
// records announce an id once per role; the reader keeps them.
class PlatformFrame {
 public:
  // Starts a frame: the header, filled in by finish().
  void begin() {
    out_.clear();
    std::memset(out_.grow(kPackedHeaderSize), 0, kPackedHeaderSize);
  }

  void publication(const pf::Publication& p) {
    put_u8(kPackedPublication);
    put_u8(static_cast<std::uint8_t>(static_cast<unsigned>(p.qos) | (p.retain ? 4U : 0U)));
    put_u16(0);
    put_u32(static_cast<std::uint32_t>(p.topic.size()));
    put_u32(static_cast<std::uint32_t>(p.payload.size()));
    out_.append(p.topic.data(), p.topic.size());
    out_.append(p.payload.data(), p.payload.size());
  }

  void event(const pf::PlatformEvent& e) {
    if (const auto* t = std::get_if<pf::TelemetryReceived>(&e)) {
      device(t->device, t->gateway, t->target);
      announce_keys(t->values);
      telemetry_head(t->device, t->ts_ms);
      write_value(t->values);
      return;
    }
    text_.clear();
    {
      Writer w(text_);
      std::visit(EventWriter{w}, e);
    }
    put_u8(kPackedJsonEvent);
    put_u8(0);
    put_u16(0);
    put_u32(static_cast<std::uint32_t>(text_.size()));
    out_.append(text_.data(), text_.size());
  }

  void fast(const pf::FastOutputs& f) {
    const auto& targets = f.telemetry.targets;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      // Fast path addresses are never empty: an empty sub_device is the gateway itself.
      const std::string_view sub_device = targets[i].sub_device;
      device(f.devices[i], f.gateway, f.telemetry.sub_gateways_of(targets[i]),
             sub_device.empty() ? nullptr : &sub_device);
      const auto readings = f.telemetry.readings_of(targets[i]);
      // Keys first (a key record may come before the telemetry record), and
      // the most the record can take, to reserve it at once.
      ids_.clear();
      std::size_t bound = 16 + 5;
      for (const auto& r : readings) {
        const std::uint32_t id = key_id(r.key);
        ids_.push_back(id);
        bound += 4 + 9 + (id == kInlineKey ? 4 + r.key.size() : 0);
        if (r.value.kind == tpgate::json::Scalar::Kind::String) bound += r.value.text.size();
      }
      std::uint8_t* const start = out_.grow(bound);
      std::uint8_t* p = start;
      const auto u32 = [&p](std::uint32_t v) {
        std::memcpy(p, &v, 4);
        p += 4;
      };
      const auto bytes = [&p, &u32](std::string_view text) {
        u32(static_cast<std::uint32_t>(text.size()));
        std::memcpy(p, text.data(), text.size());
        p += text.size();
      };
      *p++ = kPackedTelemetry;
      *p++ = 0;
      *p++ = 0;
      *p++ = 0;
      u32(f.devices[i]);
      const double ts = static_cast<double>(f.ts_ms);
      std::memcpy(p, &ts, 8);
      p += 8;
      *p++ = kValueObject;
      u32(static_cast<std::uint32_t>(readings.size()));
      for (std::size_t k = 0; k < readings.size(); ++k) {
        u32(ids_[k]);
        if (ids_[k] == kInlineKey) bytes(readings[k].key);
        const auto& v = readings[k].value;
        using Kind = tpgate::json::Scalar::Kind;
        switch (v.kind) {
          case Kind::Null: *p++ = kValueNull; break;
          case Kind::False: *p++ = kValueFalse; break;
          case Kind::True: *p++ = kValueTrue; break;
          case Kind::String:
            *p++ = kValueString;
            bytes(v.text);
            break;
          default: {
            *p++ = kValueNumber;
            const double d = v.as_double();
            std::memcpy(p, &d, 8);
            p += 8;
            break;
          }
        }
      }
      out_.shrink(bound - static_cast<std::size_t>(p - start));
    }
  }

  // Fills in the header; returns the frame's address.
  unsigned finish(std::optional<std::int64_t> deadline) {
    std::uint8_t* head = out_.data();
    const double d = deadline ? static_cast<double>(*deadline) : -1.0;
    const auto length = static_cast<std::uint32_t>(out_.size());
    std::memcpy(head + 8, &d, sizeof d);
    std::memcpy(head + 16, &length, sizeof length);
    return static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(head));
  }

 private:
  // Past this many keys, new keys are written in place (a payload of random keys must not grow the table for good).
  static constexpr std::size_t kMaxKeys = 4096;
  static constexpr std::uint32_t kInlineKey = 0xFFFFFFFF;

  void put_u8(std::uint8_t v) { *out_.grow(1) = v; }
  void put_u16(std::uint16_t v) { std::memcpy(out_.grow(2), &v, 2); }
  void put_u32(std::uint32_t v) { std::memcpy(out_.grow(4), &v, 4); }
  void put_f64(double v) { std::memcpy(out_.grow(8), &v, 8); }
  void put_string(std::string_view s) {
    put_u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }

  void telemetry_head(std::uint32_t device, std::int64_t ts) {
    put_u8(kPackedTelemetry);
    put_u8(0);
    put_u16(0);
    put_u32(device);
    put_f64(static_cast<double>(ts));
  }

  // A device record the first time `id` is written (sub_device null: none).
  template <class Parts>
  void device(std::uint32_t id, std::string_view gateway, const Parts& sub_gateways, const std::string_view* sub_device) {
    if (id < announced_.size() && announced_[id]) return;
    if (id >= announced_.size()) announced_.resize(id + 1, false);
    announced_[id] = true;
    put_u8(kPackedDevice);
    put_u8(sub_device != nullptr ? 1 : 0);
    put_u16(static_cast<std::uint16_t>(sub_gateways.size()));
    put_u32(id);
    put_string(gateway);
    for (const auto& gw : sub_gateways) put_string(gw);
    if (sub_device != nullptr) put_string(*sub_device);
  }
  void device(std::uint32_t id, std::string_view gateway, const Target& target) {
    const std::string_view name = target.sub_device ? std::string_view(*target.sub_device) : std::string_view();
    device(id, gateway, target.sub_gateways, target.sub_device ? &name : nullptr);
  }

  // The id of `name`, announcing it in a key record when new; kInlineKey when the table is full.
  std::uint32_t key_id(std::string_view name) {
    const std::uint32_t known = keys_.find(name);
    if (known != KeyTable::kMissing) return known;
    if (keys_.size() >= kMaxKeys) return kInlineKey;
    const std::uint32_t id = keys_.add(name);
    put_u8(kPackedKey);
    put_u8(0);
    put_u16(0);
    put_u32(id);
    put_string(name);
    return id;
  }

  // A member name inside a value: announced before the value started (key_id()).
  void key(std::string_view name) {
    const std::uint32_t id = keys_.find(name);
    if (id != KeyTable::kMissing) {
      put_u32(id);
    } else {
      put_u32(kInlineKey);
      put_string(name);
    }
  }

  void scalar(const tpgate::json::Scalar& s) {
    using Kind = tpgate::json::Scalar::Kind;
    switch (s.kind) {
      case Kind::Null: put_u8(kValueNull); break;
      case Kind::False: put_u8(kValueFalse); break;
      case Kind::True: put_u8(kValueTrue); break;
      case Kind::String:
        put_u8(kValueString);
        put_string(s.text);
        break;
      default: {
        std::uint8_t* at = out_.grow(9);
        const double d = s.as_double();
        *at = kValueNumber;
        std::memcpy(at + 1, &d, sizeof d);
        break;
      }
    }
  }

  // Announces every member name of `v` (at any depth) before it is written.
  void announce_keys(const json& v) {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        key_id(it.key());
        announce_keys(it.value());
      }
    } else if (v.is_array()) {
      for (const auto& item : v) announce_keys(item);
    }
  }

  void write_value(const json& v) {
    switch (v.type()) {
      case json::value_t::object:
        put_u8(kValueObject);
        put_u32(static_cast<std::uint32_t>(v.size()));
        for (auto it = v.begin(); it != v.end(); ++it) {
          key(it.key());
          write_value(it.value());
        }
        break;
      case json::value_t::array:
        put_u8(kValueArray);
        put_u32(static_cast<std::uint32_t>(v.size()));
        for (const auto& item : v) write_value(item);
        break;
      case json::value_t::string:
        put_u8(kValueString);
        put_string(v.get_ref<const std::string&>());
        break;
      case json::value_t::boolean: put_u8(v.get<bool>() ? kValueTrue : kValueFalse); break;
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
      case json::value_t::number_float:
        put_u8(kValueNumber);
        put_f64(v.get<double>());
        break;
      default: put_u8(kValueNull); break;
    }
  }

  PackedBuffer out_;
  std::string text_;
  std::vector<bool> announced_;
  KeyTable keys_;
  std::vector<std::uint32_t> ids_;  // scratch of fast()
};

// {ok: true, token, messageId, publication} or a failure.
val sent_to_js(const mqtt::Result<pf::Sent>& sent) {
  if (!sent) return failure_to_js(sent.error());
  val out = val::object();
  out.set("ok", true);
  out.set("token", static_cast<double>(sent->token));
  out.set("messageId", sent->message_id);
  out.set("publication", publication_to_js(sent->publication));
  return out;
}

json values_to_json(const gateway::ValuesAt& values) {
  json out = json::object();
  for (const auto& [key, v] : values) out[key] = json{{"value", v.value}, {"ts", v.ts_ms}};
  return out;
}

class PlatformRoleBinding {
 public:
  explicit PlatformRoleBinding(val options) {
    auto parsed = options_from_js(options);
    if (parsed) {
      role_.emplace(std::move(*parsed));
    } else {
      options_error_ = parsed.error();
    }
  }

  val optionsError() const { return options_error_ ? failure_to_js(*options_error_) : val::null(); }

  // {ok: true, filters: [...]} (one SUBSCRIBE each) or a failure.
  val subscriptions() const {
    if (!role_) return failure_to_js(*options_error_);
    auto filters = role_->subscriptions();
    if (!filters) return failure_to_js(filters.error());
    val list = val::array();
    for (const auto& f : *filters) list.call<void>("push", f);
    val out = val::object();
    out.set("ok", true);
    out.set("filters", list);
    return out;
  }

  // The receive path (npm/src/platform.js): topic, payload and sender (the
  // gateway's identity when no envelope names it; may be empty) were written
  // back to back at reserveScratch(); returns the address of the frame of
  // outputs (session_packed.hpp), valid until the next call on this role.
  unsigned receiveScratch(unsigned topic_length, unsigned payload_length, unsigned sender_length, double now) {
    const auto data = scratch(std::size_t{topic_length} + payload_length + sender_length);
    const std::string_view all(reinterpret_cast<const char*>(data.data()), data.size());
    const std::string_view topic = all.substr(0, topic_length);
    const std::string_view payload = all.substr(topic.size(), payload_length);
    const std::string_view sender = all.substr(topic.size() + payload.size());
    frame_.begin();
    if (!role_) return frame_.finish(std::nullopt);
    auto outputs = role_->receive(topic, payload, ms_from_js(now), sender, &fast_);
    write(outputs);
    if (fast_.taken) frame_.fast(fast_);
    return frame_.finish(role_->next_deadline());
  }

  // Requests whose deadline is <= now time out; the frame as receiveScratch().
  unsigned tick(double now) {
    frame_.begin();
    if (!role_) return frame_.finish(std::nullopt);
    write(role_->tick(ms_from_js(now)));
    return frame_.finish(role_->next_deadline());
  }

  val sendCommand(val dn, val target, val method, val params_json, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    auto m = string_from_js(method, "method");
    if (!m) return failure_to_js(m.error());
    auto p = json_from_js(params_json, "params");
    if (!p) return failure_to_js(p.error());
    return sent_to_js(role_->send_command(*d, *t, *m, *p, ms_from_js(now)));
  }

  val sendAttributeSet(val dn, val target, val values_json, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    auto v = json_from_js(values_json, "values");
    if (!v) return failure_to_js(v.error());
    return sent_to_js(role_->send_attribute_set(*d, *t, *v, ms_from_js(now)));
  }

  // shape: 'spec' or 'keys'.
  val sendAttributeGet(val dn, val target, val keys, val shape, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    std::vector<std::string> key_list;
    if (!keys.isUndefined() && !keys.isNull()) {
      auto k = strings_from_js(keys, "keys");
      if (!k) return failure_to_js(k.error());
      key_list = std::move(*k);
    }
    gateway::AttributeGetShape get_shape = gateway::AttributeGetShape::Spec;
    if (shape.isString() && shape.as<std::string>() == "keys") {
      get_shape = gateway::AttributeGetShape::Keys;
    } else if (!shape.isUndefined() && !(shape.isString() && shape.as<std::string>() == "spec")) {
      return failure_to_js(bad_argument("shape", "expected 'spec' or 'keys'"));
    }
    return sent_to_js(role_->send_attribute_get(*d, *t, key_list, get_shape, ms_from_js(now)));
  }

  val sendControl(val dn, val target, val values_json, double now) {
    if (!role_) return failure_to_js(*options_error_);
    auto d = string_from_js(dn, "deviceNumber");
    if (!d) return failure_to_js(d.error());
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    auto v = json_from_js(values_json, "values");
    if (!v) return failure_to_js(v.error());
    return sent_to_js(role_->send_control(*d, *t, *v, ms_from_js(now)));
  }

  // ms, or null when nothing waits.
  val nextDeadline() const {
    if (!role_) return val::null();
    auto d = role_->next_deadline();
    return d ? val(static_cast<double>(*d)) : val::null();
  }

  double pendingCount() const { return role_ ? static_cast<double>(role_->pending_count()) : 0.0; }

  void mapDevice(std::string device_id, std::string device_number) {
    if (role_) role_->map_device(std::move(device_id), std::move(device_number));
  }

  // JSON text {"telemetry":{k:{value,ts}},"attributes":{...},"events":[{method,params,ts}]},
  // null if nothing was heard, or a failure for a bad target.
  val device(std::string gateway_id, val target) const {
    if (!role_) return val::null();
    auto t = target_from_js(target);
    if (!t) return failure_to_js(t.error());
    const auto* view = role_->view().device(gateway_id, *t);
    if (view == nullptr) return val::null();
    json events = json::array();
    for (const auto& e : view->events) {
      events.push_back(json{{"method", e.method}, {"params", e.params}, {"ts", e.ts_ms.value_or(0)}});
    }
    json out = {{"telemetry", values_to_json(view->telemetry)},
                {"attributes", values_to_json(view->attributes)},
                {"events", std::move(events)}};
    return val(json_text(out));
  }

  // true / false, or null if the broker never spoke of `device_id`.
  val online(std::string device_id) const {
    if (!role_) return val::null();
    auto o = role_->view().online(device_id);
    return o ? val(*o) : val::null();
  }

 private:
  void write(const pf::Outputs& outputs) {
    for (const auto& p : outputs.publications) frame_.publication(p);
    for (const auto& e : outputs.events) frame_.event(e);
  }

  std::optional<pf::PlatformRole> role_;
  PlatformFrame frame_;  // the last receiveScratch()/tick() result
  pf::FastOutputs fast_;
  std::optional<mqtt::Error> options_error_;
};

}  // namespace
}  // namespace tpgate::bindings

EMSCRIPTEN_BINDINGS(tpgate_platform) {
  using tpgate::bindings::PlatformRoleBinding;
  emscripten::class_<PlatformRoleBinding>("PlatformRole")
      .constructor<emscripten::val>()
      .function("optionsError", &PlatformRoleBinding::optionsError)
      .function("subscriptions", &PlatformRoleBinding::subscriptions)
      .function("receiveScratch", &PlatformRoleBinding::receiveScratch)
      .function("sendCommand", &PlatformRoleBinding::sendCommand)
      .function("sendAttributeSet", &PlatformRoleBinding::sendAttributeSet)
      .function("sendAttributeGet", &PlatformRoleBinding::sendAttributeGet)
      .function("sendControl", &PlatformRoleBinding::sendControl)
      .function("tick", &PlatformRoleBinding::tick)
      .function("nextDeadline", &PlatformRoleBinding::nextDeadline)
      .function("pendingCount", &PlatformRoleBinding::pendingCount)
      .function("mapDevice", &PlatformRoleBinding::mapDevice)
      .function("device", &PlatformRoleBinding::device)
      .function("online", &PlatformRoleBinding::online);
}
