// The decoding steps shared by Decoder (incremental) and decode_packet()
// (one whole packet). Internal to the codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "mqtt/codec.hpp"

namespace tpgate::mqtt::detail {

struct FixedHeader {
  PacketType type = PacketType::Connect;
  std::uint8_t flags = 0;
  std::uint32_t remaining_length = 0;
  std::size_t header_size = 0;  // type byte + Remaining Length bytes
  std::size_t total_size() const { return header_size + remaining_length; }
};

enum class HeaderStatus : std::uint8_t { Ok, NeedMore, Error };

// Reads and checks the fixed header at the start of `bytes`: packet type
// (reserved 0, AUTH in 3.1.1), flags, whether `options.role` may receive the
// type, Remaining Length, and the whole packet size against
// `options.max_packet_size`. Everything that can be judged from the bytes at
// hand is judged at once, so a bad first byte fails without waiting for more.
HeaderStatus parse_fixed_header(std::span<const std::uint8_t> bytes, const DecoderOptions& options,
                                FixedHeader& header, Error& error);

// Decodes the variable header and payload (`body`, exactly Remaining Length
// bytes) of a packet whose fixed header passed parse_fixed_header().
bool decode_body(const FixedHeader& header, std::span<const std::uint8_t> body, const DecoderOptions& options,
                 Packet& out, Error& error);

// decode_body() for a PUBLISH, read in place: the topic and payload of `out`
// view `body`, the properties are read into `properties` (which must be
// empty) and out.properties points there.
bool decode_publish_in_place(const FixedHeader& header, std::span<const std::uint8_t> body,
                             const DecoderOptions& options, PublishView& out, Properties& properties, Error& error);

}  // namespace tpgate::mqtt::detail
