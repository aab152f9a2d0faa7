#include "script_bindings.hpp"

#include <emscripten/bind.h>

#include <memory>
#include <string>
#include <utility>

#include "convert.hpp"

namespace tpgate::bindings {

using emscripten::val;

namespace {

mqtt::Result<double> positive(const val& object, const char* key, double max) {
  val v = object[key];
  if (v.isUndefined() || v.isNull()) return 0.0;
  if (!v.isNumber()) return mqtt::argument_error(std::string("limits.") + key, "must be a number");
  const double d = v.as<double>();
  if (!(d >= 1 && d <= max) || d != static_cast<double>(static_cast<std::uint64_t>(d))) {
    return mqtt::argument_error(std::string("limits.") + key, "must be a whole number from 1 to " + std::to_string(static_cast<std::uint64_t>(max)));
  }
  return d;
}

// The outcome as {ok: true, output: Uint8Array} or {ok: false, kind, message, line}.
val outcome_to_js(const script::Outcome& outcome) {
  val out = val::object();
  out.set("ok", outcome.ok);
  if (outcome.ok) {
    out.set("output", val::global("Uint8Array")
                          .new_(emscripten::typed_memory_view(outcome.output.size(),
                                                              reinterpret_cast<const std::uint8_t*>(outcome.output.data())))
                          .call<val>("slice"));
  } else {
    out.set("kind", std::string(script::failure_kind_name(outcome.failure.kind)));
    out.set("message", outcome.failure.message);
    out.set("line", outcome.failure.line);
  }
  return out;
}

class LuaScriptBinding {
 public:
  LuaScriptBinding(std::string source, std::string name, val limits) {
    auto l = script_limits_from_js(limits);
    if (!l) {
      error_ = l.error().message;
      return;
    }
    script_ = script::Script::compile(source, name, *l, failure_);
  }
  // null when compiled, else {ok: false, kind, message, line}.
  val compileError() const {
    if (script_) return val::null();
    if (!error_.empty()) {
      val out = val::object();
      out.set("ok", false);
      out.set("kind", std::string("argument"));
      out.set("message", error_);
      out.set("line", 0);
      return out;
    }
    return outcome_to_js(script::Outcome{false, {}, failure_});
  }
  // `input`: a Uint8Array (bytes, binary safe: Embind copies a typed array into the std::string).
  val run(std::string input, std::string topic) {
    if (!script_) return compileError();
    return outcome_to_js(script_->run(input, topic));
  }
  double memoryInUse() const { return script_ ? static_cast<double>(script_->memory_in_use()) : 0.0; }

 private:
  std::unique_ptr<script::Script> script_;
  script::Failure failure_;
  std::string error_;
};

}  // namespace

mqtt::Result<script::Limits> script_limits_from_js(const val& limits) {
  script::Limits out;
  if (limits.isUndefined() || limits.isNull()) return out;
  auto instructions = positive(limits, "instructions", 1e15);
  if (!instructions) return instructions.error();
  if (*instructions > 0) out.instructions = static_cast<std::uint64_t>(*instructions);
  auto memory = positive(limits, "memoryBytes", 1024.0 * 1024 * 1024);
  if (!memory) return memory.error();
  if (*memory > 0) out.memory_bytes = static_cast<std::size_t>(*memory);
  return out;
}

}  // namespace tpgate::bindings

EMSCRIPTEN_BINDINGS(tpgate_script) {
  using tpgate::bindings::LuaScriptBinding;
  emscripten::class_<LuaScriptBinding>("LuaScript")
      .constructor<std::string, std::string, emscripten::val>()
      .function("compileError", &LuaScriptBinding::compileError)
      .function("run", &LuaScriptBinding::run)
      .function("memoryInUse", &LuaScriptBinding::memoryInUse);
}
