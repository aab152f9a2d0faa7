// Helpers shared by the codec tests: byte-vector building, hex dumps, and
// feeding a Decoder in chosen or random chunks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/codec.hpp"

namespace tpgate::mqtt {

// gtest prints a Packet by its type name instead of raw variant bytes.
inline void PrintTo(const Packet& packet, std::ostream* os) {
  *os << packet_type_name(static_cast<std::uint8_t>(packet_type(packet)));
}

}  // namespace tpgate::mqtt

namespace codec_test {

using tpgate::mqtt::Bytes;

inline Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out += ' ';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xF];
  }
  return out;
}

struct StreamResult {
  std::vector<tpgate::mqtt::Packet> packets;
  bool failed = false;
  tpgate::mqtt::Error error;
  std::size_t buffered_at_end = 0;
};

// Feeds `stream` to a fresh Decoder in chunks of the given sizes (the last
// chunk takes whatever is left) and drains every packet after each chunk.
inline StreamResult decode_in_chunks(std::span<const std::uint8_t> stream, const std::vector<std::size_t>& sizes,
                                     const tpgate::mqtt::DecoderOptions& options) {
  tpgate::mqtt::Decoder decoder(options);
  StreamResult result;
  std::size_t pos = 0;
  std::size_t i = 0;
  while (pos < stream.size() && !result.failed) {
    std::size_t n = i < sizes.size() ? sizes[i] : stream.size() - pos;
    if (n > stream.size() - pos) n = stream.size() - pos;
    ++i;
    decoder.feed(stream.subspan(pos, n));
    pos += n;
    for (;;) {
      tpgate::mqtt::Packet packet;
      tpgate::mqtt::Error error;
      const auto status = decoder.next(packet, error);
      if (status == tpgate::mqtt::Decoder::Status::Packet) {
        result.packets.push_back(std::move(packet));
      } else {
        if (status == tpgate::mqtt::Decoder::Status::Error) {
          result.failed = true;
          result.error = error;
        }
        break;
      }
    }
  }
  result.buffered_at_end = decoder.buffered();
  return result;
}

inline std::vector<std::size_t> one_byte_chunks(std::size_t n) { return std::vector<std::size_t>(n, 1); }

// Chunk sizes that cover `n` bytes in random pieces (including empty ones),
// reproducible from `seed`.
inline std::vector<std::size_t> random_chunks(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::size_t> sizes;
  std::size_t covered = 0;
  while (covered < n) {
    const std::size_t max = std::min<std::size_t>(n - covered, 1 + n / 3);
    std::uniform_int_distribution<std::size_t> dist(0, max);
    const std::size_t s = dist(rng);
    sizes.push_back(s);
    covered += s;
  }
  return sizes;
}

}  // namespace codec_test
