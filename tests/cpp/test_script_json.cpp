// The data scripts' json module (src/script/json_module.cpp): layeh/gopher-json's
// behaviour, which the platform preloads (docs/thingspanel.md#data-scripts).
// Each expectation says where it comes from.
#include <gtest/gtest.h>

#include <string>

#include "json/writer.hpp"
#include "test_script_util.hpp"

namespace tpgate::script {
namespace {

using testing::ran;
using testing::returning;

// decode then encode: `json.encode(json.decode(msg))`.
std::string round_trip(const std::string& input) {
  return ran(returning("json.encode(json.decode(msg))"), input);
}

struct Case {
  const char* input;
  const char* output;
  const char* source;
};

TEST(ScriptJson, DecodeThenEncode) {
  const Case cases[] = {
      {R"({"b":1,"a":2,"c":{"z":true,"y":false}})", R"({"a":2,"b":1,"c":{"y":false,"z":true}})",
       "Go's json.Marshal writes a map's keys sorted"},
      {R"([1,2,3])", R"([1,2,3])", "gopher-json: arrays become tables 1..n and back"},
      {R"([])", R"([])", "gopher-json: an empty table encodes as []"},
      {R"({})", R"([])", "gopher-json: {} decodes to an empty table, which encodes as []"},
      {R"({"a":null,"b":1})", R"({"b":1})", "gopher-json: RawSetH of nil leaves the key out"},
      {R"([1,null,3])", R"([1,3])", "gopher-lua: LTable.Append ignores nil"},
      {R"([null])", R"([])", "gopher-lua: LTable.Append ignores nil"},
      {R"(null)", R"(null)", "gopher-json: null decodes to nil, nil encodes as null"},
      {R"("text")", R"("text")", "a bare string"},
      {R"(1)", R"(1)", "Go float64 1 -> 1"},
      {R"(1.5)", R"(1.5)", "Go encoding/json: 'f' format"},
      {R"(1.0)", R"(1)", "numbers are float64: no .0"},
      {R"(1e21)", R"(1e+21)", "encoding/json: 'e' from 1e21"},
      {R"(1e20)", R"(100000000000000000000)", "encoding/json: 'f' below 1e21"},
      {R"(1e-7)", R"(1e-7)", "encoding/json: 'e' below 1e-6, e-07 cleaned to e-7"},
      {R"(0.000001)", R"(0.000001)", "encoding/json: 'f' at 1e-6"},
      {R"(0.1)", R"(0.1)", "shortest text that reads back"},
      {R"(-0.0)", R"(-0)", "strconv 'f' keeps the sign of -0"},
      {R"(9007199254740992)", R"(9007199254740992)", "2^53"},
      {R"(1e300)", R"(1e+300)", "encoding/json: 'e', three exponent digits"},
      {R"(18446744073709551615)", R"(18446744073709552000)", "decoded as float64"},
      {R"(-12.5e-3)", R"(-0.0125)", "'f' format"},
      {R"(123456789.125)", R"(123456789.125)", "'f' format, no exponent"},
      {R"("<a>&b")", R"("\u003ca\u003e\u0026b")", "Go escapes < > & (HTMLEscape)"},
      {R"("\u2028\u2029")", R"("\u2028\u2029")", "Go escapes U+2028 and U+2029"},
      {R"("\b\f\n\r\t\"\\\/")", R"("\b\f\n\r\t\"\\/")", "Go 1.22+ names \\b and \\f; / stays"},
      {R"("\u0001\u001f\u007f")", "\"\\u0001\\u001f\x7f\"", "control characters as \\u00xx, DEL as it is"},
      {R"("héllo 温度 😀")", R"("héllo 温度 😀")", "valid UTF-8 goes through"},
      {R"("\ud83d\ude00")", R"("😀")", "surrogate pairs decode to UTF-8"},
      {R"({"k\"ey":1,"<":2})", R"({"\u003c":2,"k\"ey":1})", "keys escaped like strings, sorted by their bytes"},
      {R"({"a":[{"b":[[]]}]})", R"({"a":[{"b":[[]]}]})", "nested"},
      {R"({"1":"x","2":"y"})", R"({"1":"x","2":"y"})", "string keys that look like numbers stay strings"},
      {R"(true)", R"(true)", "booleans"},
  };
  for (const Case& c : cases) EXPECT_EQ(round_trip(c.input), c.output) << c.input << " (" << c.source << ")";
}

TEST(ScriptJson, EncodeTables) {
  const Case cases[] = {
      {"{}", "[]", "gopher-json: an empty table is []"},
      {"{1, 2, 'x', true}", R"([1,2,"x",true])", "keys 1..n: an array"},
      {"{[1] = 'a', [3] = 'c'}", "nil cannot encode sparse array", "gopher-json: errSparseArray"},
      {"{[2] = 'b'}", "nil cannot encode sparse array", "gopher-json: the first key must be 1"},
      {"{[1.5] = 'x'}", "nil cannot encode sparse array", "a number key that is no index"},
      {"{1, 2, x = 3}", "nil cannot encode mixed or invalid key types", "gopher-json: errInvalidKeys"},
      {"{x = 1, [true] = 2}", "nil cannot encode mixed or invalid key types", "gopher-json: errInvalidKeys"},
      {"{[true] = 1}", "nil cannot encode mixed or invalid key types", "gopher-json: other first key types"},
      {"{f = function() end}", "nil cannot encode function to JSON", "gopher-json: invalidTypeError"},
      {"coroutine.create(function() end)", "nil cannot encode thread to JSON", "gopher-json: invalidTypeError"},
      {"0/0", "nil json: unsupported value: NaN", "encoding/json: UnsupportedValueError"},
      {"{1/0}", "nil json: unsupported value: +Inf", "encoding/json: UnsupportedValueError"},
      {"-1/0", "nil json: unsupported value: -Inf", "encoding/json: UnsupportedValueError"},
      {"{b = {y = 2, x = 1}, a = {3, 4}}", R"({"a":[3,4],"b":{"x":1,"y":2}})", "nested, sorted"},
      {"'bad \\255 utf8'", R"("bad \ufffd utf8")", "Go: invalid UTF-8 becomes U+FFFD"},
      {"'\\237\\160\\128'", R"("\ufffd\ufffd\ufffd")", "Go: an encoded surrogate is three bad bytes"},
      {"2^53", "9007199254740992", "integral float64"},
      {"-0", "-0", "strconv 'f' of -0"},
  };
  for (const Case& c : cases) {
    const std::string script = std::string("local json = require('json')\nfunction encodeInp(msg)\n  local v = ") +
                               c.input + "\n  local text, err = json.encode(v)\n" +
                               "  if text == nil then return 'nil ' .. tostring(err) end\n  return text\nend\n";
    EXPECT_EQ(ran(script, ""), c.output) << c.input << " (" << c.source << ")";
  }
}

TEST(ScriptJson, RecursionAndSharedTables) {
  const std::string prefix = "local json = require('json')\nfunction encodeInp(msg)\n";
  EXPECT_EQ(ran(prefix + "  local t = {}\n  t.self = t\n  return select(2, json.encode(t))\nend\n", ""),
            "cannot encode recursively nested tables to JSON");
  // gopher-json marks every table it meets and never unmarks: the same table
  // twice is refused too.
  EXPECT_EQ(ran(prefix + "  local s = {1}\n  return select(2, json.encode({a = s, b = s}))\nend\n", ""),
            "cannot encode recursively nested tables to JSON");
}

TEST(ScriptJson, DecodeFailuresReturnNilAndAMessage) {
  const std::string script = "local json = require('json')\nfunction encodeInp(msg)\n"
                             "  local v, err = json.decode(msg)\n  return tostring(v) .. ' | ' .. tostring(err)\nend\n";
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "nope", "{\"a\":1} x", "\"\xff\""}) {
    const std::string result = ran(script, bad);
    EXPECT_EQ(result.rfind("nil | ", 0), 0u) << bad << " -> " << result;
    EXPECT_GT(result.size(), 8u) << bad;
  }
  EXPECT_EQ(ran(script, "{\"a\":1}").rfind("table: ", 0), 0u);
}

TEST(ScriptJson, DeepNestingIsRefused) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(ran(returning("select(2, json.decode(msg))"), deep), "JSON nested deeper than 1000 levels");
  const std::string ok = std::string(500, '[') + std::string(500, ']');
  EXPECT_EQ(ran(returning("json.encode(json.decode(msg))"), ok), ok);
  EXPECT_EQ(ran("local json = require('json')\nfunction encodeInp()\n  local t = {}\n"
                "  for i = 1, 2000 do t = {t} end\n  return select(2, json.encode(t))\nend\n",
                ""),
            "cannot encode tables nested deeper than 1000 levels to JSON");
}

TEST(ScriptJson, DecodedValuesAreLuaValues) {
  EXPECT_EQ(ran(returning("(function(d) return type(d.n) .. d.n * 2 .. type(d.s) .. #d.a .. tostring(d.a[2]) .. "
                          "tostring(d.t) .. tostring(d.missing) end)(json.decode(msg))"),
                R"({"n":21,"s":"x","a":[5,6],"t":true,"missing":null})"),
            "number42string26truenil");
}

TEST(ScriptJson, DecodingCannotBlowTheMemoryCap) {
  Limits limits;
  limits.memory_bytes = 1u << 20;
  std::string big = "[";
  for (int i = 0; i < 100000; ++i) big += "{\"k\":\"value\"},";
  big += "0]";
  auto script = testing::compiled("local json = require('json')\nfunction encodeInp(msg)\n"
                                  "  local v = json.decode(msg)\n  return 'decoded'\nend\n",
                                  limits);
  ASSERT_NE(script, nullptr);
  const Outcome outcome = script->run(big, "");
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure.kind, FailureKind::Memory) << outcome.failure.message;
  EXPECT_LE(script->memory_in_use(), limits.memory_bytes);
  EXPECT_TRUE(script->run("[1]", "").ok);
}

TEST(ScriptJson, GoFormatG) {
  // strconv.FormatFloat(x, 'g', -1, 64), what fmt.Sprint writes for a float64.
  const std::pair<double, const char*> cases[] = {
      {0.0, "0"},         {-0.0, "-0"},          {1.0, "1"},           {0.1, "0.1"},         {1e-5, "1e-05"},
      {1e-4, "0.0001"},   {123456.0, "123456"},  {1234567.0, "1.234567e+06"}, {1e21, "1e+21"}, {1e300, "1e+300"},
      {-2.5, "-2.5"},     {5e-324, "5e-324"},
  };
  for (const auto& [x, expected] : cases) {
    char text[32];
    const std::size_t length = json::go_format_g(x, text);
    EXPECT_EQ(std::string(text, length), expected) << x;
    EXPECT_EQ(text[length], '\0');
  }
}

}  // namespace
}  // namespace tpgate::script
