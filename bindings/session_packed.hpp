// The session's hot paths as flat bytes instead of JS objects.
//
// Building a JS object from C++ costs one boundary crossing per property, so
// a received message as {topic, payload, qos, ...} costs a dozen. Here a whole
// drain comes back as one Uint8Array (the "packed output"), and data goes in
// through a shared scratch area of the wasm heap that JS fills with one
// HEAPU8.set() or TextEncoder.encodeInto(). npm/src/packed.js reads and
// writes these layouts; keep the two in step.
//
// The packed output of a drain is a frame of the one layout (src/frame/frame.hpp, which
// describes every record kind), left in the module's packed buffer;
// takeFrame() returns its address and JS copies it out of the heap at once.
#pragma once

#include <cstdint>
#include <span>

#include "convert.hpp"
#include "frame/buffer.hpp"
#include "frame/frame.hpp"

namespace tpgate::bindings {

// Records of a packed output.
inline constexpr std::uint8_t kPackedMessage = frame::kMessage;
inline constexpr std::uint8_t kPackedPublishComplete = frame::kPublishComplete;
inline constexpr std::uint8_t kPackedOther = frame::kOther;
inline constexpr std::uint8_t kPackedPublication = frame::kPublication;
inline constexpr std::uint8_t kPackedJsonEvent = frame::kJsonEvent;
inline constexpr std::uint8_t kPackedTelemetry = frame::kTelemetry;
inline constexpr std::uint8_t kPackedDevice = frame::kDevice;
inline constexpr std::uint8_t kPackedKey = frame::kKey;
inline constexpr std::uint8_t kValueNull = frame::kValueNull;
inline constexpr std::uint8_t kValueFalse = frame::kValueFalse;
inline constexpr std::uint8_t kValueTrue = frame::kValueTrue;
inline constexpr std::uint8_t kValueNumber = frame::kValueNumber;
inline constexpr std::uint8_t kValueString = frame::kValueString;
inline constexpr std::uint8_t kValueObject = frame::kValueObject;
inline constexpr std::uint8_t kValueArray = frame::kValueArray;
inline constexpr std::size_t kPackedHeaderSize = frame::kHeaderSize;

using PackedBuffer = frame::Buffer;

// Appends one record to `records`: a received message (read in place), or an
// event; objects that do not fit a record are pushed onto `side` (created on
// first use).
void pack_message(const mqtt::PublishView& message, PackedBuffer& records);
void pack_event(const mqtt::Event& event, PackedBuffer& records, val& side);
// The record of a PublishCompleteEvent for a written QoS 0 message.
void pack_published(mqtt::Token token, PackedBuffer& records);

// Starts a frame in `frame`: room for the header, records to follow.
void start_frame(PackedBuffer& frame);
// Ends the frame of `frame` (started with start_frame(), records appended
// since): records of output.events, then output.journal, then output.bytes,
// then the header.
void finish_frame(const mqtt::Output& output, double deadline, PackedBuffer& frame, val& side);

// The module-wide scratch area: at least `size` bytes, valid until the next
// call into the module. Returns its address in the wasm heap.
std::uintptr_t reserve_scratch(std::size_t size);
std::span<const std::uint8_t> scratch(std::size_t size);

}  // namespace tpgate::bindings
