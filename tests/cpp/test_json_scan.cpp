// The fast scans of src/json against nlohmann (json/scan.hpp's contract):
// wherever one answers, its answer is what parse() and a look at the Value
// give. Checked on a table of tricky inputs (json_tricky_inputs.hpp), placed
// where values, keys and whole texts stand, and on random edits of real texts.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "json/read.hpp"
#include "json/scan.hpp"
#include "json_tricky_inputs.hpp"

namespace tpgate::json {
namespace {

using json_testing::tricky_texts;
using json_testing::tricky_values;

// Same types all the way down (== would call 1 and 1.0, or 1u and 1, equal),
// same values, and the same sign of zero.
::testing::AssertionResult same(const Value& a, const Value& b) {
  if (a.type() != b.type()) return ::testing::AssertionFailure() << a.dump() << " vs " << b.dump() << ": types differ";
  if (a.is_number_float() && std::signbit(a.get<double>()) != std::signbit(b.get<double>())) {
    return ::testing::AssertionFailure() << "signs of " << a.dump() << " differ";
  }
  if (a.is_object() || a.is_array()) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << a.dump() << " vs " << b.dump();
    auto j = b.begin();
    for (auto i = a.begin(); i != a.end(); ++i, ++j) {
      if (a.is_object() && i.key() != j.key()) return ::testing::AssertionFailure() << i.key() << " vs " << j.key();
      if (auto r = same(*i, *j); !r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (a != b) return ::testing::AssertionFailure() << a.dump() << " vs " << b.dump();
  return ::testing::AssertionSuccess();
}

// A whole value read through the scanner's tokens: scalars and flat objects
// as it reads them, other objects and arrays put together here (repeated
// keys: the last wins, as in nlohmann). nullopt: not handled.
std::optional<Value> scan_value(Scanner& s, int depth) {
  if (depth > 64) return std::nullopt;
  const char c = s.peek();
  if (c == '[') {
    s.take('[');
    Value out = Value::array();
    if (s.take(']')) return out;
    do {
      auto item = scan_value(s, depth + 1);
      if (!item) return std::nullopt;
      out.push_back(std::move(*item));
    } while (s.take(','));
    return s.take(']') ? std::optional<Value>(std::move(out)) : std::nullopt;
  }
  if (c == '{') {
    s.take('{');
    Value out = Value::object();
    if (s.take('}')) return out;
    do {
      std::string_view name;
      if (!s.key(name)) return std::nullopt;
      auto item = scan_value(s, depth + 1);
      if (!item) return std::nullopt;
      out[std::string(name)] = std::move(*item);
    } while (s.take(','));
    return s.take('}') ? std::optional<Value>(std::move(out)) : std::nullopt;
  }
  Value out;
  if (!s.scalar(out)) return std::nullopt;
  return out;
}

struct Answered {
  bool tokens = false;
  bool flat = false;
  bool members = false;
};

// Every fast path on `text`, each against nlohmann; says which ones answered.
Answered check(const std::string& text) {
  SCOPED_TRACE(testing::Message() << "text: " << text);
  const Value full = parse(text);
  Answered answered;
  {
    Scanner s(text);
    auto scanned = scan_value(s, 0);
    if (scanned && s.done()) {
      answered.tokens = true;
      EXPECT_FALSE(full.is_discarded()) << "the scanner read what nlohmann refuses";
      if (!full.is_discarded()) EXPECT_TRUE(same(*scanned, full));
    }
  }
  {
    Scanner s(text);
    Value flat;
    if (s.flat_object(flat) && s.done()) {
      answered.flat = true;
      EXPECT_FALSE(full.is_discarded()) << "flat_object read what nlohmann refuses";
      if (!full.is_discarded()) EXPECT_TRUE(same(flat, full));
    }
  }
  // match_string_members against the same question asked of the Value.
  for (const std::vector<std::string_view>& names :
       {std::vector<std::string_view>{"a", "b"}, std::vector<std::string_view>{"a"}, std::vector<std::string_view>{}}) {
    std::vector<std::string_view> values(names.size());
    const Match got = match_string_members(text, names, values);
    bool want = !full.is_discarded() && full.is_object() && full.size() == names.size();
    for (std::size_t i = 0; want && i < names.size(); ++i) {
      const auto it = full.find(std::string(names[i]));
      want = it != full.end() && it->is_string();
    }
    if (got == Match::NotHandled) continue;
    answered.members = true;
    EXPECT_EQ(got == Match::Yes, want) << names.size() << " names";
    if (got == Match::Yes && want) {
      for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(values[i], full[std::string(names[i])].get<std::string>());
    }
  }
  // nesting_depth: exact for what nlohmann accepts, up to the limit.
  if (!full.is_discarded()) {
    const auto depth_of = [](const Value& v, auto&& self) -> int {
      if (!v.is_object() && !v.is_array()) return 0;
      int deepest = 0;
      for (const Value& item : v) deepest = std::max(deepest, self(item, self));
      return deepest + 1;
    };
    const int depth = depth_of(full, depth_of);
    for (int limit : {0, 1, 2, 5, 128}) EXPECT_EQ(nesting_depth(text, limit), std::min(depth, limit + 1)) << limit;
  }
  return answered;
}

// Each tricky value where a value, a member's value, an element, a key stand.
std::vector<std::string> placed(const std::string& v) {
  return {v, "{\"a\":" + v + "}", "{\"a\":" + v + ",\"b\":\"x\"}", "{\"b\":\"x\",\"a\":" + v + "}",
          "[" + v + "]", "[1," + v + ",{\"a\":" + v + "}]", "{" + v + ":1}", "{" + v + ":\"x\",\"b\":\"y\"}",
          " " + v + " "};
}

TEST(JsonScan, TrickyValuesAgreeWithNlohmann) {
  int tokens = 0;
  int flat = 0;
  int members = 0;
  for (const std::string& v : tricky_values()) {
    for (const std::string& text : placed(v)) {
      const Answered a = check(text);
      tokens += a.tokens;
      flat += a.flat;
      members += a.members;
    }
    if (HasFailure()) return;
  }
  // The table exercises every path, not only their refusals.
  EXPECT_GT(tokens, 150);
  EXPECT_GT(flat, 50);
  EXPECT_GT(members, 300);
}

TEST(JsonScan, TrickyTextsAgreeWithNlohmann) {
  for (const std::string& text : tricky_texts()) check(text);
}

// assign() overwrites in place where it can: whatever `into` held before,
// the result is what to_value() builds.
TEST(JsonScan, AssignGivesWhatToValueGives) {
  const std::vector<std::string> texts = {"null", "false", "true", "7", "-3", "26.5", "-0.0", "\"on\"", "\"\"",
                                          "\"a string longer than the small-string buffer\"", "4294967296"};
  int scalars = 0;
  for (const std::string& before : texts) {
    for (const std::string& after : texts) {
      Scanner first(before);
      Scalar was;
      ASSERT_TRUE(first.scalar(was)) << before;
      Scanner second(after);
      Scalar now;
      ASSERT_TRUE(second.scalar(now)) << after;
      Value into = to_value(was);
      assign(into, now);
      EXPECT_TRUE(same(into, to_value(now))) << before << " then " << after;
      EXPECT_TRUE(same(into, parse(after))) << after;
      ++scalars;
    }
  }
  EXPECT_EQ(scalars, 121);
}

// Strings are scanned eight bytes at a time: a byte that ends the plain run
// must be seen at every offset of a word, and a plain byte next to it must not
// look like one.
TEST(JsonScan, StringsAgreeWithNlohmannAtEveryOffset) {
  const std::vector<std::string> bytes = {"\"", "\\n", "\\u0041", std::string(1, '\x01'), std::string(1, '\x1f'),
                                          " ", "!", "#", "[", "]", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xff", "`"};
  int tokens = 0;
  for (std::size_t at = 0; at < 20; ++at) {
    for (const std::string& b : bytes) {
      const std::string body = std::string(at, 'a') + b + std::string(20 - at, 'b');
      tokens += check("\"" + body + "\"").tokens;
      check("{\"" + body + "\":1}");
      if (HasFailure()) return;
    }
  }
  // It reads the nine plain ones itself (the rest go to the parser) at every offset.
  EXPECT_EQ(tokens, 20 * 9);
}

TEST(JsonScan, CompareNamesOrdersAsStringView) {
  const std::vector<std::string> names = {"", "a", "b", "ab", "abc", "abd", "temperature", "temp", "\xc3\xa9", "\x7f", "Z"};
  for (const std::string& a : names) {
    for (const std::string& b : names) {
      const int want = std::string_view(a).compare(b);
      const int got = compare_names(a, b);
      EXPECT_EQ((want > 0) - (want < 0), got) << a << " vs " << b;
    }
  }
}

TEST(JsonScan, HandlesThePlainSubset) {
  for (const std::string text : {R"({"t":26.5,"n":-3,"u":7,"s":"on","b":true,"f":false,"z":null})",
                                 R"( { "a" : "x" , "b" : "y" } )", R"({"k":"温度 é 𐍈"})", "{}"}) {
    const Answered a = check(text);
    EXPECT_TRUE(a.tokens && a.flat && a.members) << text;
  }
  for (const std::string text : {R"([1,-0,0.5,-0.0,1.0,"x",[],{"a":[null]}])", R"({"a":{"b":[1,2]}})"}) {
    EXPECT_TRUE(check(text).tokens) << text;
  }
}

TEST(JsonScan, LeavesEscapesExponentsAndLongNumbersToTheParser) {
  for (const std::string text : {R"({"a":"\n"})", R"({"\u0061":1})", R"({"a":1e3})", R"({"a":1234567890123456.5})",
                                 R"({"a":9999999999999999999})", R"({"a":1,"a":2})", "\xEF\xBB\xBF{}"}) {
    Scanner s(text);
    Value v;
    EXPECT_FALSE(s.flat_object(v) && s.done()) << text;
  }
}

TEST(JsonScan, MatchDecidesCommonCasesItself) {
  const std::string_view names[] = {"device_id", "values"};
  std::string_view values[2];
  EXPECT_EQ(match_string_members(R"({"values":"QQ==","device_id":"d"})", names, values), Match::Yes);
  EXPECT_EQ(values[0], "d");
  EXPECT_EQ(values[1], "QQ==");
  // Decided at the first member: no need to read the rest.
  EXPECT_EQ(match_string_members(R"({"gateway_data":{"t":1}, whatever)", names, values), Match::No);
  EXPECT_EQ(match_string_members("[]", names, values), Match::No);
  EXPECT_EQ(match_string_members("", names, values), Match::No);
  EXPECT_EQ(match_string_members(R"({"device_id":"a","device_id":"d","values":"QQ=="})", names, values), Match::NotHandled);
  EXPECT_EQ(match_string_members(R"({"device_id":1,"values":"QQ=="})", names, values), Match::NotHandled);
}

TEST(JsonScan, NestingStopsCountingPastTheLimit) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(nesting_depth(deep, 128), 129);
  EXPECT_EQ(nesting_depth(R"(["[[[[",{"a":"\"{{"}])", 1), 2);
  EXPECT_EQ(nesting_depth("1", 0), 0);
}

// Random byte edits of texts that use every token kind: wherever a fast path
// answers, nlohmann agrees (check() asserts it).
TEST(JsonScan, MutationsNeverDisagree) {
  const std::vector<std::string> seeds = {
      R"({"device_id":"d-1","values":"eyJ0IjoxfQ=="})",
      R"({"t":26.5,"n":-3,"u":7,"s":"on","b":true,"f":false,"z":null,"e":"\u00e9\n"})",
      R"([{"a":[1,-0.0,1e5,"x\"y"]},{"b":{}},[],0.125,18446744073709551615])",
      "{\"k\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\",\"m\":12345678901234.5}",
  };
  const std::string alphabet = "{}[]\":,.-+eE0123456789 \t\ntfnulabu\\/\x80\xBF\xC3\xA9\xED\xF0\xF4\xEF";
  std::mt19937 rng(20261203);
  int tokens = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string text = json_testing::mutated(seeds[rng() % seeds.size()], alphabet, rng);
    const Answered a = check(text);
    tokens += a.tokens;
    if (HasFailure()) return;
  }
  EXPECT_GT(tokens, 1000);  // the edits do exercise the scanner
}

}  // namespace
}  // namespace tpgate::json
