// Wire primitives of MQTT (1.5 Data representation): big-endian integers, the
// Variable Byte Integer, length-prefixed UTF-8 strings and binary data.
//
// Internal to the codec. A Reader never reads past its span: every read
// checks the bounds first and, on failure, records one Error (the first) and
// returns false, so packet decoders can chain reads and report precisely.
// A Writer either writes into memory the encoder has already sized, or only
// counts (no memory), so one function per packet serves both for sizing and
// for writing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "mqtt/types.hpp"

namespace tpgate::mqtt::wire {

// Largest length a two-byte length prefix can carry (1.5.4, 1.5.6).
inline constexpr std::size_t kMaxTwoByteLength = 65'535;

// Bytes a Variable Byte Integer needs for `value` (1..4; value must be at most
// kMaxRemainingLength).
std::size_t varint_size(std::uint32_t value);

enum class VarintStatus : std::uint8_t { Ok, NeedMore, TooLong, NotMinimal };

// Decodes a Variable Byte Integer at the start of `bytes`. `used` is set to the
// number of bytes it occupies when the result is Ok.
//  - NeedMore: `bytes` ends before the last byte (no continuation bit clear);
//  - TooLong: a fourth byte still has its continuation bit set (1.5.5);
//  - NotMinimal: a trailing zero group, e.g. 0x80 0x00 for 0 [MQTT-1.5.5-1].
VarintStatus parse_varint(std::span<const std::uint8_t> bytes, std::uint32_t& value, std::size_t& used);

// "0x23": how identifiers and reason codes appear in messages.
std::string hex_byte(std::uint32_t value);

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  bool failed() const { return failed_; }
  const Error& error() const { return error_; }
  Error take_error() { return std::move(error_); }

  // Each read names the field it reads; the name goes into the error message
  // ("packet identifier is truncated: needs 2 bytes, 1 left").
  bool read_u8(std::uint8_t& value, std::string_view field);
  bool read_u16(std::uint16_t& value, std::string_view field);
  bool read_u32(std::uint32_t& value, std::string_view field);
  bool read_varint(std::uint32_t& value, std::string_view field);
  // A UTF-8 Encoded String (1.5.4), validated: ill-formed UTF-8 or U+0000 is a
  // Malformed Packet [MQTT-1.5.4-1] [MQTT-1.5.4-2].
  bool read_string(std::string& value, std::string_view field);
  // The same, as a view of the bytes read (no copy).
  bool read_string_view(std::string_view& value, std::string_view field);
  // Binary Data (1.5.6): two-byte length, then that many bytes.
  bool read_binary(Bytes& value, std::string_view field);
  // Everything that is left (PUBLISH payload).
  void read_rest(Bytes& value);
  std::span<const std::uint8_t> read_rest();
  // Splits off the next `length` bytes as their own Reader (the property
  // block); fails if fewer remain.
  bool read_block(std::size_t length, Reader& block, std::string_view field);

  // Records an error (the first one wins) and returns false.
  bool fail(ReasonCode reason, std::string message);

 private:
  bool need(std::size_t n, std::string_view field);

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  Error error_;
};

class Writer {
 public:
  // Counting writer: advances without touching memory.
  Writer() = default;
  // Writes into `out`; the caller has sized it with a counting pass first.
  explicit Writer(std::uint8_t* out) : out_(out) {}

  std::size_t size() const { return size_; }

  void u8(std::uint8_t v);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void varint(std::uint32_t v);
  void raw(std::span<const std::uint8_t> bytes);
  void raw(std::string_view bytes);
  // Two-byte length prefix, then the bytes; lengths were validated before.
  void string(std::string_view s);
  void binary(std::span<const std::uint8_t> bytes);

 private:
  std::uint8_t* out_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tpgate::mqtt::wire
