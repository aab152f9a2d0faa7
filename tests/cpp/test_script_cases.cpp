// The data script sandbox cases of tests/cases/script-sandbox.json, the same
// table tests/js/script-wasm.test.js runs through the wasm module: the native
// and ASan builds run them here.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "script/lua_script.hpp"

namespace tpgate::script {
namespace {

using nlohmann::json;

json load_cases() {
  std::ifstream in(std::string(TPGATE_TEST_CASES_DIR) + "/script-sandbox.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string input_of(const json& c) {
  if (c.contains("input_hex")) return from_hex(c["input_hex"].get<std::string>());
  return c.value("input", std::string());
}

void check(const std::string& name, const Outcome& outcome, const json& expect) {
  if (expect.contains("kind")) {
    ASSERT_FALSE(outcome.ok) << name << ": expected a failure, got output " << outcome.output;
    EXPECT_EQ(failure_kind_name(outcome.failure.kind), expect["kind"].get<std::string>())
        << name << ": " << outcome.failure.message;
    if (expect.contains("line")) EXPECT_EQ(outcome.failure.line, expect["line"].get<int>()) << name << ": " << outcome.failure.message;
    if (expect.contains("contains")) {
      EXPECT_NE(outcome.failure.message.find(expect["contains"].get<std::string>()), std::string::npos)
          << name << ": " << outcome.failure.message;
    }
    return;
  }
  ASSERT_TRUE(outcome.ok) << name << ": " << failure_kind_name(outcome.failure.kind) << ": " << outcome.failure.message;
  if (expect.contains("output_hex")) EXPECT_EQ(to_hex(outcome.output), expect["output_hex"].get<std::string>()) << name;
  else EXPECT_EQ(outcome.output, expect["output"].get<std::string>()) << name;
}

TEST(ScriptCases, EveryCaseOfTheSharedTable) {
  const json all = load_cases();
  ASSERT_GE(all["cases"].size(), 30u);
  Limits limits;
  limits.instructions = 10'000'000;  // the tables' loops need far less; keeps the run short
  limits.memory_bytes = 16u << 20;
  for (const json& c : all["cases"]) {
    const std::string name = c["name"].get<std::string>();
    std::string source;
    for (const json& line : c["source"]) source += line.get<std::string>() + "\n";
    Failure failure;
    auto script = Script::compile(source, "case", limits, failure);
    const json& expect = c["expect"];
    if (!script) {
      check(name, Outcome{false, {}, failure}, expect);
      continue;
    }
    const int runs = c.value("runs", 1);
    for (int i = 0; i < runs; ++i) check(name, script->run(input_of(c), c.value("topic", std::string())), expect);
    if (c.contains("then")) {
      const json& next = c["then"];
      check(name + " (then)", script->run(input_of(next), next.value("topic", std::string())), next["expect"]);
    }
  }
}

}  // namespace
}  // namespace tpgate::script
