// The session's hot paths as flat bytes instead of JS objects.
//
// Building a JS object from C++ costs one boundary crossing per property, so
// a received message as {topic, payload, qos, ...} costs a dozen. Here a whole
// drain comes back as one Uint8Array (the "packed output"), and data goes in
// through a shared scratch area of the wasm heap that JS fills with one
// HEAPU8.set() or TextEncoder.encodeInto(). npm/src/packed.js reads and
// writes these layouts; keep the two in step.
//
// The frame: the one layout in which the core hands JS what it produced, for
// every role (the client session, the platform role), little endian, left in a
// buffer of the module; the call returns its address and JS reads it at once
// (copied out, or in place before any other call into the module).
// npm/src/packed.js is its only reader.
//   header (24 bytes)  u8 flags (1 open transport, 2 close transport, 4 side
//                      values waiting: call takeSide()), u8[3] zero,
//                      u32 length of the bytes to write, f64 deadline (-1 none),
//                      u32 length of the whole frame (header included), u32 zero
//   records, in event order (written as the events happen), each starting
//   with its kind:
//     1 message         u8 1, u8 flags (bits 0-1 QoS, 2 retain, 3 dup,
//                       4 properties in side), u16 packet id, u32 topic length,
//                       u32 payload length, topic (UTF-8), payload
//     2 publishComplete u8 2, u8 QoS, u8 reason code, u8 properties in side,
//                       u16 packet id, u16 zero, u32 token
//     3 other event     u8 3: the next side value is the event object
//                       (the shapes of event_to_js)
//     4 publication     u8 4, u8 flags (bits 0-1 QoS, 2 retain), u16 zero,
//                       u32 topic length, u32 payload length, topic, payload:
//                       a message for the host to publish (platform role)
//     6 JSON event      u8 6, u8[3] zero, u32 length, one event as UTF-8 JSON
//                       text, in the shape the JS API emits it (platform role)
//     7 telemetry       u8 7, u8[3] zero, u32 device id, f64 ts (ms), a value
//                       (the telemetry values)
//     9 device          u8 9, u8 1 if it names a sub-device, u16 number of
//                       sub-gateways n, u32 device id, then strings: the
//                       gateway, n sub-gateway addresses, the sub-device: what
//                       a device id stands for from here on (once per id)
//    10 key             u8 10, u8[3] zero, u32 key id, string: a member name
//                       that values refer to by id from here on (once per id)
//   A string is u32 length + UTF-8. A value is u8 tag then: 0 null, 1 false,
//   2 true, 3 number (f64), 4 string, 5 object (u32 count, then per member u32
//   key id, or 0xFFFFFFFF and the name as a string, then a value), 6 array (u32
//   count, then the values). Device and key ids belong to the writer (one per
//   platform role); the reader keeps their tables for as long as it lives.
//   bytes              to write to the transport, in order (client session):
//                      the frame's last `length of the bytes` bytes
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
inline constexpr std::uint8_t kPackedPublication = 4;
inline constexpr std::uint8_t kPackedJsonEvent = 6;
inline constexpr std::uint8_t kPackedTelemetry = 7;
inline constexpr std::uint8_t kPackedDevice = 9;
inline constexpr std::uint8_t kPackedKey = 10;
// Tags of a value in a record.
inline constexpr std::uint8_t kValueNull = 0;
inline constexpr std::uint8_t kValueFalse = 1;
inline constexpr std::uint8_t kValueTrue = 2;
inline constexpr std::uint8_t kValueNumber = 3;
inline constexpr std::uint8_t kValueString = 4;
inline constexpr std::uint8_t kValueObject = 5;
inline constexpr std::uint8_t kValueArray = 6;
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
  // Gives back the last `less` bytes of a grow() that reserved more than it used.
  void shrink(std::size_t less) { size_ -= less; }
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
