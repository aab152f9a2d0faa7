#include "mqtt/wire.hpp"

#include <cstring>

#include "mqtt/topic.hpp"

namespace tpgate::mqtt::wire {

std::size_t varint_size(std::uint32_t value) {
  if (value < 128U) return 1;
  if (value < 16'384U) return 2;
  if (value < 2'097'152U) return 3;
  return 4;
}

VarintStatus parse_varint(std::span<const std::uint8_t> bytes, std::uint32_t& value, std::size_t& used) {
  std::uint32_t result = 0;
  std::uint32_t shift = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= bytes.size()) return VarintStatus::NeedMore;
    const std::uint8_t b = bytes[i];
    result |= static_cast<std::uint32_t>(b & 0x7FU) << shift;
    if ((b & 0x80U) == 0) {
      // A last group of zero after the first byte means a shorter encoding
      // existed: the value MUST use the minimum number of bytes [MQTT-1.5.5-1].
      if (i > 0 && b == 0) return VarintStatus::NotMinimal;
      value = result;
      used = i + 1;
      return VarintStatus::Ok;
    }
    shift += 7;
  }
  // The maximum number of bytes in a Variable Byte Integer is four (1.5.5).
  return VarintStatus::TooLong;
}

std::string hex_byte(std::uint32_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "0x";
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[value & 0xFU]);
    value >>= 4;
  } while (value != 0);
  if (digits.size() % 2 != 0) digits.insert(digits.begin(), '0');
  return out + digits;
}

bool Reader::fail(ReasonCode reason, std::string message) {
  if (!failed_) {
    failed_ = true;
    error_ = make_error(reason, std::move(message));
  }
  return false;
}

bool Reader::need(std::size_t n, std::string_view field) {
  if (failed_) return false;
  if (remaining() >= n) return true;
  return fail(ReasonCode::MalformedPacket, std::string(field) + " is truncated: needs " + std::to_string(n) +
                                               " bytes, " + std::to_string(remaining()) + " left");
}

bool Reader::read_u8(std::uint8_t& value, std::string_view field) {
  if (!need(1, field)) return false;
  value = bytes_[pos_++];
  return true;
}

bool Reader::read_u16(std::uint16_t& value, std::string_view field) {
  if (!need(2, field)) return false;
  value = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
  pos_ += 2;
  return true;
}

bool Reader::read_u32(std::uint32_t& value, std::string_view field) {
  if (!need(4, field)) return false;
  value = (static_cast<std::uint32_t>(bytes_[pos_]) << 24) | (static_cast<std::uint32_t>(bytes_[pos_ + 1]) << 16) |
          (static_cast<std::uint32_t>(bytes_[pos_ + 2]) << 8) | static_cast<std::uint32_t>(bytes_[pos_ + 3]);
  pos_ += 4;
  return true;
}

bool Reader::read_varint(std::uint32_t& value, std::string_view field) {
  if (failed_) return false;
  std::size_t used = 0;
  switch (parse_varint(bytes_.subspan(pos_), value, used)) {
    case VarintStatus::Ok:
      pos_ += used;
      return true;
    case VarintStatus::NeedMore:
      return fail(ReasonCode::MalformedPacket, std::string(field) + " is truncated (Variable Byte Integer)");
    case VarintStatus::TooLong:
      return fail(ReasonCode::MalformedPacket, std::string(field) + " uses more than 4 bytes");
    case VarintStatus::NotMinimal:
      return fail(ReasonCode::MalformedPacket,
                  std::string(field) + " is not encoded in the minimum number of bytes [MQTT-1.5.5-1]");
  }
  return false;
}

bool Reader::read_string(std::string& value, std::string_view field) {
  std::string_view view;
  if (!read_string_view(view, field)) return false;
  value.assign(view);
  return true;
}

bool Reader::read_string_view(std::string_view& value, std::string_view field) {
  std::uint16_t length = 0;
  if (!read_u16(length, field)) return false;
  if (!need(length, field)) return false;
  const std::string_view view(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
  Status valid = validate_utf8_string(view);
  if (!valid) return fail(ReasonCode::MalformedPacket, std::string(field) + ": " + valid.error().message);
  value = view;
  pos_ += length;
  return true;
}

bool Reader::read_binary(Bytes& value, std::string_view field) {
  std::uint16_t length = 0;
  if (!read_u16(length, field)) return false;
  if (!need(length, field)) return false;
  value.assign(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_),
               bytes_.begin() + static_cast<std::ptrdiff_t>(pos_ + length));
  pos_ += length;
  return true;
}

void Reader::read_rest(Bytes& value) {
  const std::span<const std::uint8_t> rest = read_rest();
  value.assign(rest.begin(), rest.end());
}

std::span<const std::uint8_t> Reader::read_rest() {
  const std::span<const std::uint8_t> rest = bytes_.subspan(pos_);
  pos_ = bytes_.size();
  return rest;
}

bool Reader::read_block(std::size_t length, Reader& block, std::string_view field) {
  if (failed_) return false;
  if (remaining() < length) {
    return fail(ReasonCode::MalformedPacket, std::string(field) + " of " + std::to_string(length) +
                                                 " bytes overruns the packet (" + std::to_string(remaining()) +
                                                 " bytes left)");
  }
  block = Reader(bytes_.subspan(pos_, length));
  pos_ += length;
  return true;
}

void Writer::u8(std::uint8_t v) {
  if (out_ != nullptr) out_[size_] = v;
  size_ += 1;
}

void Writer::u16(std::uint16_t v) {
  if (out_ != nullptr) {
    out_[size_] = static_cast<std::uint8_t>(v >> 8);
    out_[size_ + 1] = static_cast<std::uint8_t>(v);
  }
  size_ += 2;
}

void Writer::u32(std::uint32_t v) {
  if (out_ != nullptr) {
    out_[size_] = static_cast<std::uint8_t>(v >> 24);
    out_[size_ + 1] = static_cast<std::uint8_t>(v >> 16);
    out_[size_ + 2] = static_cast<std::uint8_t>(v >> 8);
    out_[size_ + 3] = static_cast<std::uint8_t>(v);
  }
  size_ += 4;
}

void Writer::varint(std::uint32_t v) {
  do {
    auto byte = static_cast<std::uint8_t>(v & 0x7FU);
    v >>= 7;
    if (v != 0) byte = static_cast<std::uint8_t>(byte | 0x80U);
    u8(byte);
  } while (v != 0);
}

void Writer::raw(std::span<const std::uint8_t> bytes) {
  if (out_ != nullptr && !bytes.empty()) std::memcpy(out_ + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void Writer::raw(std::string_view bytes) {
  if (out_ != nullptr && !bytes.empty()) std::memcpy(out_ + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void Writer::string(std::string_view s) {
  u16(static_cast<std::uint16_t>(s.size()));
  raw(s);
}

void Writer::binary(std::span<const std::uint8_t> bytes) {
  u16(static_cast<std::uint16_t>(bytes.size()));
  raw(bytes);
}

}  // namespace tpgate::mqtt::wire
