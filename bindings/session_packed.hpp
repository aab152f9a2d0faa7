// The session's hot paths as flat bytes instead of JS objects.
//
// Building a JS object from C++ costs one boundary crossing per property, so
// a received message as {topic, payload, qos, ...} costs a dozen. Here a whole
// drain comes back as one Uint8Array (the "packed output"), and data goes in
// through a shared scratch area of the wasm heap that JS fills with one
// HEAPU8.set() or TextEncoder.encodeInto(). npm/src/packed.js reads and
// writes these layouts; keep the two in step.
//
// Packed output, little endian, one frame per drain, left in the session's
// frame buffer; takeFrame() returns its address and JS copies it out of the
// heap at once (one copy):
//   header (24 bytes)  u8 flags (1 open transport, 2 close transport, 4 side
//                      values waiting: call takeSide()), u8[3] zero,
//                      u32 length of the bytes to write, f64 deadline (-1 none),
//                      u32 length of the whole frame (header included), u32 zero
//   records, in event order (written as the events happen):
//     1 message         u8 1, u8 flags (bits 0-1 QoS, 2 retain, 3 dup,
//                       4 properties in side), u16 packet id, u32 topic length,
//                       u32 payload length, topic (UTF-8), payload
//     2 publishComplete u8 2, u8 QoS, u8 reason code, u8 properties in side,
//                       u16 packet id, u16 zero, u32 token
//     3 other event     u8 3: the next side value is the event object
//                       (the shapes of event_to_js)
//   bytes              to write to the transport, in order: the frame's last
//                      `length of the bytes` bytes
//   Side values (properties objects and other events) are consumed in record order.
#pragma once

#include <cstdint>
#include <span>

#include "convert.hpp"

namespace tpgate::bindings {

// Records of a packed output.
inline constexpr std::uint8_t kPackedMessage = 1;
inline constexpr std::uint8_t kPackedPublishComplete = 2;
inline constexpr std::uint8_t kPackedOther = 3;
inline constexpr std::size_t kPackedHeaderSize = 24;

// A growable byte buffer without std::vector's per-element construction and
// destruction, which the size-optimised (-Oz) build leaves as a call per byte.
class PackedBuffer {
 public:
  PackedBuffer() = default;
  PackedBuffer(const PackedBuffer&) = delete;
  PackedBuffer& operator=(const PackedBuffer&) = delete;
  ~PackedBuffer();

  void clear() { size_ = 0; }
  // Makes room for `more` bytes past size() and returns where they go.
  std::uint8_t* grow(std::size_t more);
  void append(const void* data, std::size_t size);
  // Gives back memory above `keep` bytes (after a one-off burst).
  void trim(std::size_t keep);
  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Appends one record to `records`: a received message (read in place), or an
// event; objects that do not fit a record are pushed onto `side` (created on
// first use).
void pack_message(const mqtt::PublishView& message, PackedBuffer& records, val& side);
void pack_event(const mqtt::Event& event, PackedBuffer& records, val& side);
// The record of a PublishCompleteEvent for a written QoS 0 message.
void pack_published(mqtt::Token token, PackedBuffer& records);

// Starts a frame in `frame`: room for the header, records to follow.
void start_frame(PackedBuffer& frame);
// Ends the frame of `frame` (started with start_frame(), records appended
// since): records of output.events, then output.bytes, then the header.
void finish_frame(const mqtt::Output& output, double deadline, PackedBuffer& frame, val& side);

// The module-wide scratch area: at least `size` bytes, valid until the next
// call into the module. Returns its address in the wasm heap.
std::uintptr_t reserve_scratch(std::size_t size);
std::span<const std::uint8_t> scratch(std::size_t size);

}  // namespace tpgate::bindings
