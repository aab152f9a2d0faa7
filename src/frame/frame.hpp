// The one frame layout: everything the core hands JS in volume (a client
// session's drain, the platform role's outputs, a fleet's output) crosses the
// boundary as one frame of this layout, and npm/src/packed.js is the one JS
// module that reads it. A new capability adds a record kind here and a branch
// there; keep the two in step (tests/js/fleet-frame.test.js and the platform
// client's receive tests in tests/js/platform-client.test.js check that they
// agree on every kind).
//
// Plain C++, no Embind: the bindings (session_packed.cpp, the client session),
// the roles' writers (src/frame/records.hpp, the records both write;
// src/gateway/platform_frame.hpp and src/gateway/gateway_frame.hpp) and the
// emulator's Fleet (src/emulator/fleet.cpp) write it.
//
// A frame, little endian, left in a buffer of the module; the call returns its
// address and JS reads it at once (copied out, or in place before any other
// call into the module, as a view would die when the heap grows):
//   header (24 bytes)  u8 flags (1 open transport, 2 close transport, 4 side
//                      values waiting: call takeSide(); 0 from a role or a
//                      fleet), u8[3] zero, u32 length of the bytes to write
//                      (0 but from a client session), f64 deadline in ms (-1
//                      none), u32 length of the whole frame (header included),
//                      u32 length of the session journal (a client session
//                      with a store, mqtt/session_store.hpp; 0 otherwise)
//   records, in event order (written as the events happen), each starting
//   with its u8 kind:
//     1 message         u8 1, u8 flags (bits 0-1 QoS, 2 retain, 3 dup,
//                       4 properties follow), u16 packet id, u32 topic length,
//                       u32 payload length, topic (UTF-8), payload, then with
//                       bit 4 the MQTT 5 properties as a value (an object)
//     2 publishComplete u8 2, u8 QoS, u8 reason code, u8 1 if properties
//                       follow, u16 packet id, u16 zero, u32 token, then the
//                       properties as a value
//     3 other event     u8 3: the next side value is the event object
//                       (the shapes of event_to_js)
//     4 publication     u8 4, u8 flags (bits 0-1 QoS, 2 retain), u16 zero,
//                       u32 topic length, u32 payload length, topic, payload:
//                       a message for the host to publish (either role)
//     5 gatewayOutput   u8 5, u8 flags (1 open a transport, 2 close it after
//                       these bytes, 4 the gateway ended for good), u16 zero,
//                       u32 gateway index (local to the fleet), u32 byte length,
//                       the bytes to write to that gateway's transport
//     6 json event      u8 6, u8[3] zero, u32 length, one event as a UTF-8 JSON
//                       object, in the shape the JS API emits it
//     7 telemetry       u8 7, u8[3] zero, u32 device id, f64 ts (ms), a value
//                       (the telemetry values)
//     9 device          u8 9, u8 1 if it names a sub-device, u16 number of
//                       sub-gateways n, u32 device id, then strings: the
//                       gateway, n sub-gateway addresses, the sub-device: what
//                       a device id stands for from here on (once per id)
//    10 key             u8 10, u8[3] zero, u32 key id, string: a member name
//                       that values refer to by id from here on (once per id)
//   journal            for the session's store, appended to it before the
//                      bytes are written: the `length of the journal` bytes
//                      just before the bytes
//   bytes              to write to the transport, in order (a client session):
//                      the frame's last `length of the bytes` bytes
//   A string is u32 length + UTF-8. A value is u8 tag then: 0 null, 1 false,
//   2 true, 3 number (f64), 4 string, 5 object (u32 count, then per member u32
//   key id, or 0xFFFFFFFF and the name as a string, then a value), 6 array (u32
//   count, then the values), 7 bytes (u32 length, the bytes: a Uint8Array). Device and key ids belong to the writer (one per
//   platform role); the reader keeps their tables for as long as it lives.
//   Side values (the objects of other events) are consumed in record order.
//   A fleet's records for one gateway are acted on in order: its bytes are
//   written before its close; an open request is a record of its own.
//
// Input to a fleet (receiveFrame) is a run of gatewayOutput-shaped records
// (kind 5, flags 0) without a header: the bytes each gateway's transport read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tpgate::frame {

inline constexpr std::size_t kHeaderSize = 24;

// Header flags.
inline constexpr std::uint8_t kOpenTransport = 1;
inline constexpr std::uint8_t kCloseTransport = 2;
inline constexpr std::uint8_t kSideValues = 4;

// Record kinds.
inline constexpr std::uint8_t kMessage = 1;
inline constexpr std::uint8_t kPublishComplete = 2;
inline constexpr std::uint8_t kOther = 3;
inline constexpr std::uint8_t kPublication = 4;
inline constexpr std::uint8_t kGatewayOutput = 5;
inline constexpr std::uint8_t kJsonEvent = 6;
inline constexpr std::uint8_t kTelemetry = 7;
inline constexpr std::uint8_t kDevice = 9;
inline constexpr std::uint8_t kKey = 10;

// Tags of a value in a record.
inline constexpr std::uint8_t kValueNull = 0;
inline constexpr std::uint8_t kValueFalse = 1;
inline constexpr std::uint8_t kValueTrue = 2;
inline constexpr std::uint8_t kValueNumber = 3;
inline constexpr std::uint8_t kValueString = 4;
inline constexpr std::uint8_t kValueObject = 5;
inline constexpr std::uint8_t kValueArray = 6;
inline constexpr std::uint8_t kValueBytes = 7;
inline constexpr std::uint32_t kInlineKey = 0xFFFFFFFF;

// Fixed parts of the records, before their variable bytes.
inline constexpr std::size_t kGatewayOutputHead = 12;
inline constexpr std::size_t kJsonEventHead = 8;

// Flags of a gatewayOutput record.
inline constexpr std::uint8_t kGatewayOpen = 1;
inline constexpr std::uint8_t kGatewayClose = 2;
inline constexpr std::uint8_t kGatewayEnded = 4;

template <class T>
inline void put(std::uint8_t* at, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::memcpy(at, &value, sizeof(T));  // little endian: wasm and x86/arm hosts
}

template <class T>
inline T get(const std::uint8_t* at) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

// Fills the 24 header bytes at `at`.
inline void put_header(std::uint8_t* at, std::uint8_t flags, std::uint32_t bytes_length, double deadline,
                       std::uint32_t frame_length) {
  put<std::uint8_t>(at, flags);
  put<std::uint8_t>(at + 1, 0);
  put<std::uint16_t>(at + 2, 0);
  put<std::uint32_t>(at + 4, bytes_length);
  put<double>(at + 8, deadline);
  put<std::uint32_t>(at + 16, frame_length);
  put<std::uint32_t>(at + 20, 0);
}

// The fixed part of a gatewayOutput record at `at`.
inline void put_gateway_output(std::uint8_t* at, std::uint8_t flags, std::uint32_t gateway, std::uint32_t length) {
  put<std::uint8_t>(at, kGatewayOutput);
  put<std::uint8_t>(at + 1, flags);
  put<std::uint16_t>(at + 2, 0);
  put<std::uint32_t>(at + 4, gateway);
  put<std::uint32_t>(at + 8, length);
}

// The fixed part of a json event record at `at`.
inline void put_json_event(std::uint8_t* at, std::uint32_t length) {
  put<std::uint8_t>(at, kJsonEvent);
  put<std::uint8_t>(at + 1, 0);
  put<std::uint16_t>(at + 2, 0);
  put<std::uint32_t>(at + 4, length);
}

}  // namespace tpgate::frame
