#include "gateway/platform_view.hpp"

#include <algorithm>
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

// The readings come sorted by key (telemetry_fast.hpp), as the map keeps its
// keys: one walk through both, usually one comparison per reading. The key's
// id is looked up once per device and kept with its value.
void put_values(ValuesAt& into, std::span<const FastReading> values, std::int64_t ts_ms, KeyTable& keys,
                std::uint32_t* key_ids) {
  auto it = into.begin();
  for (const FastReading& r : values) {
    int order = 1;
    while (it != into.end() && (order = tpgate::json::compare_names(it->first, r.key)) < 0) ++it;
    if (order != 0) {
      it = into.emplace_hint(it, std::string(r.key), ValueAt{tpgate::json::to_value(r.value), ts_ms});
    } else if (ts_ms >= it->second.ts_ms) {
      tpgate::json::assign(it->second.value, r.value);
      it->second.ts_ms = ts_ms;
    }
    if (it->second.key_id == KeyTable::kMissing) it->second.key_id = keys.id(r.key);
    *key_ids++ = it->second.key_id;
    ++it;
  }
}

}  // namespace

namespace {

// FNV-1a over the key's parts, each followed by a byte no address holds alone.
template <class Parts>
std::size_t hash_parts(std::string_view gateway, const Parts& sub_gateways, const std::string_view* sub_device) {
  std::uint32_t h = 2166136261U;
  const auto add = [&h](std::string_view part, unsigned char end) {
    for (const char c : part) h = (h ^ static_cast<unsigned char>(c)) * 16777619U;
    h = (h ^ end) * 16777619U;
  };
  add(gateway, 1);
  for (const auto& gw : sub_gateways) add(gw, 2);
  if (sub_device != nullptr) add(*sub_device, 3);
  return h;
}

std::size_t hash_key(std::string_view gateway, const std::vector<std::string>& sub_gateways,
                     const std::optional<std::string>& sub_device) {
  const std::string_view device = sub_device ? std::string_view(*sub_device) : std::string_view();
  return hash_parts(gateway, sub_gateways, sub_device ? &device : nullptr);
}

}  // namespace

PlatformView::PlatformView(const PlatformView& other)
    : max_events_(other.max_events_), next_id_(other.next_id_), devices_(other.devices_), online_(other.online_) {
  rebuild();
}

PlatformView& PlatformView::operator=(const PlatformView& other) {
  if (this != &other) *this = PlatformView(other);
  return *this;
}

DeviceView* PlatformView::find_indexed(std::size_t hash, const KeyRef& ref) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key == nullptr) return nullptr;
    if (s.hash == hash && std::string_view(s.key->gateway) == ref.gateway && s.key->sub_gateways == ref.sub_gateways &&
        s.key->sub_device == ref.sub_device) {
      return s.device;
    }
  }
}

void PlatformView::index(std::size_t hash, const Key& key, DeviceView& device) {
  if (devices_.size() * 2 > slots_.size()) {
    rebuild();  // device is in devices_ already
    return;
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].key != nullptr) i = (i + 1) & mask;
  slots_[i] = Slot{hash, &key, &device};
}

void PlatformView::rebuild() {
  std::size_t size = 64;
  while (size < devices_.size() * 2) size *= 2;
  slots_.assign(size, Slot{});
  const std::size_t mask = size - 1;
  for (auto& [k, d] : devices_) {
    const std::size_t hash = hash_key(k.gateway, k.sub_gateways, k.sub_device);
    std::size_t i = hash & mask;
    while (slots_[i].key != nullptr) i = (i + 1) & mask;
    slots_[i] = Slot{hash, &k, &d};
  }
}

DeviceView& PlatformView::slot(std::string_view gateway, std::span<const std::string_view> sub_gateways,
                               std::string_view sub_device) {
  const std::size_t hash = hash_parts(gateway, sub_gateways, sub_device.empty() ? nullptr : &sub_device);
  if (!slots_.empty()) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key == nullptr) break;
      const Key& k = *s.key;
      if (s.hash == hash && std::string_view(k.gateway) == gateway &&
          std::equal(k.sub_gateways.begin(), k.sub_gateways.end(), sub_gateways.begin(), sub_gateways.end()) &&
          (k.sub_device ? std::string_view(*k.sub_device) == sub_device && !sub_device.empty() : sub_device.empty())) {
        return *s.device;
      }
    }
  }
  Target target;
  target.sub_gateways.assign(sub_gateways.begin(), sub_gateways.end());
  if (!sub_device.empty()) target.sub_device = std::string(sub_device);
  return slot(std::string(gateway), target);
}

DeviceView& PlatformView::slot(const std::string& gateway, const Target& target) {
  const KeyRef ref{gateway, target.sub_gateways, target.sub_device};
  const std::size_t hash = hash_key(gateway, target.sub_gateways, target.sub_device);
  if (DeviceView* found = find_indexed(hash, ref)) return *found;
  auto it = devices_.emplace(Key{gateway, target.sub_gateways, target.sub_device}, DeviceView{}).first;
  it->second.id = next_id_++;
  index(hash, it->first, it->second);
  return it->second;
}

std::uint32_t PlatformView::put_telemetry(const std::string& gateway, const Target& target, const json& values,
                                          std::int64_t ts_ms) {
  DeviceView& device = slot(gateway, target);
  put_values(device.telemetry, values, ts_ms);
  return device.id;
}

std::uint32_t PlatformView::put_telemetry(std::string_view gateway, std::span<const std::string_view> sub_gateways,
                                          std::string_view sub_device, std::span<const FastReading> values,
                                          std::int64_t ts_ms, std::uint32_t* key_ids) {
  DeviceView& device = slot(gateway, sub_gateways, sub_device);
  put_values(device.telemetry, values, ts_ms, keys_, key_ids);
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
  return find_indexed(hash_key(gateway, target.sub_gateways, target.sub_device),
                      KeyRef{gateway, target.sub_gateways, target.sub_device});
}

std::optional<bool> PlatformView::online(std::string_view device_id) const {
  auto it = online_.find(device_id);
  if (it == online_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tpgate::gateway
