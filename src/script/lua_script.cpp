// The data-script engine (lua_script.hpp; docs/thingspanel.md#data-scripts).
//
// One lua_State per Script. Its allocator enforces the memory cap; a count
// hook enforces the instruction budget. Every call into Lua that may raise
// runs under lua_cpcall or lua_pcall: Lua's errors are longjmps (Lua is built
// as C), and no C++ object with a destructor lives in a frame they cross.
//
// The sandbox is built once per Script: a base table holding what scripts may
// use (the standard libraries behind read-only proxies), a metatable whose
// __index is that base, and the compiled chunk, all in the registry. A run
// makes a fresh, empty globals table with that metatable, points the chunk at
// it (setfenv) and calls the chunk and then encodeInp.
#include "script/lua_script.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "json/writer.hpp"
#include "script/lua_api.hpp"

// luaconf.h (patched into the build tree, see CMakeLists.txt) turns numbers into
// text through this: as the platform's gopher-lua does (its LNumber.String),
// integral values in the int64 range as integers ("25", "-0" as "0",
// "9007199254740992"), others as Go's fmt.Sprint of a float64 ("25.5",
// "1e-05", "1.2345675e+06", "1e+21", "NaN", "+Inf"). C Lua's "%.14g" would
// write 1e15 as "1e+15", 0.1+0.2 as "0.3" and 2^53 as "9.007199254741e+15".
extern "C" int tpgate_lua_number2str(char* s, double n) {
  // [-2^63, 2^63): where Go's int64(n) is exact on the platform's amd64.
  if (n >= -9223372036854775808.0 && n < 9223372036854775808.0 && n == std::trunc(n)) {
    const auto end = std::to_chars(s, s + 24, static_cast<std::int64_t>(n)).ptr;
    *end = '\0';
    return static_cast<int>(end - s);
  }
  return static_cast<int>(tpgate::json::go_format_g(n, s));
}

namespace tpgate::script {

std::string_view failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::Syntax: return "syntax";
    case FailureKind::Runtime: return "runtime";
    case FailureKind::NoFunction: return "no-function";
    case FailureKind::BadResult: return "bad-result";
    case FailureKind::Budget: return "budget";
    case FailureKind::Memory: return "memory";
  }
  return "runtime";
}

namespace detail {

void raise_memory_cap(lua_State* L, const char* what, std::size_t bytes) {
  Accounting& account = accounting(L);
  account.memory_refused = true;
  char text[160];
  std::snprintf(text, sizeof text, "%s of %zu bytes is over the script's memory cap of %zu bytes", what, bytes,
                account.cap);
  luaL_where(L, 1);
  lua_pushstring(L, text);
  lua_concat(L, 2);
  lua_error(L);
  std::abort();  // lua_error does not return
}

}  // namespace detail

namespace {

using detail::Accounting;
using detail::accounting;

// The count hook fires every kHookStep VM instructions.
constexpr int kHookStep = 1000;

void* allocate(void* ud, void* ptr, std::size_t old_size, std::size_t new_size) {
  auto& account = *static_cast<Accounting*>(ud);
  if (new_size == 0) {
    std::free(ptr);
    account.in_use -= old_size;
    return nullptr;
  }
  // Only growth is refused: Lua assumes that shrinking a block succeeds.
  if (new_size > old_size && account.in_use - old_size + new_size > account.cap) {
    account.memory_refused = true;
    return nullptr;
  }
  void* block = std::realloc(ptr, new_size);
  if (block == nullptr) {
    account.memory_refused = true;
    return nullptr;
  }
  account.in_use = account.in_use - old_size + new_size;
  return block;
}

[[noreturn]] void raise_budget(lua_State* L) {
  Accounting& account = accounting(L);
  account.budget_spent = true;
  char text[120];
  std::snprintf(text, sizeof text, "instruction budget of %llu exceeded (an endless loop?)",
                static_cast<unsigned long long>(account.budget));
  luaL_where(L, 0);  // in a hook, level 0 is the Lua function that was running
  lua_pushstring(L, text);
  lua_concat(L, 2);
  lua_error(L);
  std::abort();
}

void count_hook(lua_State* L, lua_Debug*) {
  Accounting& account = accounting(L);
  account.spent += kHookStep;
  if (account.spent > account.budget) raise_budget(L);
}

// Charges `units` of work done in C (string.rep's repetitions) to the budget.
void charge(lua_State* L, std::uint64_t units) {
  Accounting& account = accounting(L);
  account.spent += units;
  if (account.spent > account.budget) raise_budget(L);
}

// pcall, xpcall and coroutine.resume catch errors; once the budget is spent
// they pass its error on, so that a loop around them cannot outlive it.
void rethrow_if_spent(lua_State* L) {
  if (accounting(L).budget_spent) raise_budget(L);
}

int sandbox_pcall(lua_State* L) {
  luaL_checkany(L, 1);
  const int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  rethrow_if_spent(L);
  lua_pushboolean(L, status == 0);
  lua_insert(L, 1);
  return lua_gettop(L);
}

int sandbox_xpcall(lua_State* L) {
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  lua_insert(L, 1);  // the handler under the function
  const int status = lua_pcall(L, 0, LUA_MULTRET, 1);
  rethrow_if_spent(L);
  lua_pushboolean(L, status == 0);
  lua_replace(L, 1);
  return lua_gettop(L);
}

// coroutine.resume: the library's own (upvalue 1), then the budget check.
int sandbox_resume(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  rethrow_if_spent(L);
  return lua_gettop(L);
}

// string.rep runs in C, where no instruction is counted: its result must fit
// the memory cap, and each repetition counts against the budget, so that
// string.rep('x', 1e9) and string.rep('', 1e9) fail at once.
int checked_rep(lua_State* L) {
  std::size_t length = 0;
  const char* text = luaL_checklstring(L, 1, &length);
  const lua_Number count = luaL_checknumber(L, 2);
  if (!(count >= 1)) {  // also NaN
    lua_pushliteral(L, "");
    return 1;
  }
  const Accounting& account = accounting(L);
  if (length > 0 && count * static_cast<lua_Number>(length) > static_cast<lua_Number>(account.cap)) {
    detail::raise_memory_cap(L, "string.rep: a result", static_cast<std::size_t>(std::fmin(
                                                            count * static_cast<lua_Number>(length), 1e18)));
  }
  if (count > static_cast<lua_Number>(account.budget)) {
    charge(L, account.budget + 1);
  }
  const auto n = static_cast<std::uint64_t>(count);
  charge(L, n);
  luaL_Buffer buffer;
  luaL_buffinit(L, &buffer);
  for (std::uint64_t i = 0; i < n; ++i) luaL_addlstring(&buffer, text, length);
  luaL_pushresult(&buffer);
  return 1;
}

int silent_print(lua_State*) { return 0; }

// require(name): the json module, and nothing else.
int sandbox_require(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  if (std::strcmp(name, "json") == 0) {
    lua_pushvalue(L, lua_upvalueindex(1));
    return 1;
  }
  return luaL_error(L, "module '%s' not found", name);
}

int read_only_newindex(lua_State* L) {
  return luaL_error(L, "the %s library is read-only", lua_tostring(L, lua_upvalueindex(1)));
}

// Replaces the table at the top of the stack with a read-only proxy of it: an
// empty table whose metatable reads from the library and refuses writes.
// Measured (native, -O2, a busy 2-core machine): the proxy's extra __index
// step costs about 12 ns per library access (1000 x S.len: 53 us through the
// proxy, 41 us through a plain table); copying the libraries into every run's
// globals instead would cost ~100 table writes and five tables a run, more
// than the few dozen library accesses of a typical script. Proxies it is.
void make_read_only(lua_State* L, const char* name) {
  lua_newtable(L);                 // lib proxy
  lua_createtable(L, 0, 3);        // lib proxy meta
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, name);
  lua_pushcclosure(L, read_only_newindex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);  // lib proxy
  lua_remove(L, -2);        // proxy
}

// What compile() sets up, in a protected call.
struct Setup {
  const char* source = nullptr;
  std::size_t size = 0;
  const char* chunk_name = nullptr;  // "=NAME"
  int load_status = 0;
  std::string* load_message = nullptr;
  int chunk_ref = LUA_NOREF;
  int env_meta_ref = LUA_NOREF;
  int runner_ref = LUA_NOREF;
};

constexpr const char* kBaseNames[] = {"assert", "error",    "ipairs", "next",   "pairs", "select",
                                      "tonumber", "tostring", "type",   "unpack", "rawequal", "_VERSION"};
constexpr const char* kLibraries[] = {"string", "table", "math", "coroutine"};

int run_protected(lua_State* L);

int setup_protected(lua_State* L) {
  auto& setup = *static_cast<Setup*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  const lua_CFunction openers[] = {luaopen_base, luaopen_string, luaopen_table, luaopen_math};
  const char* names[] = {"", LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME};
  for (std::size_t i = 0; i < std::size(openers); ++i) {  // luaopen_base opens coroutine too
    lua_pushcfunction(L, openers[i]);
    lua_pushstring(L, names[i]);
    lua_call(L, 1, 0);
  }
  // The library tables themselves: string.rep checked, string.dump (bytecode
  // nothing here can load) gone, coroutine.resume passing the budget on.
  lua_getglobal(L, "string");
  lua_pushcfunction(L, checked_rep);
  lua_setfield(L, -2, "rep");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  lua_getglobal(L, "coroutine");
  lua_getfield(L, -1, "resume");
  lua_pushcclosure(L, sandbox_resume, 1);
  lua_setfield(L, -2, "resume");
  lua_pop(L, 1);

  // The base table: what a script's globals fall back to.
  lua_newtable(L);  // base
  const int base = lua_gettop(L);
  for (const char* name : kBaseNames) {
    lua_getglobal(L, name);
    lua_setfield(L, base, name);
  }
  for (const char* name : kLibraries) {
    lua_getglobal(L, name);
    make_read_only(L, name);
    lua_setfield(L, base, name);
  }
  lua_pushcfunction(L, sandbox_pcall);
  lua_setfield(L, base, "pcall");
  lua_pushcfunction(L, sandbox_xpcall);
  lua_setfield(L, base, "xpcall");
  lua_pushcfunction(L, silent_print);
  lua_setfield(L, base, "print");
  // require("json"): the module behind a read-only proxy too; its functions
  // hand values out of their protected calls through a registry slot.
  lua_pushboolean(L, 0);
  const int json_slot = luaL_ref(L, LUA_REGISTRYINDEX);
  detail::push_json_module(L, json_slot);
  make_read_only(L, "json");
  lua_pushcclosure(L, sandbox_require, 1);
  lua_setfield(L, base, "require");

  // The metatable of every run's globals.
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, base);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  setup.env_meta_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  // Nothing else reaches the state's own globals: empty them, so that a
  // function running with them (none should) finds nothing.
  lua_newtable(L);
  lua_replace(L, LUA_GLOBALSINDEX);

  lua_pushcfunction(L, run_protected);
  setup.runner_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  setup.load_status = luaL_loadbuffer(L, setup.source, setup.size, setup.chunk_name);
  if (setup.load_status != 0) {
    std::size_t length = 0;
    const char* message = lua_tolstring(L, -1, &length);
    if (message != nullptr) setup.load_message->assign(message, length);
    return 0;
  }
  setup.chunk_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

// One run's inputs and what came of it.
struct Run {
  std::string_view msg;
  std::string_view topic;
  int chunk_ref = LUA_NOREF;
  int env_meta_ref = LUA_NOREF;
  // Outcome
  int status = 0;  // of the failing pcall, or 0
  bool no_function = false;
  const char* bad_type = nullptr;  // the type encodeInp returned, when not a string
  std::string* output = nullptr;
  std::string* message = nullptr;
};

// The message handler: no traceback; a non-string error object says what it was.
int error_message(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING) return 1;
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_tostring(L, 1);
    return 1;
  }
  lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

void keep_message(lua_State* L, Run& run) {
  std::size_t length = 0;
  const char* text = lua_tolstring(L, -1, &length);
  if (text != nullptr) run.message->assign(text, length);
  else run.message->assign("(error object is not a string)");
}

int run_protected(lua_State* L) {
  auto& run = *static_cast<Run*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_pushcfunction(L, error_message);  // 1
  // Fresh globals: _G is the table itself, the rest comes from the base.
  lua_newtable(L);  // 2: env
  lua_rawgeti(L, LUA_REGISTRYINDEX, run.env_meta_ref);
  lua_setmetatable(L, 2);
  lua_pushvalue(L, 2);
  lua_setfield(L, 2, "_G");
  lua_rawgeti(L, LUA_REGISTRYINDEX, run.chunk_ref);
  lua_pushvalue(L, 2);
  lua_setfenv(L, -2);
  run.status = lua_pcall(L, 0, 0, 1);
  if (run.status != 0) {
    keep_message(L, run);
    return 0;
  }
  lua_getfield(L, 2, "encodeInp");
  if (lua_type(L, -1) != LUA_TFUNCTION) {
    run.no_function = true;
    return 0;
  }
  lua_pushlstring(L, run.msg.data(), run.msg.size());
  lua_pushlstring(L, run.topic.data(), run.topic.size());
  run.status = lua_pcall(L, 2, 1, 1);
  if (run.status != 0) {
    keep_message(L, run);
    return 0;
  }
  // A string, as the platform's executor requires (a number is not one).
  if (lua_type(L, -1) != LUA_TSTRING) {
    run.bad_type = luaL_typename(L, -1);
    return 0;
  }
  std::size_t length = 0;
  const char* text = lua_tolstring(L, -1, &length);
  run.output->assign(text, length);
  return 0;
}

// The line in "NAME:LINE: message", when the message starts so.
int line_of(std::string_view message, std::string_view name) {
  if (message.size() <= name.size() + 1 || message.substr(0, name.size()) != name || message[name.size()] != ':') {
    return 0;
  }
  int line = 0;
  const char* begin = message.data() + name.size() + 1;
  const char* end = message.data() + message.size();
  const auto [at, error] = std::from_chars(begin, end, line);
  if (error != std::errc() || at == begin || at == end || *at != ':') return 0;
  return line;
}

// A full collection, protected: shrinking the string table allocates, and
// near the cap that allocation may be refused.
int collect_protected(lua_State* L) {
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

std::string memory_message(std::size_t cap) {
  return "not enough memory: the script's memory cap of " + std::to_string(cap) + " bytes was reached";
}

}  // namespace

struct Script::State {
  detail::Accounting account;
  lua_State* L = nullptr;
  std::string name;
  int chunk_ref = LUA_NOREF;
  int env_meta_ref = LUA_NOREF;
  int runner_ref = LUA_NOREF;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (L != nullptr) lua_close(L);
  }
};

Script::Script(std::unique_ptr<State> state) : state_(std::move(state)) {}
Script::~Script() = default;

std::unique_ptr<Script> Script::compile(std::string_view source, std::string_view name, const Limits& limits,
                                        Failure& failure) {
  auto state = std::make_unique<State>();
  state->account.cap = limits.memory_bytes;
  state->account.budget = limits.instructions;
  state->name = name.empty() ? std::string("script") : std::string(name);
  failure = Failure{};
  state->L = lua_newstate(allocate, &state->account);
  if (state->L == nullptr) {
    failure = Failure{FailureKind::Memory, memory_message(limits.memory_bytes), 0};
    return nullptr;
  }
  lua_State* L = state->L;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookStep);

  const std::string chunk_name = "=" + state->name;
  std::string load_message;
  Setup setup;
  setup.source = source.data();
  setup.size = source.size();
  setup.chunk_name = chunk_name.c_str();
  setup.load_message = &load_message;
  const int status = lua_cpcall(L, setup_protected, &setup);
  if (status != 0 || setup.load_status == LUA_ERRMEM) {
    failure = Failure{FailureKind::Memory, memory_message(limits.memory_bytes), 0};
    return nullptr;
  }
  if (setup.load_status != 0) {
    failure.kind = FailureKind::Syntax;
    failure.line = line_of(load_message, state->name);
    failure.message = std::move(load_message);
    return nullptr;
  }
  lua_settop(L, 0);
  state->chunk_ref = setup.chunk_ref;
  state->env_meta_ref = setup.env_meta_ref;
  state->runner_ref = setup.runner_ref;
  lua_cpcall(L, collect_protected, nullptr);
  return std::unique_ptr<Script>(new Script(std::move(state)));
}

Outcome Script::run(std::string_view msg, std::string_view topic) {
  State& state = *state_;
  lua_State* L = state.L;
  detail::Accounting& account = state.account;
  account.spent = 0;
  account.budget_spent = false;
  account.memory_refused = false;

  Outcome outcome;
  std::string message;
  Run run;
  run.msg = msg;
  run.topic = topic;
  run.chunk_ref = state.chunk_ref;
  run.env_meta_ref = state.env_meta_ref;
  run.output = &outcome.output;
  run.message = &message;
  lua_settop(L, 0);
  // The runner was made at compile time: pushing it here allocates nothing.
  lua_rawgeti(L, LUA_REGISTRYINDEX, state.runner_ref);
  lua_pushlightuserdata(L, &run);
  const int status = lua_pcall(L, 1, 0, 0);
  if (status != 0 && run.status == 0) {  // an error outside the script's own calls
    std::size_t length = 0;
    const char* text = lua_tolstring(L, -1, &length);
    if (text != nullptr) message.assign(text, length);
  }
  lua_settop(L, 0);

  Failure& failure = outcome.failure;
  if (account.budget_spent) {
    failure.kind = FailureKind::Budget;
  } else if (status == LUA_ERRMEM || run.status == LUA_ERRMEM || account.memory_refused) {
    failure.kind = FailureKind::Memory;
    if (status != 0 || run.status == LUA_ERRMEM || message.empty() || message == "not enough memory") {
      message = memory_message(account.cap);
    }
  } else if (status != 0 || run.status != 0) {
    failure.kind = FailureKind::Runtime;
  } else if (run.no_function) {
    failure.kind = FailureKind::NoFunction;
    message = "the script defines no function encodeInp(msg, topic)";
  } else if (run.bad_type != nullptr) {
    failure.kind = FailureKind::BadResult;
    message = std::string("encodeInp must return a string, got ") + run.bad_type;
  } else {
    outcome.ok = true;
  }
  if (!outcome.ok) {
    outcome.output.clear();
    failure.line = line_of(message, state.name);
    failure.message = std::move(message);
  }
  // Lua 5.1 has no emergency collection: free what the run left before the
  // next one needs the room.
  // The collection runs with the cap lifted: lua_cpcall allocates a closure,
  // which a state at its cap (after a memory failure) would refuse, and then
  // nothing would ever be freed.
  if (account.in_use > account.cap / 2) {
    const std::size_t cap = account.cap;
    account.cap = static_cast<std::size_t>(-1);
    lua_cpcall(L, collect_protected, nullptr);
    account.cap = cap;
    account.memory_refused = false;
  }
  return outcome;
}

std::size_t Script::memory_in_use() const { return state_->account.in_use; }

}  // namespace tpgate::script
