#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "json/scan.hpp"

namespace tpgate::json {
namespace {

// 10^0 .. 10^22: every one exactly representable as a double.
constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Bytes a string takes as they are: printable ASCII but '"' and '\\'.
struct PlainTable {
  bool value[256];
  constexpr PlainTable() : value() {
    for (int c = 0x20; c < 0x80; ++c) value[c] = c != '"' && c != '\\';
  }
};
constexpr PlainTable kPlain;

// Past the UTF-8 sequence whose lead byte is at `p` (>= 0x80), checked as
// nlohmann's lexer checks it (RFC 3629: no overlong forms, no surrogates), or
// nullptr.
const char* utf8_sequence(const char* p, const char* end) {
  const auto lead = static_cast<unsigned char>(*p++);
  auto in = [&](unsigned char lo, unsigned char hi) {
    if (p == end) return false;
    const auto b = static_cast<unsigned char>(*p);
    if (b < lo || b > hi) return false;
    ++p;
    return true;
  };
  bool ok = false;
  if (lead >= 0xC2 && lead <= 0xDF) ok = in(0x80, 0xBF);
  else if (lead == 0xE0) ok = in(0xA0, 0xBF) && in(0x80, 0xBF);
  else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) ok = in(0x80, 0xBF) && in(0x80, 0xBF);
  else if (lead == 0xED) ok = in(0x80, 0x9F) && in(0x80, 0xBF);
  else if (lead == 0xF0) ok = in(0x90, 0xBF) && in(0x80, 0xBF) && in(0x80, 0xBF);
  else if (lead >= 0xF1 && lead <= 0xF3) ok = in(0x80, 0xBF) && in(0x80, 0xBF) && in(0x80, 0xBF);
  else if (lead == 0xF4) ok = in(0x80, 0x8F) && in(0x80, 0xBF) && in(0x80, 0xBF);
  return ok ? p : nullptr;
}

}  // namespace

namespace {

// Whether any of the eight bytes of `w` is not plain: '"', '\\', below 0x20
// or from 0x80 (a byte of x - 0x01..01 with its high bit set, where x's was
// clear, marks a byte of x below 1 or a borrow from one: exact as a whole).
bool has_special(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  return ((((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | (w - kOnes * 0x20) | w) & kHigh) != 0;
}

}  // namespace

bool Scanner::string(std::string_view& out) {
  if (!take('"')) return false;
  const char* p = p_;
  const char* const start = p;
  while (p != end_) {
    // Runs of plain bytes, eight at a time where there is room (long values
    // such as an envelope's base64 are most of a message's bytes).
    while (end_ - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (has_special(w)) break;
      p += 8;
    }
    while (p != end_ && kPlain.value[static_cast<unsigned char>(*p)]) ++p;
    if (p == end_) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      out = std::string_view(start, static_cast<std::size_t>(p - start));
      p_ = p + 1;
      return true;
    }
    // An escape would make the value differ from the bytes; a control
    // character is not JSON.
    if (c == '\\' || c < 0x20) return false;
    if (c < 0x80) {
      ++p;
    } else if ((p = utf8_sequence(p, end_)) == nullptr) {
      return false;
    }
  }
  return false;
}

// -?(0|[1-9][0-9]*)(.[0-9]+)? only. A float only when the decimal is exact in
// one division (at most 15 significant digits, 10^22 at most): m / 10^k is
// then the correctly rounded double that strtod, which nlohmann uses, gives.
bool Scanner::number(Scalar& out) {
  const bool negative = take('-');
  const char* p = p_;
  if (p == end_) return false;
  std::uint64_t mantissa = 0;
  int significant = 0;
  int fraction = 0;
  auto digit = [&](char c) {
    if (mantissa != 0 || c != '0') ++significant;
    mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
  };
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (p != end_ && is_digit(*p)) {
      if (significant >= 18) return false;  // past 10^18: may not fit int64 (nlohmann then reads a float)
      digit(*p++);
    }
  } else {
    return false;
  }
  const bool has_fraction = p != end_ && *p == '.';
  if (has_fraction) {
    ++p;
    if (p == end_ || !is_digit(*p)) return false;
    while (p != end_ && is_digit(*p)) {
      if (significant >= 15 || fraction >= 22) return false;
      digit(*p++);
      ++fraction;
    }
  }
  if (p != end_ && (*p == 'e' || *p == 'E')) return false;
  p_ = p;
  if (has_fraction) {
    const double value = static_cast<double>(mantissa) / kPowersOfTen[fraction];
    out.kind = Scalar::Kind::Float;
    out.float_value = negative ? -value : value;
  } else if (negative) {
    out.kind = Scalar::Kind::Integer;
    out.integer_value = -static_cast<long long>(mantissa);  // |value| < 10^18 fits
  } else {
    out.kind = Scalar::Kind::Unsigned;
    out.unsigned_value = mantissa;
  }
  return true;
}

bool Scanner::literal(std::string_view word) {
  if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
  p_ += word.size();
  return true;
}

bool Scanner::scalar(Scalar& out) {
  switch (peek()) {
    case '"': out.kind = Scalar::Kind::String; return string(out.text);
    case 't': out.kind = Scalar::Kind::True; return literal("true");
    case 'f': out.kind = Scalar::Kind::False; return literal("false");
    case 'n': out.kind = Scalar::Kind::Null; return literal("null");
    default: return number(out);
  }
}

bool Scanner::scalar(Value& out) {
  Scalar s;
  if (!scalar(s)) return false;
  out = to_value(s);
  return true;
}

double Scalar::as_double() const {
  switch (kind) {
    case Kind::Unsigned: return static_cast<double>(unsigned_value);
    case Kind::Integer: return static_cast<double>(integer_value);
    case Kind::Float: return float_value;
    default: return 0;
  }
}

Value to_value(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Kind::Null: return Value(nullptr);
    case Scalar::Kind::False: return Value(false);
    case Scalar::Kind::True: return Value(true);
    case Scalar::Kind::Unsigned: return Value(static_cast<Value::number_unsigned_t>(s.unsigned_value));
    case Scalar::Kind::Integer: return Value(static_cast<Value::number_integer_t>(s.integer_value));
    case Scalar::Kind::Float: return Value(static_cast<Value::number_float_t>(s.float_value));
    case Scalar::Kind::String: return Value(std::string(s.text));
  }
  return Value(nullptr);
}

void assign(Value& into, const Scalar& s) {
  // The same kind as before (a telemetry key keeps its type): overwrite in
  // place, keeping a string's buffer. (get_ptr() is no test of the kind: an
  // unsigned number answers to number_integer_t* too.)
  using Type = Value::value_t;
  switch (s.kind) {
    case Scalar::Kind::Unsigned:
      if (into.type() != Type::number_unsigned) break;
      *into.get_ptr<Value::number_unsigned_t*>() = s.unsigned_value;
      return;
    case Scalar::Kind::Integer:
      if (into.type() != Type::number_integer) break;
      *into.get_ptr<Value::number_integer_t*>() = s.integer_value;
      return;
    case Scalar::Kind::Float:
      if (into.type() != Type::number_float) break;
      *into.get_ptr<Value::number_float_t*>() = s.float_value;
      return;
    case Scalar::Kind::String:
      if (into.type() != Type::string) break;
      into.get_ptr<Value::string_t*>()->assign(s.text);
      return;
    default: break;
  }
  into = to_value(s);
}

bool Scanner::flat_object(Value& out) {
  if (!take('{')) return false;
  out = Value::object();
  auto& object = out.get_ref<Value::object_t&>();
  if (take('}')) return true;
  do {
    std::string_view name;
    Value value;
    if (!key(name) || !scalar(value)) return false;
    // nlohmann keeps the last of repeated keys; not worth handling here.
    if (!object.emplace(std::string(name), std::move(value)).second) return false;
  } while (take(','));
  return take('}');
}

}  // namespace tpgate::json
