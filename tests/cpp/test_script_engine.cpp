// The data-script engine (src/script/lua_script.hpp): scripts as the platform
// runs them (docs/thingspanel.md#data-scripts), compile once and run many
// times, and every way a script can fail.
#include <gtest/gtest.h>

#include <string>

#include "test_script_util.hpp"

namespace tpgate::script {
namespace {

using testing::compiled;
using testing::ran;
using testing::returning;

// The template the ThingsPanel frontend puts in a new data script (comments
// translated, code as it is).
constexpr const char* kFrontendTemplate = R"(function encodeInp(msg,topic)
-- Encodes the input message into a format the platform or the device understands.
-- Input: msg, a string of any data.
-- Output: the encoded message, a JSON string.
-- string <-> JSON object needs the json library: local json = require("json")
-- e.g. string to JSON object: local jsonData = json.decode(msgString)
-- e.g. JSON object to string: local jsonStr = json.encode(jsonTable)
local json = require("json")
local jsonData = json.decode(msg)
-- e.g. if jsonData.temp then
-- e.g. jsonData.temp = jsonData.temp * 10
-- e.g. end
local newJsonString = json.encode(jsonData)
return newJsonString
end)";

TEST(ScriptEngine, FrontendTemplateRunsUnchanged) {
  EXPECT_EQ(ran(kFrontendTemplate, R"({"temp":25.5,"hum":60,"on":true,"name":"a<b"})"),
            R"({"hum":60,"name":"a\u003cb","on":true,"temp":25.5})");
  // Its commented-out example, enabled.
  std::string scaled = kFrontendTemplate;
  for (const char* line : {"-- e.g. if jsonData", "-- e.g. jsonData.temp =", "-- e.g. end"}) {
    scaled.erase(scaled.find(line), 8);  // "-- e.g. "
  }
  EXPECT_EQ(ran(scaled, R"({"temp":2.5})"), R"({"temp":25})");
}

constexpr const char* kGatewayReshape = R"(local json = require("json")

-- A gateway's own format: {"sensorDatas": {KEY: {"value": N, "scale": S}},
-- "nodes": [{"addr": A, "readings": {KEY: {"value": N, "scale": S}}}]}
local function scaled(readings)
  local out = {}
  for key, reading in pairs(readings) do
    out[key] = reading.value / (reading.scale or 1)
  end
  return out
end

function encodeInp(msg, topic)
  local data = json.decode(msg)
  local result = {gateway_data = scaled(data.sensorDatas), sub_device_data = {}}
  for _, node in ipairs(data.nodes or {}) do
    result.sub_device_data[node.addr] = scaled(node.readings)
  end
  return json.encode(result)
end
)";

TEST(ScriptEngine, GatewayScriptReshapesACustomPayload) {
  const std::string input = R"({"sensorDatas":{"temp":{"value":251,"scale":10},"hum":{"value":60}},
    "nodes":[{"addr":"n1","readings":{"volt":{"value":2205,"scale":100}}},
             {"addr":"n2","readings":{"rssi":{"value":-70}}}]})";
  EXPECT_EQ(ran(kGatewayReshape, input),
            R"({"gateway_data":{"hum":60,"temp":25.1},"sub_device_data":{"n1":{"volt":22.05},"n2":{"rssi":-70}}})");
}

TEST(ScriptEngine, TopicAndMessageArriveAsStrings) {
  EXPECT_EQ(ran(returning("type(msg) .. ' ' .. type(topic) .. ' ' .. topic .. ' ' .. #msg"), "abc", "gateway/telemetry"),
            "string string gateway/telemetry 3");
}

TEST(ScriptEngine, BinarySafeInput) {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte += static_cast<char>(i);
  every_byte += std::string("\0\0tail", 6);
  EXPECT_EQ(ran(returning("msg"), every_byte), every_byte);
  EXPECT_EQ(ran(returning("tostring(#msg) .. ':' .. msg:byte(1) .. ',' .. msg:byte(256)"), every_byte), "262:0,255");
}

TEST(ScriptEngine, NumbersBecomeTextAsOnThePlatform) {
  // gopher-lua's LNumber.String: integral values as integers, others as Go's
  // fmt.Sprint of a float64 (strconv 'g', shortest).
  const auto text = [](const char* expression) { return ran(returning(std::string("tostring(") + expression + ")"), ""); };
  EXPECT_EQ(text("1"), "1");
  EXPECT_EQ(text("25.5"), "25.5");
  EXPECT_EQ(text("0.1 + 0.2"), "0.30000000000000004");  // C Lua's %.14g: 0.3
  EXPECT_EQ(text("1e15"), "1000000000000000");           // %.14g: 1e+15
  EXPECT_EQ(text("2^53"), "9007199254740992");
  EXPECT_EQ(text("-0"), "0");
  EXPECT_EQ(text("1/3"), "0.3333333333333333");
  EXPECT_EQ(text("0.00001"), "1e-05");
  EXPECT_EQ(text("1234567.5"), "1.2345675e+06");
  EXPECT_EQ(text("123456.5"), "123456.5");
  EXPECT_EQ(text("1e21"), "1e+21");
  EXPECT_EQ(text("2^63"), "9.223372036854776e+18");
  EXPECT_EQ(text("-2^63"), "-9223372036854775808");
  EXPECT_EQ(text("1/0"), "+Inf");
  EXPECT_EQ(text("-1/0"), "-Inf");
  EXPECT_EQ(text("0/0"), "NaN");
  EXPECT_EQ(ran(returning("'t=' .. 25.25 .. ',' .. 3"), ""), "t=25.25,3");
}

TEST(ScriptEngine, CompileOnceRunManyTimesWithStableMemory) {
  auto script = compiled(kGatewayReshape);
  ASSERT_NE(script, nullptr);
  const std::string input = R"({"sensorDatas":{"temp":{"value":251,"scale":10}},"nodes":[{"addr":"n1","readings":{"v":{"value":1}}}]})";
  const std::string expected = R"({"gateway_data":{"temp":25.1},"sub_device_data":{"n1":{"v":1}}})";
  std::size_t after_warm_up = 0;
  std::size_t highest = 0;
  for (int i = 0; i < 10000; ++i) {
    const Outcome outcome = script->run(input, "");
    ASSERT_TRUE(outcome.ok) << i << ": " << outcome.failure.message;
    ASSERT_EQ(outcome.output, expected);
    if (i == 100) after_warm_up = script->memory_in_use();
    if (i > 100) highest = std::max(highest, script->memory_in_use());
  }
  // The garbage of a run is collected as runs go: no growth with the count.
  EXPECT_GT(after_warm_up, 0u);
  EXPECT_LT(highest, after_warm_up * 4);
  EXPECT_LT(highest, 1u << 20);
}

TEST(ScriptEngine, FailureKindNames) {
  EXPECT_EQ(failure_kind_name(FailureKind::Syntax), "syntax");
  EXPECT_EQ(failure_kind_name(FailureKind::Runtime), "runtime");
  EXPECT_EQ(failure_kind_name(FailureKind::NoFunction), "no-function");
  EXPECT_EQ(failure_kind_name(FailureKind::BadResult), "bad-result");
  EXPECT_EQ(failure_kind_name(FailureKind::Budget), "budget");
  EXPECT_EQ(failure_kind_name(FailureKind::Memory), "memory");
}

// ---- bad scripts --------------------------------------------------------------

TEST(ScriptEngine, SyntaxErrorGivesItsLine) {
  Failure failure;
  auto script = Script::compile("local x = 1\nfunction encodeInp(msg)\n  return msg +\nend\n", "decoder", {}, failure);
  EXPECT_EQ(script, nullptr);
  EXPECT_EQ(failure.kind, FailureKind::Syntax);
  EXPECT_EQ(failure.line, 4);
  EXPECT_EQ(failure.message, "decoder:4: unexpected symbol near 'end'");
}

TEST(ScriptEngine, EmptyNameIsScript) {
  Failure failure;
  EXPECT_EQ(Script::compile("x = = 1", "", {}, failure), nullptr);
  EXPECT_EQ(failure.message, "script:1: unexpected symbol near '='");
  EXPECT_EQ(failure.line, 1);
}

TEST(ScriptEngine, RuntimeErrorGivesItsLine) {
  auto script = compiled("local json = require('json')\nfunction encodeInp(msg)\n  local data = json.decode(msg)\n"
                         "  return data.value.x\nend\n");
  ASSERT_NE(script, nullptr);
  const Outcome outcome = script->run(R"({"other":1})", "");
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure.kind, FailureKind::Runtime);
  EXPECT_EQ(outcome.failure.line, 4);
  EXPECT_EQ(outcome.failure.message, "script:4: attempt to index field 'value' (a nil value)");
  EXPECT_TRUE(outcome.output.empty());
}

TEST(ScriptEngine, ErrorInTheChunkItself) {
  auto script = compiled("local a = nil\nlocal b = a.x\nfunction encodeInp(msg) return msg end\n");
  ASSERT_NE(script, nullptr);
  const Outcome outcome = script->run("m", "");
  EXPECT_EQ(outcome.failure.kind, FailureKind::Runtime);
  EXPECT_EQ(outcome.failure.line, 2);
}

TEST(ScriptEngine, ErrorObjectsThatAreNotStrings) {
  EXPECT_EQ(ran("function encodeInp(msg) error({}) end", ""), "<runtime>: (error object is a table value)");
  EXPECT_EQ(ran("function encodeInp(msg) error('plain', 0) end", ""), "<runtime>: plain");
  auto script = compiled("function encodeInp(msg) error('plain', 0) end");
  EXPECT_EQ(script->run("", "").failure.line, 0);
}

TEST(ScriptEngine, NoEncodeInp) {
  EXPECT_EQ(ran("function decodeInp(msg) return msg end", "x"),
            "<no-function>: the script defines no function encodeInp(msg, topic)");
  EXPECT_EQ(ran("encodeInp = 'not a function'", "x"),
            "<no-function>: the script defines no function encodeInp(msg, topic)");
}

TEST(ScriptEngine, ResultMustBeAString) {
  EXPECT_EQ(ran(returning("{}"), ""), "<bad-result>: encodeInp must return a string, got table");
  EXPECT_EQ(ran(returning("nil"), ""), "<bad-result>: encodeInp must return a string, got nil");
  // A number is not a string to the platform's executor either.
  EXPECT_EQ(ran(returning("42"), ""), "<bad-result>: encodeInp must return a string, got number");
  EXPECT_EQ(ran("function encodeInp(msg) end", ""), "<bad-result>: encodeInp must return a string, got nil");
  EXPECT_EQ(ran(returning("true"), ""), "<bad-result>: encodeInp must return a string, got boolean");
}

TEST(ScriptEngine, EndlessLoopRunsOutOfBudgetAndTheNextRunWorks) {
  Limits limits;
  limits.instructions = 1'000'000;
  auto script = compiled("local json = require('json')\nfunction encodeInp(msg)\n  if msg == 'loop' then\n"
                         "    while true do end\n  end\n  return msg\nend\n",
                         limits);
  ASSERT_NE(script, nullptr);
  const Outcome looped = script->run("loop", "");
  EXPECT_FALSE(looped.ok);
  EXPECT_EQ(looped.failure.kind, FailureKind::Budget);
  EXPECT_NE(looped.failure.message.find("instruction budget of 1000000 exceeded (an endless loop?)"), std::string::npos)
      << looped.failure.message;
  EXPECT_EQ(looped.failure.line, 4) << looped.failure.message;
  const Outcome next = script->run("fine", "");
  EXPECT_TRUE(next.ok) << next.failure.message;
  EXPECT_EQ(next.output, "fine");
}

TEST(ScriptEngine, BudgetCannotBeCaught) {
  Limits limits;
  limits.instructions = 200'000;
  for (const char* body : {
           "while true do pcall(function() while true do end end) end",
           "while true do xpcall(function() while true do end end, function(e) return e end) end",
           "local co = coroutine.create(function() while true do end end)\n"
           "while true do coroutine.resume(co) co = coroutine.create(function() while true do end end) end",
           "local f = coroutine.wrap(function() while true do end end)\nwhile true do pcall(f) end",
           "local function f() return f() end\nwhile true do pcall(f) end",
       }) {
    auto script = compiled(std::string("function encodeInp(msg)\n") + body + "\nend\n", limits);
    ASSERT_NE(script, nullptr);
    const Outcome outcome = script->run("", "");
    EXPECT_EQ(outcome.failure.kind, FailureKind::Budget) << body << ": " << outcome.failure.message;
  }
}

TEST(ScriptEngine, BudgetCountsInTheChunkToo) {
  Limits limits;
  limits.instructions = 100'000;
  auto script = compiled("for i = 1, 1e9 do end\nfunction encodeInp(msg) return msg end", limits);
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->run("", "").failure.kind, FailureKind::Budget);
}

TEST(ScriptEngine, StringRepFailsFast) {
  const Outcome huge = compiled(returning("string.rep('x', 1e9)"))->run("", "");
  EXPECT_EQ(huge.failure.kind, FailureKind::Memory) << huge.failure.message;
  EXPECT_NE(huge.failure.message.find("string.rep"), std::string::npos) << huge.failure.message;
  EXPECT_EQ(huge.failure.line, 3) << huge.failure.message;
  const Outcome empty = compiled(returning("string.rep('', 1e9)"))->run("", "");
  EXPECT_EQ(empty.failure.kind, FailureKind::Budget) << empty.failure.message;
  const Outcome method = compiled(returning("('ab'):rep(1e9)"))->run("", "");
  EXPECT_EQ(method.failure.kind, FailureKind::Memory) << method.failure.message;
  EXPECT_EQ(ran(returning("string.rep('ab', 3) .. string.rep('x', 0) .. string.rep('x', -1)"), ""), "ababab");
}

TEST(ScriptEngine, TableBombHitsTheMemoryCap) {
  Limits limits;
  limits.memory_bytes = 4u << 20;
  auto script = compiled("function encodeInp(msg)\n  local t = {}\n  for i = 1, 1e8 do t[i] = i end\n  return 'x'\nend\n",
                         limits);
  ASSERT_NE(script, nullptr);
  const Outcome outcome = script->run("", "");
  EXPECT_EQ(outcome.failure.kind, FailureKind::Memory) << outcome.failure.message;
  EXPECT_NE(outcome.failure.message.find("memory cap of 4194304 bytes"), std::string::npos) << outcome.failure.message;
  EXPECT_LE(script->memory_in_use(), limits.memory_bytes);
  // The garbage is gone and the next run has its room.
  auto fine = compiled("function encodeInp(msg) local t = {} for i = 1, 1e4 do t[i] = i end return msg end", limits);
  EXPECT_TRUE(fine->run("ok", "").ok);
  const Outcome again = script->run("", "");
  EXPECT_EQ(again.failure.kind, FailureKind::Memory);
}

TEST(ScriptEngine, StringConcatBombHitsTheMemoryCap) {
  Limits limits;
  limits.memory_bytes = 4u << 20;
  auto script = compiled("function encodeInp(msg)\n  local s = 'xxxxxxxx'\n  while true do s = s .. s end\nend\n", limits);
  const Outcome outcome = script->run("", "");
  EXPECT_EQ(outcome.failure.kind, FailureKind::Memory) << outcome.failure.message;
}

TEST(ScriptEngine, CompileOverTheMemoryCap) {
  Limits limits;
  limits.memory_bytes = 16u << 10;
  Failure failure;
  std::string source = "function encodeInp(msg)\n  return msg\nend\n";
  for (int i = 0; i < 2000; ++i) source += "local _ = 'string number " + std::to_string(i) + "'\n";
  EXPECT_EQ(Script::compile(source, "big", limits, failure), nullptr);
  EXPECT_EQ(failure.kind, FailureKind::Memory);
  EXPECT_FALSE(failure.message.empty());
}

TEST(ScriptEngine, DeepRecursionIsARuntimeError) {
  const std::string result = ran("local function f(n) return 1 + f(n + 1) end\nfunction encodeInp(msg) return f(1) end", "");
  EXPECT_EQ(result.rfind("<runtime>: ", 0), 0u) << result;
  EXPECT_NE(result.find("stack overflow"), std::string::npos) << result;
}

}  // namespace
}  // namespace tpgate::script
