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
  std::string out;
  auto status = base64_decode(text, out);
  if (!status) return status.error();
  return out;
}

mqtt::Status base64_decode(std::string_view text, std::string& out) {
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
  // Sized once and written through a pointer: a call per byte (std::string's
  // push_back, or operator[] checking the short-string form) was most of the
  // envelope's cost in the wasm build.
  out.resize(data_len / 4 * 3 + (padding == 0 ? 0 : 3 - padding));
  char* dst = out.data();
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  const auto bad = [&](std::size_t i) {
    for (;; ++i) {
      if (sextet(text[i]) >= 0) continue;
      if (text[i] == '=') return base64_error("'=' at offset " + std::to_string(i) + " is followed by data");
      return base64_error("invalid character at offset " + std::to_string(i));
    }
  };
  // Whole groups of four: one check for all four sextets.
  const std::size_t whole = data_len / 4 * 4;
  for (std::size_t i = 0; i < whole; i += 4) {
    const int a = kSextets.value[src[i]];
    const int b = kSextets.value[src[i + 1]];
    const int c = kSextets.value[src[i + 2]];
    const int d = kSextets.value[src[i + 3]];
    if ((a | b | c | d) < 0) return bad(i);
    const auto n = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                   (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    dst[0] = static_cast<char>((n >> 16) & 0xFF);
    dst[1] = static_cast<char>((n >> 8) & 0xFF);
    dst[2] = static_cast<char>(n & 0xFF);
    dst += 3;
  }
  std::size_t o = static_cast<std::size_t>(dst - out.data());
  std::uint32_t acc = 0;
  for (std::size_t i = whole; i < data_len; ++i) {
    const int v = sextet(text[i]);
    if (v < 0) return bad(i);
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
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
  return mqtt::ok_status();
}

}  // namespace tpgate::gateway
