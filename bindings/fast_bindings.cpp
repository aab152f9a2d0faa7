// A flat C ABI for the codec's hot path: PUBLISH in and out without one Embind
// call per field.
//
// Why: through Embind every field of a decoded packet is a separate JS call
// (val::set), every byte array a conversion, and every packet a new val
// object; profiles of Decoder.feed/encodePacket spend most of their time in
// those crossings, not in the codec. Here the host copies bytes into a
// staging buffer in the wasm heap, makes one call, and reads the result as
// plain integers from the heap (the boundary is crossed in batches, never per
// field). Packets other than PUBLISH, PUBLISH with properties, and errors
// are rare on a hot path; for them the host asks for the Embind object by
// index (fastPacket, fastError), so nothing is lost.
//
// Records written by tpg_fast_decode, kRecordWords uint32 per packet:
//   [0] packet type (1..15) | dup << 8 | qos << 9 | retain << 11 | has properties << 12
//   [1] packet id   [2] topic pointer   [3] topic length
//   [4] payload pointer   [5] payload length
// Pointers stay valid until the next call on the same decoder.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "convert.hpp"
#include "mqtt/codec.hpp"

namespace tpgate::bindings {
namespace {

constexpr std::size_t kRecordWords = 6;

struct FastDecoder {
  explicit FastDecoder(mqtt::DecoderOptions options) : decoder(options) {}
  mqtt::Decoder decoder;
  std::vector<std::uint8_t> input;
  std::vector<mqtt::Packet> packets;
  std::vector<std::uint32_t> records;
  std::optional<mqtt::Error> error;
};

// One staging area per module for encoding: the wasm module is single-threaded
// and the host copies the result out before its next call.
struct FastEncoder {
  std::vector<std::uint8_t> input;
  std::vector<std::uint8_t> output;
  // Filled in place for each call, so topic and payload keep their capacity.
  mqtt::Packet packet{mqtt::Publish{}};
  std::optional<mqtt::Error> error;
};

FastEncoder& encoder() {
  static FastEncoder instance;
  return instance;
}

std::uint8_t* reserve(std::vector<std::uint8_t>& buffer, std::size_t n) {
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

std::uint32_t address(const void* p) { return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p)); }

FastDecoder* as_decoder(std::uint32_t handle) { return reinterpret_cast<FastDecoder*>(static_cast<std::uintptr_t>(handle)); }

// Embind fallbacks for what the records do not carry.
val fast_packet(std::uint32_t handle, unsigned index) {
  const FastDecoder* d = as_decoder(handle);
  return index < d->packets.size() ? packet_to_js(d->packets[index]) : val::undefined();
}

val fast_decoder_error(std::uint32_t handle) {
  const FastDecoder* d = as_decoder(handle);
  return d->error ? failure_to_js(*d->error) : val::null();
}

val fast_encode_error() { return encoder().error ? failure_to_js(*encoder().error) : val::null(); }

// The whole wasm memory as a Uint8Array: the host's view of the records and
// staging buffers. A new view is needed after the memory grows.
val fast_memory() { return val(emscripten::typed_memory_view(0, static_cast<std::uint8_t*>(nullptr)))["buffer"]; }

}  // namespace
}  // namespace tpgate::bindings

using tpgate::bindings::FastDecoder;

extern "C" {

// `version`: 4 or 5; `role`: 0 any, 1 client, 2 server. 0 on bad arguments.
EMSCRIPTEN_KEEPALIVE std::uint32_t tpg_fast_decoder_new(int version, int role, std::uint32_t max_packet_size) {
  using namespace tpgate;
  if ((version != 4 && version != 5) || role < 0 || role > 2) return 0;
  mqtt::DecoderOptions options;
  options.version = static_cast<mqtt::ProtocolVersion>(version);
  options.role = static_cast<mqtt::Role>(role);
  options.max_packet_size = max_packet_size;
  return bindings::address(new FastDecoder(options));
}

EMSCRIPTEN_KEEPALIVE void tpg_fast_decoder_free(std::uint32_t handle) { delete tpgate::bindings::as_decoder(handle); }

EMSCRIPTEN_KEEPALIVE void tpg_fast_decoder_reset(std::uint32_t handle) {
  FastDecoder* d = tpgate::bindings::as_decoder(handle);
  d->decoder.reset();
  d->error.reset();
  d->packets.clear();
}

// Where the host writes the next `n` bytes to feed.
EMSCRIPTEN_KEEPALIVE std::uint32_t tpg_fast_decoder_input(std::uint32_t handle, std::uint32_t n) {
  return tpgate::bindings::address(tpgate::bindings::reserve(tpgate::bindings::as_decoder(handle)->input, n));
}

// Feeds `n` staged bytes and decodes every packet they complete. Returns the
// packet count; on a malformed stream -(count + 1), the packets before the
// error still in the records (fast_decoder_error says what was wrong).
EMSCRIPTEN_KEEPALIVE int tpg_fast_decode(std::uint32_t handle, std::uint32_t n) {
  using namespace tpgate;
  FastDecoder* d = bindings::as_decoder(handle);
  d->packets.clear();
  d->records.clear();
  d->decoder.feed(std::span<const std::uint8_t>(d->input.data(), n));
  d->records.reserve(bindings::kRecordWords * 4);
  mqtt::Packet packet;
  mqtt::Error error;
  for (;;) {
    const auto status = d->decoder.next(packet, error);
    if (status != mqtt::Decoder::Status::Packet) {
      if (status == mqtt::Decoder::Status::Error) d->error = error;
      break;
    }
    d->packets.push_back(std::move(packet));
  }
  for (const auto& p : d->packets) {
    std::uint32_t word0 = static_cast<std::uint32_t>(p.index() + 1);
    std::uint32_t id = 0, topic = 0, topic_len = 0, payload = 0, payload_len = 0;
    if (const auto* pub = std::get_if<mqtt::Publish>(&p)) {
      word0 |= (pub->dup ? 1u : 0u) << 8 | static_cast<std::uint32_t>(pub->qos) << 9 | (pub->retain ? 1u : 0u) << 11 |
               (pub->properties.empty() ? 0u : 1u) << 12;
      id = pub->packet_id;
      topic = bindings::address(pub->topic.data());
      topic_len = static_cast<std::uint32_t>(pub->topic.size());
      payload = bindings::address(pub->payload.data());
      payload_len = static_cast<std::uint32_t>(pub->payload.size());
    }
    d->records.insert(d->records.end(), {word0, id, topic, topic_len, payload, payload_len});
  }
  const int count = static_cast<int>(d->packets.size());
  return d->error ? -(count + 1) : count;
}

EMSCRIPTEN_KEEPALIVE std::uint32_t tpg_fast_decoder_records(std::uint32_t handle) {
  return tpgate::bindings::address(tpgate::bindings::as_decoder(handle)->records.data());
}

// Where the host writes topic then payload (UTF-8 / raw bytes) for the next
// tpg_fast_encode_publish.
EMSCRIPTEN_KEEPALIVE std::uint32_t tpg_fast_encode_input(std::uint32_t n) {
  return tpgate::bindings::address(tpgate::bindings::reserve(tpgate::bindings::encoder().input, n));
}

// Encodes a PUBLISH without properties from the staged topic and payload.
// `flags`: dup | qos << 1 | retain << 3. Returns the encoded length (bytes at
// tpg_fast_encode_output()), or -1 (fastEncodeError says why).
EMSCRIPTEN_KEEPALIVE int tpg_fast_encode_publish(int version, std::uint32_t flags, std::uint32_t packet_id,
                                                 std::uint32_t topic_len, std::uint32_t payload_len) {
  using namespace tpgate;
  auto& e = bindings::encoder();
  e.error.reset();
  mqtt::Publish& p = std::get<mqtt::Publish>(e.packet);
  const std::uint8_t* in = e.input.data();
  p.dup = (flags & 1u) != 0;
  p.qos = static_cast<mqtt::QoS>((flags >> 1) & 3u);  // 3 reaches the encoder, which refuses it [MQTT-3.3.1-4]
  p.retain = (flags & 8u) != 0;
  p.packet_id = static_cast<std::uint16_t>(packet_id);
  p.topic.assign(reinterpret_cast<const char*>(in), topic_len);
  p.payload.assign(in + topic_len, in + topic_len + payload_len);
  if (version != 4 && version != 5) {
    e.error = mqtt::make_error(mqtt::ReasonCode::UnspecifiedError, "version: expected 4 (MQTT 3.1.1) or 5 (MQTT 5.0)");
    return -1;
  }
  mqtt::EncodeOptions options;
  options.version = static_cast<mqtt::ProtocolVersion>(version);
  e.output.clear();
  auto status = mqtt::encode(e.packet, options, e.output);
  if (!status) {
    e.error = status.error();
    return -1;
  }
  return static_cast<int>(e.output.size());
}

EMSCRIPTEN_KEEPALIVE std::uint32_t tpg_fast_encode_output() {
  return tpgate::bindings::address(tpgate::bindings::encoder().output.data());
}

}  // extern "C"

EMSCRIPTEN_BINDINGS(tpgate_fast) {
  emscripten::function("fastPacket", &tpgate::bindings::fast_packet);
  emscripten::function("fastDecoderError", &tpgate::bindings::fast_decoder_error);
  emscripten::function("fastEncodeError", &tpgate::bindings::fast_encode_error);
  emscripten::function("fastMemory", &tpgate::bindings::fast_memory);
}
