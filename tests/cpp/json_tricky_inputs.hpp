// Inputs where a hand-written JSON reader is most likely to part ways with
// nlohmann: the table every fast path of src/json (and the gateway fast paths
// on top of them) is checked against nlohmann with.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace tpgate::json_testing {

// Fragments that stand where a value stands: valid values, and near-misses.
inline std::vector<std::string> tricky_values() {
  return {
      // strings: escapes, \u and surrogate pairs, raw UTF-8, invalid UTF-8, control bytes
      R"("plain")", R"("")", R"("a\"b")", R"("a\\b")", R"("\/")", R"("\n\r\t\b\f")", R"("\u0041")",
      R"("\u00e9")", R"("\ud83d\ude00")", R"("\ud83d")", R"("\ude00")", R"("\ud83dx")", R"("\u12")",
      R"("\x")", "\"\xC3\xA9\"", "\"\xE2\x82\xAC\"", "\"\xF0\x9F\x98\x80\"", "\"\xF4\x8F\xBF\xBF\"",
      "\"\xC3\x28\"", "\"\xC0\x80\"", "\"\xC1\xBF\"", "\"\xE0\x80\x80\"", "\"\xED\xA0\x80\"",
      "\"\xF0\x80\x80\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"", "\"\x80\"", "\"\xBF\"",
      "\"\xE2\x82\"", "\"\xFF\"", "\"a\tb\"", "\"a\nb\"", "\"\x1F\"", "\"\x7F\"", std::string("\"a\0b\"", 5),
      "\"abc",
      // numbers: signs, zeros, fractions, exponents, range edges, lengths
      "0", "-0", "0.0", "-0.0", "1", "-1", "1.0", "1.5", "-2.25", "0.1", "0.000001", "3.14159",
      "100.0", "12345678901234.5", "123456789012345", "999999999999999999", "-999999999999999999",
      "1000000000000000000", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
      "-9223372036854775809", "18446744073709551615", "18446744073709551616", "9007199254740993",
      "9007199254740993.0", "0.30000000000000004", "0.0000000000000000000001", "0.00000000000000000000001",
      "100000000000000000000000.0", "1e400", "-1e400", "1e-400", "1E5", "1e+5", "1.5e3", "5e-324",
      "1.7976931348623157e308", "2.2250738585072014e-308", "01", "-01", "00", "1.", ".5", "-.5", "+1",
      "--1", "-", "1.0e", "1e", "0x10", "1_000", "Infinity", "-Infinity", "NaN",
      // literals
      "true", "false", "null", "tru", "nul", "True", "NULL", "truex",
      // containers
      "{}", "[]", R"({"a":1})", R"({"a":1,"a":2})", R"({"a":{"b":[1,2,{"c":null}]}})", "[1,2,3]", "[1,]",
      R"({"a":1,})", "{,}", R"({"a" 1})", R"({"a":})", R"({a:1})", R"({'a':1})", "[", "{", "]", "}",
  };
}

// Whole texts: whitespace, truncation, deep nesting, a byte order mark.
inline std::vector<std::string> tricky_texts() {
  std::vector<std::string> out = {
      "", " ", " \t\n\r{ \t\n\r\"a\" \t\n\r: \t\n\r1 \t\n\r} \t\n\r", "\f{}", "\v{}", "{}\f",
      "\xEF\xBB\xBF{}", "\xEF\xBB\xBF{\"a\":\"b\"}", " \xEF\xBB\xBF{}", "\xEF\xBB{}", "{} {}", "{} x",
      "{\"a\":1", "{\"a\":", "{\"a\"", "{\"", "[1,2", "[[[]]", "[[]]]", std::string("{\"a\":1}\0", 8),
      std::string("\0", 1),
  };
  // Deep nesting: at, around and past the limits the fast paths use.
  for (int depth : {5, 64, 127, 128, 129, 300}) {
    out.push_back(std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'));
    std::string object;
    for (int i = 0; i < depth; ++i) object += "{\"a\":";
    object += "1";
    object += std::string(static_cast<std::size_t>(depth), '}');
    out.push_back(object);
  }
  return out;
}

// One to three random edits (replace, insert or erase a character drawn from
// `alphabet`) of `text`, for the differential mutation tests.
inline std::string mutated(std::string text, const std::string& alphabet, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const std::size_t at = rng() % text.size();
    const char c = alphabet[rng() % alphabet.size()];
    switch (rng() % 3) {
      case 0: text[at] = c; break;
      case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      default: text.erase(at, 1); break;
    }
  }
  return text;
}

}  // namespace tpgate::json_testing
