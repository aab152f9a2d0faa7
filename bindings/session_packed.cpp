// Packed output and the scratch input area; see session_packed.hpp.
#include "session_packed.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

namespace tpgate::bindings {
namespace {

// One scratch area for the whole module: JS is single-threaded and every
// use is "reserve, fill, call" with nothing in between.
std::vector<std::uint8_t>& scratch_area() {
  static std::vector<std::uint8_t> area;
  return area;
}

template <class T>
void put(PackedBuffer& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::memcpy(out.grow(sizeof(T)), &value, sizeof(T));  // wasm is little endian
}

void push_side(val& side, val value) {
  if (side.isUndefined() || side.isNull()) side = val::array();
  side.call<void>("push", value);
}

struct RecordWriter {
  PackedBuffer& out;
  val& side;

  void operator()(const mqtt::MessageEvent& e) const {
    const auto& p = e.publish;
    const bool props = !p.properties.empty();
    const auto flags = static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.qos) | (p.retain ? 4 : 0) |
                                                 (p.dup ? 8 : 0) | (props ? 16 : 0));
    put<std::uint8_t>(out, kPackedMessage);
    put<std::uint8_t>(out, flags);
    put<std::uint16_t>(out, p.packet_id);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(p.topic.size()));
    put<std::uint32_t>(out, static_cast<std::uint32_t>(p.payload.size()));
    out.append(p.topic.data(), p.topic.size());
    out.append(p.payload.data(), p.payload.size());
    if (props) push_side(side, properties_to_js(p.properties));
  }
  void operator()(const mqtt::PublishCompleteEvent& e) const {
    const bool props = !e.properties.empty();
    put<std::uint8_t>(out, kPackedPublishComplete);
    put<std::uint8_t>(out, static_cast<std::uint8_t>(e.qos));
    put<std::uint8_t>(out, e.reason_code);
    put<std::uint8_t>(out, props ? 1 : 0);
    put<std::uint16_t>(out, e.packet_id);
    put<std::uint16_t>(out, 0);
    put<std::uint32_t>(out, e.token);
    if (props) push_side(side, properties_to_js(e.properties));
  }
  template <class Other>
  void operator()(const Other&) const = delete;
};

}  // namespace

void pack_output(const mqtt::Output& output, double deadline, PackedBuffer& packed, val& side) {
  std::uint8_t flags = (output.open_transport ? 1 : 0) | (output.close_transport ? 2 : 0);
  put<std::uint8_t>(packed, flags);  // the side bit is set below, once known
  put<std::uint8_t>(packed, 0);
  put<std::uint16_t>(packed, 0);
  put<std::uint32_t>(packed, static_cast<std::uint32_t>(output.bytes.size()));
  put<double>(packed, deadline);
  put<std::uint32_t>(packed, 0);  // the frame's length, once known
  put<std::uint32_t>(packed, 0);
  packed.append(output.bytes.data(), output.bytes.size());
  RecordWriter writer{packed, side};
  for (const auto& event : output.events) {
    if (const auto* m = std::get_if<mqtt::MessageEvent>(&event)) {
      writer(*m);
    } else if (const auto* c = std::get_if<mqtt::PublishCompleteEvent>(&event)) {
      writer(*c);
    } else {
      put<std::uint8_t>(packed, kPackedOther);
      push_side(side, event_to_js(event));
    }
  }
  if (!side.isUndefined() && !side.isNull()) packed.data()[0] |= 4;
  const auto length = static_cast<std::uint32_t>(packed.size());
  std::memcpy(packed.data() + 16, &length, sizeof length);
}

PackedBuffer::~PackedBuffer() { std::free(data_); }

std::uint8_t* PackedBuffer::grow(std::size_t more) {
  if (size_ + more > capacity_) {
    const std::size_t capacity = std::max({size_ + more, capacity_ * 2, std::size_t{4096}});
    auto* bigger = static_cast<std::uint8_t*>(std::realloc(data_, capacity));
    if (bigger == nullptr) std::abort();  // out of wasm memory: nothing sensible is left to do
    data_ = bigger;
    capacity_ = capacity;
  }
  std::uint8_t* at = data_ + size_;
  size_ += more;
  return at;
}

void PackedBuffer::append(const void* data, std::size_t size) {
  if (size != 0) std::memcpy(grow(size), data, size);
}

void PackedBuffer::trim(std::size_t keep) {
  if (capacity_ <= keep || size_ > keep) return;
  auto* smaller = static_cast<std::uint8_t*>(std::realloc(data_, keep));
  if (smaller == nullptr) return;
  data_ = smaller;
  capacity_ = keep;
}

std::uintptr_t reserve_scratch(std::size_t size) {
  auto& area = scratch_area();
  if (area.size() < size) area.resize(size);
  // A one-off huge payload should not pin its memory for the module's lifetime.
  constexpr std::size_t kKeep = 1 << 20;
  if (size <= kKeep && area.size() > kKeep) {
    area.resize(kKeep);
    area.shrink_to_fit();
  }
  return reinterpret_cast<std::uintptr_t>(area.data());
}

std::span<const std::uint8_t> scratch(std::size_t size) {
  auto& area = scratch_area();
  return {area.data(), std::min(size, area.size())};
}

}  // namespace tpgate::bindings
