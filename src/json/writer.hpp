// The one JSON writer of the core: appends JSON text to a std::string, value by
// value, with the commas between them. Strings are escaped as RFC 8259 requires
// ('"', '\\' and the control characters; \b \f \n \r \t by name, the others as
// \u00XX) and their other bytes go through as they are: the text is what
// Value::dump() writes for valid UTF-8, and invalid UTF-8 is left to the reader
// (a host's TextDecoder turns it into U+FFFD) instead of aborting a wasm build
// that has no exceptions. Numbers: see number() and value().
//
//   std::string out;
//   {
//     json::Writer w(out);
//     w.begin_object().key("t").number(25.5).key("on").boolean(true).end_object();
//   }  // out == R"({"t":25.5,"on":true})"
#pragma once

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "json/value.hpp"

namespace tpgate::json {

class Writer {
 public:
  // Appends after what `out` holds. While the writer lives, `out` may hold
  // slack past the text (it grows in steps); write to it only through the
  // writer until finish() or the destructor trims it.
  explicit Writer(std::string& out) noexcept : s_(out), at_(out.data() + out.size()), end_(at_) {}
  ~Writer() { finish(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Writer& begin_object() { return open('{'); }
  Writer& end_object() { return close('}'); }
  Writer& begin_array() { return open('['); }
  Writer& end_array() { return close(']'); }
  // A member name; the member's value comes next.
  Writer& key(std::string_view name) {
    separate();
    quoted(name);
    put(':');
    comma_ = false;
    return *this;
  }
  Writer& string(std::string_view text) {
    separate();
    quoted(text);
    return done();
  }
  template <std::integral Int>
    requires(!std::is_same_v<Int, bool>)
  Writer& integer(Int value) {
    separate();
    digits(value);
    return done();
  }
  // The text Value(x).dump() gives: the shortest that reads back as x
  // (nlohmann's Grisu2), with ".0" on integral values ("25.0", "-0.0",
  // "0.1", "1e+300"), and null for NaN and infinities (JSON has neither).
  Writer& number(double x);
  Writer& boolean(bool value) {
    separate();
    put(value ? std::string_view("true") : std::string_view("false"));
    return done();
  }
  Writer& null() {
    separate();
    put("null");
    return done();
  }
  // Text that is JSON already (a value serialised once and written many
  // times), as it is.
  Writer& raw(std::string_view text) {
    separate();
    put(text);
    return done();
  }
  // The text Value::dump() gives for `v` (same member order, same numbers),
  // strings as string() writes them.
  Writer& value(const Value& v);

  // Go's encoding/json text (json.Marshal), for what the platform's Go code
  // writes (the data scripts' json module, docs/thingspanel.md#data-scripts).
  // Strings: '<', '>', '&', U+2028 and U+2029 as \u escapes, \b \f \n \r
  // \t by name, other control characters as \u00xx, each byte of invalid
  // UTF-8 as \ufffd. Numbers: the shortest text that reads back as x, in
  // exponent form below 1e-6 and from 1e21 ("1e-7", "1e+21"), integral values
  // without ".0" ("25", "-0"); false (nothing written) for NaN and
  // infinities, which json.Marshal refuses.
  Writer& go_key(std::string_view name) {
    separate();
    go_quoted(name);
    put(':');
    comma_ = false;
    return *this;
  }
  Writer& go_string(std::string_view text) {
    separate();
    go_quoted(text);
    return done();
  }
  bool go_number(double x);

  // Trims the slack; the writer may go on appending afterwards.
  void finish() {
    s_.resize(static_cast<std::size_t>(at_ - s_.data()));
    at_ = end_ = s_.data() + s_.size();
  }

 private:
  Writer& open(char bracket) {
    separate();
    put(bracket);
    comma_ = false;
    return *this;
  }
  Writer& close(char bracket) {
    put(bracket);
    return done();
  }
  Writer& done() {
    comma_ = true;
    return *this;
  }
  void separate() {
    if (comma_) put(',');
  }
  void quoted(std::string_view text);
  void bare(const Value& v);
  template <class Int>
  void digits(Int value) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    put(std::string_view(text, static_cast<std::size_t>(end - text)));
  }
  void number_text(double x);
  void go_quoted(std::string_view text);

  // Into the string's buffer through a pointer rather than push_back/append
  // (out-of-line calls in wasm's libc++) or operator[] (a short-string check
  // each time): this writes a character at a time.
  void put(char c) {
    if (at_ == end_) grow(1);
    *at_++ = c;
  }
  void put(std::string_view text) {
    if (static_cast<std::size_t>(end_ - at_) < text.size()) grow(text.size());
    std::memcpy(at_, text.data(), text.size());
    at_ += text.size();
  }
  [[gnu::noinline]] void grow(std::size_t at_least);  // the rare path: kept out of the loops

  std::string& s_;
  char* at_;   // the text's end in s_; past it, up to end_, is slack
  char* end_;  // s_.data() + s_.size()
  bool comma_ = false;  // the next value or key needs a ',' before it
};

// Go's strconv.FormatFloat(x, 'g', -1, 64) (what fmt.Sprint writes for a
// float64): the shortest digits, in exponent form when the exponent is below
// -4 or from 6 ("1e-05", "1.2345675e+06", "0.1", "NaN", "+Inf"). Writes at
// most 25 characters and a '\0' to `out`; returns the length.
std::size_t go_format_g(double x, char* out);

}  // namespace tpgate::json
