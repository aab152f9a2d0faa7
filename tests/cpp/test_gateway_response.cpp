// Responses and acks (docs/thingspanel.md#flat-responses; ts per
// docs/thingspanel.md#timestamps):
// golden JSON for what we send, and a table of what we may receive.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "gateway/response.hpp"

namespace tpgate::gateway {
namespace {

constexpr std::int64_t kNowMs = 1609459200789;  // -> ts 1609459200 (seconds, docs/thingspanel.md#timestamps)

// ------------------------------------------------------------ building

struct BuildCase {
  const char* why;
  Response response;
  const char* json;  // byte-exact: key order as the spec writes it
};

void PrintTo(const BuildCase& c, std::ostream* os) { *os << c.why; }

class ResponseBuildTest : public ::testing::TestWithParam<BuildCase> {};

TEST_P(ResponseBuildTest, Golden) {
  const BuildCase& c = GetParam();
  EXPECT_EQ(build_response(c.response), c.json);
}

TEST_P(ResponseBuildTest, ParsesBackToTheSameResponse) {
  const BuildCase& c = GetParam();
  const ParsedResponse parsed = parse_response(build_response(c.response));
  EXPECT_TRUE(parsed.problem.empty()) << parsed.problem;
  EXPECT_EQ(parsed.response, c.response);
}

INSTANTIATE_TEST_SUITE_P(
    FlatResponses, ResponseBuildTest,
    ::testing::Values(
        BuildCase{"docs/thingspanel.md#flat-responses: success ack", success_response(kNowMs),
                  R"({"result":0,"message":"success","ts":1609459200})"},
        BuildCase{"docs/thingspanel.md#flat-responses: success answering a command", success_response(kNowMs, "Restart"),
                  R"({"result":0,"message":"success","ts":1609459200,"method":"Restart"})"},
        BuildCase{"docs/thingspanel.md#flat-responses: failure answering a command",
                  failure_response("INVALID_PARAM", "Parameter validation failed", kNowMs, "Restart"),
                  R"({"result":1,"errcode":"INVALID_PARAM","message":"Parameter validation failed","ts":1609459200,"method":"Restart"})"},
        BuildCase{"docs/thingspanel.md#flat-responses: failure to an attribute set has no method",
                  failure_response("UNKNOWN_TARGET", "no sub-device sensor_9", kNowMs),
                  R"({"result":1,"errcode":"UNKNOWN_TARGET","message":"no sub-device sensor_9","ts":1609459200})"},
        BuildCase{"docs/thingspanel.md#flat-responses: the platform's own failure ack: errcode 000, no method",
                  platform_failure_ack("bad payload", kNowMs),
                  R"({"result":1,"errcode":"000","message":"bad payload","ts":1609459200})"},
        BuildCase{"strings are JSON-escaped", failure_response("E", "say \"hi\"\n", kNowMs),
                  R"({"result":1,"errcode":"E","message":"say \"hi\"\n","ts":1609459200})"}));

// docs/thingspanel.md#timestamps: response ts is seconds, taken from the millisecond clock.
TEST(ResponseTs, TimestampsSecondsFromMilliseconds) {
  EXPECT_EQ(response_ts_from_ms(1609459200999), 1609459200);
  EXPECT_EQ(response_ts_from_ms(0), 0);
  EXPECT_EQ(response_ts_from_ms(-1), -1);
  EXPECT_EQ(success_response(1609459200999).ts, 1609459200);
}

// docs/thingspanel.md#flat-responses: `result` is a number in what we send, never "0".
TEST(ResponseBuild, FlatResponsesResultIsANumber) {
  const nlohmann::json ok = nlohmann::json::parse(build_response(success_response(kNowMs)), nullptr, false);
  ASSERT_TRUE(ok.is_object());
  EXPECT_TRUE(ok["result"].is_number_integer());
  EXPECT_EQ(ok["result"], 0);
  const nlohmann::json bad = nlohmann::json::parse(build_response(failure_response("E", "m", kNowMs)), nullptr, false);
  EXPECT_TRUE(bad["result"].is_number_integer());
  EXPECT_EQ(bad["result"], 1);
}

// Nothing may throw (JSON_NOEXCEPTION aborts instead): invalid UTF-8 is replaced.
TEST(ResponseBuild, InvalidUtf8IsReplacedNotFatal) {
  const std::string out = build_response(failure_response("E", "bad \xFF byte", kNowMs));
  EXPECT_NE(out.find("bad \xEF\xBF\xBD byte"), std::string::npos) << out;
}

// ------------------------------------------------------------- parsing

struct ParseCase {
  const char* why;
  const char* payload;
  bool success;
  const char* problem;  // "" for a well-formed response
  const char* errcode;
  std::int64_t ts;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.why; }

class ResponseParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ResponseParseTest, Classifies) {
  const ParseCase& c = GetParam();
  const ParsedResponse parsed = parse_response(c.payload);
  EXPECT_EQ(parsed.response.success, c.success);
  EXPECT_EQ(parsed.problem, c.problem);
  EXPECT_EQ(parsed.response.errcode, c.errcode);
  EXPECT_EQ(parsed.response.ts, c.ts);
}

INSTANTIATE_TEST_SUITE_P(
    FlatResponses, ResponseParseTest,
    ::testing::Values(
        ParseCase{"success", R"({"result":0,"message":"success","ts":1609459200})", true, "", "", 1609459200},
        ParseCase{"success with 0.0", R"({"result":0.0,"ts":1})", true, "", "", 1},
        ParseCase{"failure", R"({"result":1,"errcode":"INVALID_PARAM","message":"x","ts":5})", false, "",
                  "INVALID_PARAM", 5},
        ParseCase{"any non-zero result is failure", R"({"result":2})", false, "", "", 0},
        ParseCase{"docs/thingspanel.md#flat-responses: platform failure ack errcode 000", R"({"result":1,"errcode":"000","message":"m"})",
                  false, "", "000", 0},
        ParseCase{"a numeric errcode is kept as text", R"({"result":1,"errcode":404})", false, "", "404", 0},
        ParseCase{"docs/thingspanel.md#flat-responses: string result counts as failure", R"({"result":"0","message":"success"})", false,
                  "result is a string, not a number", "", 0},
        ParseCase{"docs/thingspanel.md#flat-responses: non-JSON payload counts as failure", "OK", false, "payload is not JSON", "", 0},
        ParseCase{"empty payload", "", false, "payload is not JSON", "", 0},
        ParseCase{"truncated JSON", R"({"result":0)", false, "payload is not JSON", "", 0},
        ParseCase{"boolean result", R"({"result":true})", false, "result is a boolean, not a number", "", 0},
        ParseCase{"null result", R"({"result":null})", false, "result is null, not a number", "", 0},
        ParseCase{"missing result", R"({"message":"success"})", false, "result is missing", "", 0},
        ParseCase{"array payload", R"([0])", false, "payload is an array, not an object", "", 0},
        ParseCase{"number payload", "0", false, "payload is a number, not an object", "", 0},
        // docs/thingspanel.md#timestamps: a millisecond ts is read as seconds.
        ParseCase{"docs/thingspanel.md#timestamps: millisecond ts becomes seconds", R"({"result":0,"ts":1609459200000})", true, "", "",
                  1609459200},
        ParseCase{"a string ts is ignored", R"({"result":0,"ts":"1609459200"})", true, "", "", 0},
        ParseCase{"a huge ts is clamped, not undefined", R"({"result":0,"ts":1e300})", true, "", "",
                  9'200'000'000'000'000'000}));

TEST(ResponseParse, KeepsMethodMessageAndRawResult) {
  const ParsedResponse p =
      parse_response(R"({"result":1,"errcode":"E","message":"Parameter validation failed","ts":7,"method":"Restart"})");
  EXPECT_EQ(p.response.message, "Parameter validation failed");
  ASSERT_TRUE(p.response.method.has_value());
  EXPECT_EQ(*p.response.method, "Restart");
  ASSERT_TRUE(p.result.has_value());
  EXPECT_EQ(*p.result, 1.0);
  EXPECT_TRUE(p.has_ts);
  EXPECT_FALSE(parse_response(R"({"result":0})").has_ts);
  EXPECT_FALSE(parse_response(R"({"result":"0"})").result.has_value());
}

}  // namespace
}  // namespace tpgate::gateway
