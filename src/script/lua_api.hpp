// The Lua 5.1 C API for src/script (Lua's headers are C without extern "C"),
// and what lua_script.cpp and json_module.cpp share.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
}

namespace tpgate::script::detail {

// The state every Lua state of a Script carries as its allocator's userdata
// (lua_getallocf gives it back from any thread of the state).
struct Accounting {
  std::size_t cap = 0;          // Limits::memory_bytes
  std::size_t in_use = 0;       // bytes the state holds now
  bool memory_refused = false;  // an allocation went over the cap this run
  std::uint64_t budget = 0;     // Limits::instructions
  std::uint64_t spent = 0;      // instructions (and string.rep repetitions) this run
  bool budget_spent = false;    // the budget ran out this run
};

inline Accounting& accounting(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return *static_cast<Accounting*>(ud);
}

// Raises the memory-cap error (a Memory failure) with `what` in its message.
[[noreturn]] void raise_memory_cap(lua_State* L, const char* what, std::size_t bytes);

// Pushes the json module's table (json_module.cpp). `slot` is a registry
// reference the module's functions use to hand values out of protected calls.
void push_json_module(lua_State* L, int slot);

}  // namespace tpgate::script::detail
