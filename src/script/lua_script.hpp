// Data scripts (docs/thingspanel.md#data-scripts): a ThingsPanel device
// configuration's Lua scripts, run as the platform runs them. The platform runs
// gopher-lua (Lua 5.1 semantics); this runs the Lua 5.1 reference
// implementation, compiled into the platform-side and emulator modules only.
//
// A script defines `function encodeInp(msg, topic)`: `msg` is the payload as a
// Lua string (binary safe), `topic` a string; it must return a string.
//
// Sandbox, as the platform's executor sets it up and tighter where it leaves a
// hole: the base library without dofile, loadfile, load, loadstring, rawget,
// rawset, setmetatable, getmetatable (and getfenv/setfenv, which reach other
// functions' globals); string, table, math, coroutine; `require` that knows
// one module, "json" (layeh/gopher-json's behaviour, json_module.cpp); no os,
// io, debug, package. Each run sees fresh globals: what one run assigns, the
// next does not see. Each run has an instruction budget (the platform's 3 s
// timeout, counted in VM instructions so that it means the same on every
// machine) and the script's state a memory cap.
//
// Compile once, run many times: compile() parses the source once; run() sets
// up fresh globals and calls the chunk and then encodeInp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tpgate::script {

struct Limits {
  // VM instructions per run (a busy loop of ~1e8 instructions is about 3 s of
  // gopher-lua on a 2-core machine of 2026).
  std::uint64_t instructions = 100'000'000;
  // Bytes the script's Lua state may hold (compiled code, globals, strings).
  std::size_t memory_bytes = 32u << 20;
};

enum class FailureKind : std::uint8_t {
  Syntax,      // the source does not compile (line known)
  Runtime,     // a Lua error while running (line known when Lua says it)
  NoFunction,  // the chunk ran but defined no function encodeInp
  BadResult,   // encodeInp returned something other than a string
  Budget,      // the instruction budget ran out (an endless loop)
  Memory,      // the memory cap was reached
};

// Stable name of a kind: "syntax", "runtime", "no-function", "bad-result", "budget", "memory".
std::string_view failure_kind_name(FailureKind kind);

struct Failure {
  FailureKind kind = FailureKind::Runtime;
  // Reads on its own, with the chunk name and line as Lua gives them:
  // `script:3: attempt to index local 'data' (a nil value)`,
  // `encodeInp must return a string, got table`.
  std::string message;
  int line = 0;  // 1-based line in the script, 0 when none applies
};

// What a run gave: the string encodeInp returned, or why not.
struct Outcome {
  bool ok = false;
  std::string output;  // when ok
  Failure failure;     // when !ok
};

class Script {
 public:
  // Parses `source` once. `name` is the chunk name in messages ("script" when
  // empty): errors read `NAME:LINE: ...`. On failure, `failure` says why
  // (Syntax with its line, or Memory) and the returned pointer is null.
  static std::unique_ptr<Script> compile(std::string_view source, std::string_view name, const Limits& limits,
                                         Failure& failure);

  ~Script();
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  // Runs the chunk with fresh globals, then encodeInp(msg, topic).
  Outcome run(std::string_view msg, std::string_view topic);

  // Bytes the Lua state holds now.
  std::size_t memory_in_use() const;

 private:
  struct State;
  explicit Script(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tpgate::script
