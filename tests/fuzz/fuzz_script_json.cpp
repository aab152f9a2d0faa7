// libFuzzer target for data scripts' json module (docs/thingspanel.md#data-scripts):
// ThingsPanel's default template, json.encode(json.decode(msg)), run on any bytes
// through the sandbox's limits.
//
// Properties checked (abort on violation):
//   - a run never crashes, hangs or reads out of bounds (ASan/UBSan), whatever
//     the input: it returns a string or a failure of a known kind;
//   - what it returns, decoded and encoded again, is the same text (encode's
//     output is a fixed point: sorted keys, Go's number format);
//   - the script's memory does not grow from run to run.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "script/lua_script.hpp"

namespace {

using namespace tpgate::script;

constexpr const char* kTemplate = R"lua(
local json = require("json")
function encodeInp(msg, topic)
  local data, err = json.decode(msg)
  if err ~= nil then error(err) end
  local text, problem = json.encode(data)
  if problem ~= nil then error(problem) end
  return text
end
)lua";

Script& script() {
  static std::unique_ptr<Script> s = [] {
    Limits limits;
    limits.instructions = 1'000'000;
    limits.memory_bytes = 8u << 20;
    Failure failure;
    auto compiled = Script::compile(kTemplate, "template", limits, failure);
    if (!compiled) {
      std::fprintf(stderr, "the template does not compile: %s\n", failure.message.c_str());
      std::abort();
    }
    return compiled;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Script& s = script();
  const Outcome first = s.run(std::string_view(reinterpret_cast<const char*>(data), size), "");
  if (!first.ok) {
    if (first.failure.message.empty()) {
      std::fprintf(stderr, "a failure without a message (kind %d)\n", static_cast<int>(first.failure.kind));
      std::abort();
    }
    return 0;
  }
  const Outcome again = s.run(first.output, "");
  if (!again.ok || again.output != first.output) {
    std::fprintf(stderr, "encode is not a fixed point:\n%s\n%s\n", first.output.c_str(),
                 again.ok ? again.output.c_str() : again.failure.message.c_str());
    std::abort();
  }
  if (s.memory_in_use() > (6u << 20)) {
    std::fprintf(stderr, "the script holds %zu bytes after a run\n", s.memory_in_use());
    std::abort();
  }
  return 0;
}
