// The platform's picture of every device it has heard from (the platform role,
// docs/thingspanel.md#platform-behaviour): latest telemetry and attributes per key with the time they were
// measured, the last N events, and the broker's online status (docs/thingspanel.md#online-status).
// Fed by PlatformRole; hosts query it by gateway identity + target.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <span>

#include "gateway/payload_body.hpp"
#include "gateway/key_table.hpp"
#include "gateway/payload_tree.hpp"
#include "gateway/telemetry_fast.hpp"

namespace tpgate::gateway {

// One key's latest value and when it was measured (ms, docs/thingspanel.md#timestamps).
struct ValueAt {
  json value;
  std::int64_t ts_ms = 0;
  // The key's id in the view's KeyTable once a frame needed it (kMissing: not yet, or the table is full).
  std::uint32_t key_id = KeyTable::kMissing;
  friend bool operator==(const ValueAt& a, const ValueAt& b) { return a.value == b.value && a.ts_ms == b.ts_ms; }
};

using ValuesAt = std::map<std::string, ValueAt, std::less<>>;

struct DeviceView {
  std::uint32_t id = 0;  // 0, 1, 2, ... in the order devices were first heard
  ValuesAt telemetry;
  ValuesAt attributes;
  std::deque<EventRecord> events;  // oldest first, ts_ms always set
};

class PlatformView {
 public:
  explicit PlatformView(std::size_t max_events = 16) : max_events_(max_events) {}
  // The index points into devices_: a copy indexes its own (a move keeps the nodes).
  PlatformView(const PlatformView& other);
  PlatformView& operator=(const PlatformView& other);
  PlatformView(PlatformView&&) = default;
  PlatformView& operator=(PlatformView&&) = default;

  // A value replaces the stored one only if it is not older: historical
  // records (docs/thingspanel.md#historical-mode) arriving after a real-time report must not roll
  // the view back.
  // Each put_* returns the device's id.
  std::uint32_t put_telemetry(const std::string& gateway, const Target& target, const json& values,
                              std::int64_t ts_ms);
  // The fast path's form: the target as addresses (an empty sub_device: none);
  // key_ids[i] receives the id of values[i].key in keys().
  std::uint32_t put_telemetry(std::string_view gateway, std::span<const std::string_view> sub_gateways,
                              std::string_view sub_device, std::span<const FastReading> values, std::int64_t ts_ms,
                              std::uint32_t* key_ids);
  void put_attributes(const std::string& gateway, const Target& target, const json& values, std::int64_t ts_ms);
  // Keeps the last max_events, in arrival order.
  void put_event(const std::string& gateway, const Target& target, EventRecord event);
  void put_status(const std::string& device_id, bool online);

  // nullptr until something was heard for that device.
  const DeviceView* device(std::string_view gateway, const Target& target) const;
  // The broker's last word on `device_id`; nullopt if it never spoke.
  std::optional<bool> online(std::string_view device_id) const;
  std::size_t device_count() const { return devices_.size(); }
  // Ids of member names, for the frames the role's host writes.
  KeyTable& keys() { return keys_; }

 private:
  // Target::to_string() is ambiguous ("a/b" is sub-device b behind a, or
  // sub-gateway b behind a), so the key keeps the target's parts.
  struct Key {
    std::string gateway;
    std::vector<std::string> sub_gateways;
    std::optional<std::string> sub_device;
  };
  // A lookup that builds no Key (no copies of the strings) until one is stored.
  struct KeyRef {
    std::string_view gateway;
    const std::vector<std::string>& sub_gateways;
    const std::optional<std::string>& sub_device;
  };
  // Spelt out field by field: libc++ 14 has no operator<=> for std::string, and
  // clang with libstdc++ cannot compare a tuple of string with one of string_view.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view ag(a.gateway);
      const std::string_view bg(b.gateway);
      if (ag != bg) return ag < bg;
      if (a.sub_gateways != b.sub_gateways) return a.sub_gateways < b.sub_gateways;
      return a.sub_device < b.sub_device;
    }
  };
  DeviceView& slot(const std::string& gateway, const Target& target);
  // An index in front of devices_ (one hash and one comparison per lookup,
  // where the tree compares the gateway's name at every level).
  struct Slot {
    std::size_t hash = 0;
    const Key* key = nullptr;  // null: empty
    DeviceView* device = nullptr;
  };
  DeviceView* find_indexed(std::size_t hash, const KeyRef& ref) const;
  DeviceView& slot(std::string_view gateway, std::span<const std::string_view> sub_gateways,
                   std::string_view sub_device);
  void index(std::size_t hash, const Key& key, DeviceView& device);
  void rebuild();

  std::size_t max_events_;
  std::uint32_t next_id_ = 0;
  std::map<Key, DeviceView, KeyLess> devices_;
  std::vector<Slot> slots_;  // size a power of two, at most half full
  std::map<std::string, bool, std::less<>> online_;
  KeyTable keys_;
};

}  // namespace tpgate::gateway
