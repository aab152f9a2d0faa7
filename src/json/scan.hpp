// Fast paths past nlohmann's parser, for the platform's receive path (every
// message is checked for the broker's envelope, docs/thingspanel.md#broker-envelope,
// and telemetry is most of the traffic): nlohmann's lexer makes a call per
// character and reads floats with strtod, and a tree for a whole message costs
// an allocation per member.
//
// The contract of every function here: it either gives the result that
// parse() (read.hpp) and a look at the resulting Value would give, or says
// "not handled" and the caller takes parse(). "Not handled" is always
// allowed; a different answer never is. tests/cpp/test_json_scan.cpp checks
// each against nlohmann on a table of tricky inputs and on random edits.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "json/value.hpp"

namespace tpgate::json {

// The deepest nesting of objects and arrays in `text` (the outermost one is
// 1, a scalar is 0), counted outside strings, for refusing deep input before
// parse() builds it: exact for text parse() accepts, except that it stops
// counting once past `limit` (then it returns limit + 1). For other text the
// number means nothing (parse() refuses it anyway).
int nesting_depth(std::string_view text, int limit);

enum class Match { No, Yes, NotHandled };

// std::string_view::compare() (bytes as unsigned char), inline: member names
// are short and mostly differ in their first byte, where a call to the
// size-optimised libc's memcmp cost more than the comparison.
inline int compare_names(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// A scalar as Scanner reads it, without building a Value (no allocation): its
// kind and number, or for a string its bytes in the scanned text (which hold
// no escape). to_value() gives the Value parse() would have built.
struct Scalar {
  enum class Kind : unsigned char { Null, False, True, Unsigned, Integer, Float, String };
  Kind kind = Kind::Null;
  std::string_view text;  // Kind::String
  union {
    unsigned long long unsigned_value = 0;
    long long integer_value;
    double float_value;
  };
  // The number as JavaScript's JSON.parse() reads it (a double); 0 for others.
  double as_double() const;
};
Value to_value(const Scalar& scalar);
// into = to_value(scalar), in place when `into` holds that kind already.
void assign(Value& into, const Scalar& scalar);

// Whether `text` is an object whose members are exactly `names` (distinct),
// each a string; on Yes, values[i] is the value of names[i] (its bytes in
// `text`, which then holds no escapes there). No is certain: not JSON, not an
// object, another member, a missing one. Decided from the first member where
// possible, so that text which is not such an object costs little. Up to 64
// names (more: NotHandled); `values` has room for one per name.
Match match_string_members(std::string_view text, std::span<const std::string_view> names,
                           std::span<std::string_view> values);

// A reader of the plain subset of JSON, token by token, for fast paths that
// build only what they need. Each call either reads what parse() reads there
// and returns true, or returns false: not handled (escapes, exponents, numbers
// of more than 15 significant digits or 18 integer digits, invalid UTF-8,
// truncated or invalid text, ...), and the caller takes parse(). A caller that
// takes the structural characters as JSON's grammar places them and reads up
// to done() has read valid JSON, and read it as parse() does.
// Whitespace before a token is skipped; a byte order mark is not handled.
class Scanner {
 public:
  explicit Scanner(std::string_view text) noexcept : p_(text.data()), end_(text.data() + text.size()) {}

  // The next byte after whitespace, or '\0' at the end (neither starts JSON).
  char peek() {
    skip_space();
    return p_ != end_ ? *p_ : '\0';
  }
  // Takes `c`, a structural character ({}[]:,"), if it comes next.
  bool take(char c) {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // Only whitespace is left.
  bool done() {
    skip_space();
    return p_ == end_;
  }
  // A string without escapes: its bytes, which parse() checks as UTF-8 as
  // this does (RFC 3629).
  bool string(std::string_view& out);
  // A member name and the ':' after it.
  bool key(std::string_view& name) { return string(name) && take(':'); }
  // A string, a number (unsigned for a non-negative integer, integer for a
  // negative one, float with a fraction, as parse() types them), true, false
  // or null.
  bool scalar(Value& out);
  bool scalar(Scalar& out);
  // An object of scalars with distinct keys: {"t":26.5,"on":true}. A repeated
  // key is not handled.
  bool flat_object(Value& out);

 private:
  // Locals in the loops, not the members: the compiler keeps them in registers.
  void skip_space() {
    const char* p = p_;
    while (p != end_ && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
    p_ = p;
  }
  bool number(Scalar& out);
  bool literal(std::string_view word);

  const char* p_;
  const char* end_;
};

}  // namespace tpgate::json
