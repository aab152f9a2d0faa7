// libFuzzer target for the incremental decoder and the encoder.
//
// Input layout (the seeds in corpus/decoder follow it):
//   byte 0  bit 0     protocol version before any CONNECT: 0 = 3.1.1, 1 = 5.0
//           bits 1-2  role: 0 Any, 1 Client, 2 Server, 3 Any
//           bits 3-4  max packet size: 0 none, 1 = 2 + byte 1, 2 = 64 * (byte 1 + 1), 3 = 5
//           bits 5-6  chunking: 0 whole, 1 one byte at a time, 2 fixed (byte 1 % 16 + 1),
//                     3 pseudo-random sizes 1..32 seeded by byte 1
//   byte 1  parameter for the above
//   rest    the byte stream fed to mqtt::Decoder
//
// Properties checked (abort on violation):
//   - decoding never crashes, hangs or reads out of bounds (ASan/UBSan);
//   - each decoded packet that encode() accepts re-encodes to bytes that
//     decode_packet() decodes to an equal packet (round trip);
//   - encoded_size() and encode_into() agree with encode().
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "mqtt/codec.hpp"
#include "mqtt/packets.hpp"
#include "mqtt/types.hpp"

namespace {

using namespace tpgate::mqtt;

[[noreturn]] void fail(const char* what, const Packet& packet, const Bytes& bytes, const Error* error) {
  std::fprintf(stderr, "fuzz_decoder: %s (packet %s)\n", what,
               packet_type_name(static_cast<std::uint8_t>(packet_type(packet))).data());
  if (error != nullptr) {
    std::fprintf(stderr, "  error: %s: %s\n", reason_code_name(static_cast<std::uint8_t>(error->reason)).data(),
                 error->message.c_str());
  }
  std::fprintf(stderr, "  re-encoded (%zu bytes):", bytes.size());
  for (std::uint8_t b : bytes) std::fprintf(stderr, " %02x", b);
  std::fprintf(stderr, "\n");
  std::abort();
}

void check_round_trip(const Packet& packet, ProtocolVersion version, Role role) {
  EncodeOptions eo;
  eo.version = version;
  Bytes encoded;
  const Status st = encode(packet, eo, encoded);
  // The decoder may accept what the encoder refuses to produce (the encoder is
  // the stricter side); only a packet the encoder accepts has to round-trip.
  if (!st.ok()) {
    if (!encoded.empty()) fail("encode failed but wrote bytes", packet, encoded, &st.error());
    return;
  }

  const Result<std::size_t> size = encoded_size(packet, eo);
  if (!size.ok() || size.value() != encoded.size()) fail("encoded_size disagrees with encode", packet, encoded, nullptr);

  Bytes into(encoded.size());
  const Result<std::size_t> written = encode_into(packet, eo, into);
  if (!written.ok() || written.value() != encoded.size() || into != encoded) {
    fail("encode_into disagrees with encode", packet, encoded, written.ok() ? nullptr : &written.error());
  }
  if (!encoded.empty()) {
    std::span<std::uint8_t> short_buffer(into.data(), into.size() - 1);
    if (encode_into(packet, eo, short_buffer).ok()) fail("encode_into accepted a short buffer", packet, encoded, nullptr);
  }

  DecoderOptions dopt;
  dopt.version = version;
  dopt.role = role;
  const Result<Packet> again = decode_packet(encoded, dopt);
  if (!again.ok()) fail("re-encoded packet does not decode", packet, encoded, &again.error());
  if (!(again.value() == packet)) fail("round trip changed the packet", packet, encoded, nullptr);
}

// Size of the next chunk to feed for the chosen pattern.
struct Chunker {
  unsigned pattern;
  std::uint8_t param;
  std::uint32_t state;

  std::size_t next(std::size_t remaining) {
    std::size_t n = remaining;
    switch (pattern) {
      case 1:
        n = 1;
        break;
      case 2:
        n = static_cast<std::size_t>(param % 16U) + 1;
        break;
      case 3:
        state = state * 1'103'515'245U + 12'345U;
        n = static_cast<std::size_t>((state >> 16) % 32U) + 1;
        break;
      default:
        break;
    }
    return n < remaining ? n : remaining;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::uint8_t param = data[1];

  DecoderOptions options;
  options.version = (mode & 1U) != 0 ? ProtocolVersion::v5 : ProtocolVersion::v311;
  switch ((mode >> 1) & 3U) {
    case 1:
      options.role = Role::Client;
      break;
    case 2:
      options.role = Role::Server;
      break;
    default:
      options.role = Role::Any;
      break;
  }
  switch ((mode >> 3) & 3U) {
    case 1:
      options.max_packet_size = 2U + param;
      break;
    case 2:
      options.max_packet_size = 64U * (param + 1U);
      break;
    case 3:
      options.max_packet_size = 5;
      break;
    default:
      options.max_packet_size = 0;
      break;
  }
  Chunker chunker{static_cast<unsigned>((mode >> 5) & 3U), param, param};

  Decoder decoder(options);
  const std::span<const std::uint8_t> stream(data + 2, size - 2);
  std::size_t fed = 0;
  bool failed = false;
  while (!failed && fed < stream.size()) {
    const std::size_t n = chunker.next(stream.size() - fed);
    decoder.feed(stream.subspan(fed, n));
    fed += n;
    while (true) {
      Packet packet;
      Error error;
      const Decoder::Status status = decoder.next(packet, error);
      if (status == Decoder::Status::NeedMore) break;
      if (status == Decoder::Status::Error) {
        failed = true;
        // An error is final for the stream.
        Packet after;
        Error again;
        if (decoder.next(after, again) != Decoder::Status::Error) {
          std::fprintf(stderr, "fuzz_decoder: decoder recovered after an error\n");
          std::abort();
        }
        break;
      }
      // decoder.version() already reflects a CONNECT just decoded, which is the
      // version the packet was read with.
      check_round_trip(packet, decoder.version(), options.role);
    }
  }
  if (!failed && decoder.buffered() > stream.size()) {
    std::fprintf(stderr, "fuzz_decoder: more bytes buffered than fed\n");
    std::abort();
  }
  return 0;
}
