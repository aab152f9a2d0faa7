// The platform role's outputs as a frame of the one layout (src/frame/frame.hpp):
// publications, telemetry as binary values with interned keys and device ids,
// and the other events as JSON text the host writes in its own shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frame/buffer.hpp"
#include "frame/frame.hpp"
#include "frame/records.hpp"
#include "gateway/key_table.hpp"
#include "gateway/platform_role.hpp"

namespace tpgate::gateway::platform {

// Writes the platform role's outputs as one frame (src/frame/frame.hpp): the
// publication and JSON event records of frame::RecordWriter, and telemetry,
// device and key records. Device and key records announce an id once per
// role; the reader keeps them.
class FrameWriter : public frame::RecordWriter {
 public:
  using RecordWriter::publication;

  // The role's key ids, before the first frame with telemetry.
  void use_keys(KeyTable& keys) { keys_ = &keys; }

  void publication(const Publication& p) {
    RecordWriter::publication(p.topic, p.payload, static_cast<std::uint8_t>(p.qos), p.retain);
  }

  // A telemetry event of the full path.
  void telemetry(const TelemetryReceived& t) {
    device(t.device, t.gateway, t.target);
    announce_keys(t.values);
    telemetry_head(t.device, t.ts_ms);
    write_value(t.values);
  }

  void fast(const FastOutputs& f) {
    const auto& targets = f.telemetry.targets;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      // Fast path addresses are never empty: an empty sub_device is the gateway itself.
      const std::string_view sub_device = targets[i].sub_device;
      device(f.devices[i], f.gateway, f.telemetry.sub_gateways_of(targets[i]),
             sub_device.empty() ? nullptr : &sub_device);
      const auto readings = f.telemetry.readings_of(targets[i]);
      // Keys first (a key record may come before the telemetry record), and
      // the most the record can take, to reserve it at once. The view gave
      // each reading its key's id.
      const std::uint32_t* const ids = f.key_ids.data() + targets[i].first;
      std::size_t bound = 16 + 5;
      for (std::size_t k = 0; k < readings.size(); ++k) {
        const auto& r = readings[k];
        if (ids[k] == kInlineKey) {
          bound += 4 + r.key.size();
        } else {
          announce(ids[k]);
        }
        bound += 4 + 9;
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
      *p++ = frame::kTelemetry;
      *p++ = 0;
      *p++ = 0;
      *p++ = 0;
      u32(f.devices[i]);
      const double ts = static_cast<double>(f.ts_ms);
      std::memcpy(p, &ts, 8);
      p += 8;
      *p++ = frame::kValueObject;
      u32(static_cast<std::uint32_t>(readings.size()));
      for (std::size_t k = 0; k < readings.size(); ++k) {
        u32(ids[k]);
        if (ids[k] == kInlineKey) bytes(readings[k].key);
        const auto& v = readings[k].value;
        using Kind = tpgate::json::Scalar::Kind;
        switch (v.kind) {
          case Kind::Null: *p++ = frame::kValueNull; break;
          case Kind::False: *p++ = frame::kValueFalse; break;
          case Kind::True: *p++ = frame::kValueTrue; break;
          case Kind::String:
            *p++ = frame::kValueString;
            bytes(v.text);
            break;
          default: {
            *p++ = frame::kValueNumber;
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

 private:
  // Past this many keys, new keys are written in place (a payload of random keys must not grow the table for good).
  static constexpr std::uint32_t kInlineKey = frame::kInlineKey;

  void telemetry_head(std::uint32_t device, std::int64_t ts) {
    put_u8(frame::kTelemetry);
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
    put_u8(frame::kDevice);
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

  // A key record for `id` the first time a frame refers to it.
  void announce(std::uint32_t id) {
    if (id < announced_keys_.size() && announced_keys_[id]) return;
    if (id >= announced_keys_.size()) announced_keys_.resize(id + 1, false);
    announced_keys_[id] = true;
    put_u8(frame::kKey);
    put_u8(0);
    put_u16(0);
    put_u32(id);
    put_string(keys_->name(id));
  }

  // The id of `name`, announced; kInlineKey when the table is full.
  std::uint32_t key_id(std::string_view name) {
    const std::uint32_t id = keys_->id(name);
    if (id != kInlineKey) announce(id);
    return id;
  }

  // A member name inside a value: announced before the value started (key_id()).
  void key(std::string_view name) {
    const std::uint32_t id = keys_->find(name);
    if (id != KeyTable::kMissing && id < announced_keys_.size() && announced_keys_[id]) {
      put_u32(id);
    } else {
      put_u32(kInlineKey);
      put_string(name);
    }
  }

  void scalar(const tpgate::json::Scalar& s) {
    using Kind = tpgate::json::Scalar::Kind;
    switch (s.kind) {
      case Kind::Null: put_u8(frame::kValueNull); break;
      case Kind::False: put_u8(frame::kValueFalse); break;
      case Kind::True: put_u8(frame::kValueTrue); break;
      case Kind::String:
        put_u8(frame::kValueString);
        put_string(s.text);
        break;
      default: {
        std::uint8_t* at = out_.grow(9);
        const double d = s.as_double();
        *at = frame::kValueNumber;
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
        put_u8(frame::kValueObject);
        put_u32(static_cast<std::uint32_t>(v.size()));
        for (auto it = v.begin(); it != v.end(); ++it) {
          key(it.key());
          write_value(it.value());
        }
        break;
      case json::value_t::array:
        put_u8(frame::kValueArray);
        put_u32(static_cast<std::uint32_t>(v.size()));
        for (const auto& item : v) write_value(item);
        break;
      case json::value_t::string:
        put_u8(frame::kValueString);
        put_string(v.get_ref<const std::string&>());
        break;
      case json::value_t::boolean: put_u8(v.get<bool>() ? frame::kValueTrue : frame::kValueFalse); break;
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
      case json::value_t::number_float:
        put_u8(frame::kValueNumber);
        put_f64(v.get<double>());
        break;
      default: put_u8(frame::kValueNull); break;
    }
  }

  std::vector<bool> announced_;       // device ids
  std::vector<bool> announced_keys_;  // key ids
  KeyTable* keys_ = nullptr;          // the role's (PlatformRole::keys())
};

}  // namespace tpgate::gateway::platform
