// The data scripts' sandbox (src/script/lua_script.hpp): what a script can
// reach, and that one run leaves nothing for the next
// (docs/thingspanel.md#data-scripts).
#include <gtest/gtest.h>

#include <string>

#include "test_script_util.hpp"

namespace tpgate::script {
namespace {

using testing::compiled;
using testing::ran;
using testing::returning;

TEST(ScriptSandbox, DangerousGlobalsAreAbsent) {
  for (const char* name : {"os", "io", "debug", "package", "load", "loadstring", "loadfile", "dofile", "rawget",
                           "rawset", "setmetatable", "getmetatable", "getfenv", "setfenv", "newproxy",
                           "module", "collectgarbage", "gcinfo"}) {
    EXPECT_EQ(ran(returning(std::string("type(") + name + ")"), ""), "nil") << name;
  }
  EXPECT_EQ(ran(returning("type(string.dump)"), ""), "nil");
}

TEST(ScriptSandbox, WhatScriptsUseIsThere) {
  EXPECT_EQ(ran(returning("table.concat({type(string.format), type(table.insert), type(math.floor), "
                          "type(coroutine.create), type(pairs), type(ipairs), type(tonumber), type(tostring), "
                          "type(pcall), type(select), type(unpack), type(next), type(error), type(assert), "
                          "type(print), type(require), type(json.encode), _VERSION}, ' ')"),
                ""),
            "function function function function function function function function function function function "
            "function function function function function function Lua 5.1");
  EXPECT_EQ(ran(returning("string.format('%05.1f|%d|%s', 3.14159, 42, 'x') .. ('abc'):upper() .. #('héllo')"), ""),
            "003.1|42|xABC6");
  EXPECT_EQ(ran(returning("tostring(math.max(3, 9)) .. select('#', 1, 2, 3) .. (tonumber('0x10') or 'nil')"), ""),
            "9316");
}

TEST(ScriptSandbox, AttemptsToReachOutFail) {
  const auto fails = [](const std::string& expression, const std::string& message) {
    const std::string result = ran(returning(expression), "");
    EXPECT_EQ(result.rfind("<runtime>: script:3: ", 0), 0u) << expression << " -> " << result;
    EXPECT_NE(result.find(message), std::string::npos) << expression << " -> " << result;
  };
  fails("os.execute('true')", "attempt to index global 'os' (a nil value)");
  fails("io.open('/etc/passwd'):read('*a')", "attempt to index global 'io' (a nil value)");
  fails("load('return 1')()", "attempt to call global 'load' (a nil value)");
  fails("loadstring('return 1')()", "attempt to call global 'loadstring' (a nil value)");
  fails("dofile('/etc/passwd')", "attempt to call global 'dofile' (a nil value)");
  fails("require('os').execute('true')", "module 'os' not found");
  fails("require('io')", "module 'io' not found");
  fails("require('debug')", "module 'debug' not found");
  fails("debug.getregistry()", "attempt to index global 'debug' (a nil value)");
  fails("package.loadlib('libc.so.6', 'system')", "attempt to index global 'package' (a nil value)");
  fails("setmetatable({}, {})", "attempt to call global 'setmetatable' (a nil value)");
  fails("getmetatable('')", "attempt to call global 'getmetatable' (a nil value)");
  fails("rawget(_G, 'x')", "attempt to call global 'rawget' (a nil value)");
  fails("rawset(_G, 'x', 1)", "attempt to call global 'rawset' (a nil value)");
  fails("getfenv(1)", "attempt to call global 'getfenv' (a nil value)");
  fails("string.dump(encodeInp)", "attempt to call field 'dump' (a nil value)");
}

TEST(ScriptSandbox, GlobalsDoNotLeakBetweenRuns) {
  auto script = compiled(
      "counter = (counter or 0) + 1\n"
      "function encodeInp(msg)\n"
      "  seen = (seen or 0) + 1\n"
      "  local before = tostring(leaked)\n"
      "  leaked = msg\n"
      "  _G.via_g = (_G.via_g or 0) + 1\n"
      "  return before .. ' ' .. counter .. ' ' .. seen .. ' ' .. via_g\n"
      "end\n");
  ASSERT_NE(script, nullptr);
  for (int i = 0; i < 3; ++i) {
    const Outcome outcome = script->run("m" + std::to_string(i), "");
    ASSERT_TRUE(outcome.ok) << outcome.failure.message;
    EXPECT_EQ(outcome.output, "nil 1 1 1");
  }
}

TEST(ScriptSandbox, GlobalNamesAreTheScriptsOwnToChange) {
  // Assigning a global of the same name as a library changes this run only.
  // (Assigning nil leaves the standard one visible: the run's globals are
  // empty and fall back to the sandbox's.)
  auto script = compiled("local first = type(string)\nfunction encodeInp(msg)\n"
                         "  local before = type(string) .. type(tostring)\n"
                         "  string = 1\n  tostring = 2\n"
                         "  return before .. ' ' .. type(string) .. type(tostring)\nend\n");
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->run("", "").output, "tablefunction numbernumber");
  EXPECT_EQ(script->run("", "").output, "tablefunction numbernumber");
}

TEST(ScriptSandbox, LibrariesAreReadOnly) {
  auto script = compiled("function encodeInp(msg)\n"
                         "  if msg == 'change' then string.upper = function() return 'hacked' end end\n"
                         "  return ('x'):upper() .. string.upper('y')\nend\n");
  ASSERT_NE(script, nullptr);
  const Outcome changed = script->run("change", "");
  EXPECT_EQ(changed.failure.kind, FailureKind::Runtime);
  EXPECT_EQ(changed.failure.message, "script:2: the string library is read-only");
  EXPECT_EQ(script->run("look", "").output, "XY");
  for (const char* library : {"table", "math", "coroutine", "json"}) {
    const std::string result =
        ran(std::string("local json = require('json')\nfunction encodeInp() ") + library + ".x = 1 end", "");
    EXPECT_EQ(result, std::string("<runtime>: script:2: the ") + library + " library is read-only");
  }
  // Nor through the string metatable, which getmetatable would reach.
  EXPECT_EQ(ran(returning("tostring(('').x)"), ""), "nil");
}

TEST(ScriptSandbox, EnvironmentsOfOtherFunctionsAreOutOfReach) {
  // Functions of the base library keep working whatever the script does to
  // its own globals.
  EXPECT_EQ(ran("function encodeInp(msg)\n  _G = nil\n  next = nil\n  return tostring(#{ipairs({1, 2})})\nend\n", ""),
            "3");
}

TEST(ScriptSandbox, RequireJsonIsTheSameModuleEachTime) {
  EXPECT_EQ(ran(returning("tostring(require('json') == require('json')) .. tostring(json == require('json'))"), ""),
            "truetrue");
}

TEST(ScriptSandbox, PrintIsHarmless) {
  EXPECT_EQ(ran("function encodeInp(msg)\n  print('debug', msg, 1, nil, {})\n  return msg\nend\n", "out"), "out");
}

TEST(ScriptSandbox, PcallStillCatchesOrdinaryErrors) {
  EXPECT_EQ(ran(returning("select(2, pcall(error, 'oops', 0)) .. tostring((pcall(error)))"), ""), "oopsfalse");
  EXPECT_EQ(ran(returning("select(2, xpcall(function() error('e', 0) end, function(m) return 'handled ' .. m end))"),
                ""),
            "handled e");
  EXPECT_EQ(ran(returning("tostring(select(2, coroutine.resume(coroutine.create(function(a) return a * 2 end), 21)))"),
                ""),
            "42");
}

}  // namespace
}  // namespace tpgate::script
