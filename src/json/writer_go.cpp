// The Go-compatible parts of json::Writer (writer.hpp) and go_format_g: Go's
// strconv and encoding/json rules, as the platform's Go code writes numbers
// and strings (docs/thingspanel.md#data-scripts).
#include <cmath>
#include <cstring>

#include "json/writer.hpp"

namespace tpgate::json {
namespace {

// The shortest decimal digits of a finite x > 0 (nlohmann's Grisu2, what
// number() writes too): x = 0.DIGITS x 10^point.
struct Shortest {
  char digits[20];
  int count = 0;
  int point = 0;
};

Shortest shortest(double x) {
  Shortest s;
  int exponent = 0;
  nlohmann::detail::dtoa_impl::grisu2(s.digits, s.count, exponent, x);
  s.point = s.count + exponent;
  return s;
}

// d[.ddd]e±XX (at least two exponent digits, as strconv's 'e').
char* exponent_form(const Shortest& s, char* out) {
  *out++ = s.digits[0];
  if (s.count > 1) {
    *out++ = '.';
    std::memcpy(out, s.digits + 1, static_cast<std::size_t>(s.count - 1));
    out += s.count - 1;
  }
  int exp = s.point - 1;
  *out++ = 'e';
  *out++ = exp < 0 ? '-' : '+';
  if (exp < 0) exp = -exp;
  if (exp >= 100) *out++ = static_cast<char>('0' + exp / 100);
  *out++ = static_cast<char>('0' + exp / 10 % 10);
  *out++ = static_cast<char>('0' + exp % 10);
  return out;
}

// Plain decimal, no trailing zeros after the point (strconv's 'f', shortest).
char* fixed_form(const Shortest& s, char* out) {
  if (s.point <= 0) {
    *out++ = '0';
    *out++ = '.';
    for (int i = 0; i < -s.point; ++i) *out++ = '0';
    std::memcpy(out, s.digits, static_cast<std::size_t>(s.count));
    return out + s.count;
  }
  if (s.point >= s.count) {
    std::memcpy(out, s.digits, static_cast<std::size_t>(s.count));
    out += s.count;
    for (int i = s.count; i < s.point; ++i) *out++ = '0';
    return out;
  }
  std::memcpy(out, s.digits, static_cast<std::size_t>(s.point));
  out += s.point;
  *out++ = '.';
  std::memcpy(out, s.digits + s.point, static_cast<std::size_t>(s.count - s.point));
  return out + (s.count - s.point);
}

// The length of the UTF-8 sequence at text[i] as Go's utf8.DecodeRuneInString
// accepts it (no overlongs, no surrogates, nothing past U+10FFFF), or 0 when
// the byte there starts none; `rune` gets its code point.
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& rune) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  const std::size_t left = text.size() - i;
  const auto continuation = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < left && byte(i + k) >= lo && byte(i + k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) {
    if (!continuation(1)) return 0;
    rune = static_cast<char32_t>(((c & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu));
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    if (!continuation(1, lo, hi) || !continuation(2)) return 0;
    rune = static_cast<char32_t>(((c & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu));
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    if (!continuation(1, lo, hi) || !continuation(2) || !continuation(3)) return 0;
    rune = static_cast<char32_t>(((c & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) | ((byte(i + 2) & 0x3Fu) << 6) |
                                 (byte(i + 3) & 0x3Fu));
    return 4;
  }
  return 0;
}

}  // namespace

std::size_t go_format_g(double x, char* out) {
  char* at = out;
  if (std::isnan(x)) {
    std::memcpy(out, "NaN", 4);
    return 3;
  }
  if (std::isinf(x)) {
    std::memcpy(out, x > 0 ? "+Inf" : "-Inf", 5);
    return 4;
  }
  if (std::signbit(x)) *at++ = '-';
  if (x == 0) {
    *at++ = '0';
  } else {
    const Shortest s = shortest(std::fabs(x));
    const int exp = s.point - 1;
    at = (exp < -4 || exp >= 6) ? exponent_form(s, at) : fixed_form(s, at);
  }
  *at = '\0';
  return static_cast<std::size_t>(at - out);
}

bool Writer::go_number(double x) {
  if (!std::isfinite(x)) return false;
  separate();
  char text[32];
  char* at = text;
  if (std::signbit(x)) *at++ = '-';
  const double abs = std::fabs(x);
  if (abs == 0) {
    *at++ = '0';
  } else {
    const Shortest s = shortest(abs);
    if (abs < 1e-6 || abs >= 1e21) {
      at = exponent_form(s, at);
      // encoding/json's clean-up: "e-07" -> "e-7".
      if (at - text >= 4 && at[-4] == 'e' && at[-3] == '-' && at[-2] == '0') {
        at[-2] = at[-1];
        --at;
      }
    } else {
      at = fixed_form(s, at);
    }
  }
  put(std::string_view(text, static_cast<std::size_t>(at - text)));
  done();
  return true;
}

void Writer::go_quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  put('"');
  std::size_t plain = 0;  // start of the run that needs no escape
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        ++i;
        continue;
      }
      put(text.substr(plain, i - plain));
      switch (c) {
        case '"': put("\\\""); break;
        case '\\': put("\\\\"); break;
        case '\n': put("\\n"); break;
        case '\r': put("\\r"); break;
        case '\t': put("\\t"); break;
        case '\b': put("\\b"); break;
        case '\f': put("\\f"); break;
        default: {
          const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          put(std::string_view(escape, sizeof escape));
        }
      }
      plain = ++i;
      continue;
    }
    char32_t rune = 0;
    const std::size_t length = utf8_sequence(text, i, rune);
    if (length == 0) {
      put(text.substr(plain, i - plain));
      put("\\ufffd");
      plain = ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      put(text.substr(plain, i - plain));
      put(rune == 0x2028 ? std::string_view("\\u2028") : std::string_view("\\u2029"));
      plain = i + length;
    }
    i += length;
  }
  put(text.substr(plain));
  put('"');
}

}  // namespace tpgate::json
