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

void put_message(PackedBuffer& out, const mqtt::PublishView& p) {
  const bool props = p.properties != nullptr && !p.properties->empty();
  const auto flags = static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.qos) | (p.retain ? 4 : 0) |
                                               (p.dup ? 8 : 0) | (props ? 16 : 0));
  // One grow for the record, its topic and its payload.
  std::uint8_t* at = out.grow(12 + p.topic.size() + p.payload.size());
  const auto topic_length = static_cast<std::uint32_t>(p.topic.size());
  const auto payload_length = static_cast<std::uint32_t>(p.payload.size());
  at[0] = kPackedMessage;
  at[1] = flags;
  std::memcpy(at + 2, &p.packet_id, 2);  // wasm is little endian
  std::memcpy(at + 4, &topic_length, 4);
  std::memcpy(at + 8, &payload_length, 4);
  if (topic_length != 0) std::memcpy(at + 12, p.topic.data(), topic_length);
  if (payload_length != 0) std::memcpy(at + 12 + topic_length, p.payload.data(), payload_length);
  if (props) write_properties(out, *p.properties);
}

void put_publish_complete(PackedBuffer& out, const mqtt::PublishCompleteEvent& e) {
  const bool props = !e.properties.empty();
  put<std::uint8_t>(out, kPackedPublishComplete);
  put<std::uint8_t>(out, static_cast<std::uint8_t>(e.qos));
  put<std::uint8_t>(out, e.reason_code);
  put<std::uint8_t>(out, props ? 1 : 0);
  put<std::uint16_t>(out, e.packet_id);
  put<std::uint16_t>(out, 0);
  put<std::uint32_t>(out, e.token);
  if (props) write_properties(out, e.properties);
}

}  // namespace

void pack_message(const mqtt::PublishView& message, PackedBuffer& records) {
  put_message(records, message);
}

void pack_event(const mqtt::Event& event, PackedBuffer& records, val& side) {
  if (const auto* m = std::get_if<mqtt::MessageEvent>(&event)) {
    put_message(records, mqtt::view_of(m->publish));
  } else if (const auto* c = std::get_if<mqtt::PublishCompleteEvent>(&event)) {
    put_publish_complete(records, *c);
  } else {
    put<std::uint8_t>(records, kPackedOther);
    push_side(side, event_to_js(event));
  }
}

void pack_published(mqtt::Token token, PackedBuffer& records) {
  std::uint8_t* at = records.grow(12);
  std::memset(at, 0, 8);  // QoS 0, reason 0, no properties, no identifier
  at[0] = kPackedPublishComplete;
  std::memcpy(at + 8, &token, 4);
}

void start_frame(PackedBuffer& frame) {
  frame.clear();
  std::memset(frame.grow(kPackedHeaderSize), 0, kPackedHeaderSize);
}

void finish_frame(const mqtt::Output& output, double deadline, PackedBuffer& frame, val& side) {
  for (const auto& event : output.events) pack_event(event, frame, side);
  frame.append(output.journal.data(), output.journal.size());
  frame.append(output.bytes.data(), output.bytes.size());
  std::uint8_t* header = frame.data();
  header[0] = static_cast<std::uint8_t>((output.open_transport ? 1 : 0) | (output.close_transport ? 2 : 0) |
                                        (!side.isUndefined() && !side.isNull() ? 4 : 0));
  const auto bytes_length = static_cast<std::uint32_t>(output.bytes.size());
  const auto length = static_cast<std::uint32_t>(frame.size());
  std::memcpy(header + 4, &bytes_length, 4);  // wasm is little endian
  std::memcpy(header + 8, &deadline, 8);
  std::memcpy(header + 16, &length, 4);
  const auto journal_length = static_cast<std::uint32_t>(output.journal.size());
  std::memcpy(header + 20, &journal_length, 4);
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
