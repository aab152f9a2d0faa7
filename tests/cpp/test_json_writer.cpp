// json::Writer writes what nlohmann's dump() writes (strings, numbers, whole
// values), puts the commas where they go, and leaves no slack in the string.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "json/read.hpp"
#include "json/writer.hpp"
#include "json_tricky_inputs.hpp"

namespace tpgate::json {
namespace {

std::string dumped(const Value& v) { return v.dump(-1, ' ', false, Value::error_handler_t::replace); }

template <class F>
std::string written(F&& write) {
  std::string out;
  {
    Writer w(out);
    write(w);
  }
  return out;
}

TEST(JsonWriter, ValuesAsDumpWritesThem) {
  int compared = 0;
  for (const std::string& v : json_testing::tricky_values()) {
    const Value value = parse(v);
    if (value.is_discarded()) continue;
    EXPECT_EQ(written([&](Writer& w) { w.value(value); }), dumped(value)) << v;
    ++compared;
  }
  EXPECT_GE(compared, 60);
  const Value mixed = parse(R"({"b":[1,2.5,{"c":[]},{}],"a":"q\"\\\n\u0001\u001f\u007f","d":-0.0,"e":1e300,
      "f":18446744073709551615,"g":-9223372036854775808,"h":26.0,"i":null,"j":true,"k":false,"":"empty key"})");
  EXPECT_EQ(written([&](Writer& w) { w.value(mixed); }), dumped(mixed));
}

TEST(JsonWriter, NumbersAsDumpWritesThem) {
  for (double x : {0.0, -0.0, 25.0, -3.0, 25.3, 0.1, 1.0 / 3, 1e300, 5e-324, 1e21, 1e-7, 1e15, 1e16, 1e17,
                   1000000000000000.5, 9007199254740992.0, 2.2250738585072014e-308, 1.7976931348623157e308,
                   std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_EQ(written([&](Writer& w) { w.number(x); }), dumped(Value(x))) << x;
  }
  // Any bit pattern: the same text, and it reads back as the same double.
  std::mt19937_64 rng(1203);
  for (int i = 0; i < 20000; ++i) {
    const double x = std::bit_cast<double>(rng());
    const std::string text = written([&](Writer& w) { w.number(x); });
    ASSERT_EQ(text, dumped(Value(x)));
    if (std::isfinite(x)) {
      const Value back = parse(text);
      ASSERT_TRUE(back.is_number()) << text;
      ASSERT_EQ(back.get<double>(), x) << text;
    }
  }
}

TEST(JsonWriter, IntegersOfEveryWidth) {
  EXPECT_EQ(written([](Writer& w) {
              w.begin_array()
                  .integer(std::numeric_limits<std::int64_t>::min())
                  .integer(std::numeric_limits<std::uint64_t>::max())
                  .integer(0)
                  .integer(static_cast<std::uint8_t>(200))
                  .integer(-7)
                  .end_array();
            }),
            "[-9223372036854775808,18446744073709551615,0,200,-7]");
}

TEST(JsonWriter, StringsEscapedAsDumpEscapesThem) {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte += static_cast<char>(c);
  every_byte += std::string("\0", 1) + "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  EXPECT_EQ(written([&](Writer& w) { w.string(every_byte); }), dumped(Value(every_byte)));
  EXPECT_EQ(written([&](Writer& w) { w.key(every_byte).null(); }), dumped(Value(every_byte)) + ":null");
  // Invalid UTF-8 goes through as it is (a host's decoder replaces it).
  EXPECT_EQ(written([](Writer& w) { w.string("a\xC3(\xFF"); }), "\"a\xC3(\xFF\"");
}

TEST(JsonWriter, CommasBetweenValuesAndMembers) {
  EXPECT_EQ(written([](Writer& w) {
              w.begin_object().key("a").begin_array().end_array().key("b").begin_object().end_object();
              w.key("c").begin_array().integer(1).begin_array().null().boolean(false).end_array();
              w.begin_object().key("d").raw(R"({"x":[1]})").end_object().string("s").end_array();
              w.key("e").number(2.5).end_object();
            }),
            R"({"a":[],"b":{},"c":[1,[null,false],{"d":{"x":[1]}},"s"],"e":2.5})");
  // Values one after another at the top level get commas too (a list being built).
  EXPECT_EQ(written([](Writer& w) { w.integer(1).string("x"); }), R"(1,"x")");
}

TEST(JsonWriter, AppendsAndLeavesNoSlack) {
  std::string out = "head ";
  {
    Writer w(out);
    w.begin_object().key("k").string(std::string(1000, 'x')).end_object();
    w.finish();
    EXPECT_EQ(out.size(), 5 + 1008u);
    w.integer(5);  // goes on after finish()
  }
  EXPECT_EQ(out, "head {\"k\":\"" + std::string(1000, 'x') + "\"},5");
  // A string with room to spare is written into without growing it.
  std::string roomy;
  roomy.reserve(4096);
  const auto capacity = roomy.capacity();
  for (int i = 0; i < 50; ++i) Writer(roomy).string("abc");
  EXPECT_EQ(roomy.size(), 50 * 5u);
  EXPECT_EQ(roomy.capacity(), capacity);
}

}  // namespace
}  // namespace tpgate::json
