#include "gateway/base64.hpp"

#include <cstdint>

namespace tpgate::gateway {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of each byte as an alphabet character, or -1.
struct SextetTable {
  std::int8_t value[256];
  constexpr SextetTable() : value() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(kAlphabet[static_cast<std::size_t>(i)])] = static_cast<std::int8_t>(i);
  }
};
constexpr SextetTable kSextets;

int sextet(char c) { return kSextets.value[static_cast<unsigned char>(c)]; }

mqtt::Error base64_error(std::string message) {
  return mqtt::make_error(mqtt::ReasonCode::PayloadFormatInvalid, "base64: " + std::move(message));
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<std::uint8_t>(bytes[i + 1])} << 8) |
                            std::uint32_t{static_cast<std::uint8_t>(bytes[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t n = std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const std::uint32_t n = (std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<std::uint8_t>(bytes[i + 1])} << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

mqtt::Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return base64_error("length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = 1;
  if (text.size() >= 2 && text[text.size() - 2] == '=') {
    if (padding == 0) return base64_error("'=' at offset " + std::to_string(text.size() - 2) + " is followed by data");
    padding = 2;
  }
  const std::size_t data_len = text.size() - padding;
  // Sized once and written by index: a call per byte (std::string::push_back
  // is not inlined in the wasm build) was most of the envelope's cost.
  std::string out(data_len / 4 * 3 + (padding == 0 ? 0 : 3 - padding), '\0');
  std::size_t o = 0;
  std::uint32_t acc = 0;
  for (std::size_t i = 0; i < data_len; ++i) {
    const int v = sextet(text[i]);
    if (v < 0) {
      if (text[i] == '=') return base64_error("'=' at offset " + std::to_string(i) + " is followed by data");
      return base64_error("invalid character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (i % 4 == 3) {
      out[o++] = static_cast<char>((acc >> 16) & 0xFF);
      out[o++] = static_cast<char>((acc >> 8) & 0xFF);
      out[o++] = static_cast<char>(acc & 0xFF);
      acc = 0;
    }
  }
  // A final group with one '=' holds 3 sextets (two bytes, 2 spare bits), with two '=' it
  // holds 2 sextets (one byte, 4 spare bits); spare bits must be zero (RFC 4648 3.5).
  if (padding == 1) {
    if ((acc & 0x3) != 0) return base64_error("non-zero padding bits in the last group");
    out[o++] = static_cast<char>((acc >> 10) & 0xFF);
    out[o++] = static_cast<char>((acc >> 2) & 0xFF);
  } else if (padding == 2) {
    if ((acc & 0xF) != 0) return base64_error("non-zero padding bits in the last group");
    out[o++] = static_cast<char>((acc >> 4) & 0xFF);
  }
  return out;
}

}  // namespace tpgate::gateway
