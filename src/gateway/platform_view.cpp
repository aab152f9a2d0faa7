#include "gateway/platform_view.hpp"

#include <utility>

namespace tpgate::gateway {

namespace {

void put_values(ValuesAt& into, const json& values, std::int64_t ts_ms) {
  if (!values.is_object()) return;
  for (auto it = values.begin(); it != values.end(); ++it) {
    auto found = into.lower_bound(it.key());
    if (found == into.end() || found->first != it.key()) {
      into.emplace_hint(found, it.key(), ValueAt{it.value(), ts_ms});
    } else if (ts_ms >= found->second.ts_ms) {
      found->second.value = it.value();
      found->second.ts_ms = ts_ms;
    }
  }
}

void put_values(ValuesAt& into, std::span<const FastReading> values, std::int64_t ts_ms) {
  for (const FastReading& r : values) {
    auto found = into.lower_bound(r.key);
    if (found == into.end() || found->first != r.key) {
      into.emplace_hint(found, std::string(r.key), ValueAt{tpgate::json::to_value(r.value), ts_ms});
    } else if (ts_ms >= found->second.ts_ms) {
      found->second.value = tpgate::json::to_value(r.value);
      found->second.ts_ms = ts_ms;
    }
  }
}

}  // namespace

DeviceView& PlatformView::slot(const std::string& gateway, const Target& target) {
  const KeyRef ref{gateway, target.sub_gateways, target.sub_device};
  auto it = devices_.lower_bound(ref);
  if (it == devices_.end() || KeyLess{}(ref, it->first)) {
    it = devices_.emplace_hint(it, Key{gateway, target.sub_gateways, target.sub_device}, DeviceView{});
    it->second.id = next_id_++;
  }
  return it->second;
}

std::uint32_t PlatformView::put_telemetry(const std::string& gateway, const Target& target, const json& values,
                                          std::int64_t ts_ms) {
  DeviceView& device = slot(gateway, target);
  put_values(device.telemetry, values, ts_ms);
  return device.id;
}

std::uint32_t PlatformView::put_telemetry(const std::string& gateway, const Target& target,
                                          std::span<const FastReading> values, std::int64_t ts_ms) {
  DeviceView& device = slot(gateway, target);
  put_values(device.telemetry, values, ts_ms);
  return device.id;
}

void PlatformView::put_attributes(const std::string& gateway, const Target& target, const json& values,
                                  std::int64_t ts_ms) {
  put_values(slot(gateway, target).attributes, values, ts_ms);
}

void PlatformView::put_event(const std::string& gateway, const Target& target, EventRecord event) {
  if (max_events_ == 0) return;
  auto& events = slot(gateway, target).events;
  events.push_back(std::move(event));
  while (events.size() > max_events_) events.pop_front();
}

void PlatformView::put_status(const std::string& device_id, bool online) { online_[device_id] = online; }

const DeviceView* PlatformView::device(std::string_view gateway, const Target& target) const {
  auto it = devices_.find(KeyRef{gateway, target.sub_gateways, target.sub_device});
  return it == devices_.end() ? nullptr : &it->second;
}

std::optional<bool> PlatformView::online(std::string_view device_id) const {
  auto it = online_.find(device_id);
  if (it == online_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tpgate::gateway
