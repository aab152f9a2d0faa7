// Compiling and running data scripts in tests (src/script/lua_script.hpp).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "script/lua_script.hpp"

namespace tpgate::script::testing {

// The script compiled, or a test failure naming why not.
inline std::unique_ptr<Script> compiled(std::string_view source, const Limits& limits = {}) {
  Failure failure;
  auto script = Script::compile(source, "script", limits, failure);
  EXPECT_NE(script, nullptr) << failure_kind_name(failure.kind) << ": " << failure.message;
  return script;
}

// What encodeInp(msg, topic) returned, or "<kind>: message" when the run failed.
inline std::string ran(std::string_view source, std::string_view msg, std::string_view topic = "") {
  auto script = compiled(source);
  if (!script) return "<not compiled>";
  const Outcome outcome = script->run(msg, topic);
  if (outcome.ok) return outcome.output;
  return "<" + std::string(failure_kind_name(outcome.failure.kind)) + ">: " + outcome.failure.message;
}

// The body of encodeInp around `body`: `return <expression>` scripts in one line.
inline std::string returning(std::string_view expression) {
  return "local json = require('json')\nfunction encodeInp(msg, topic)\n  return " + std::string(expression) + "\nend\n";
}

}  // namespace tpgate::script::testing
