// The json module of data scripts: require("json") with the behaviour of the
// module the platform preloads, layeh/gopher-json (docs/thingspanel.md#data-scripts).
//
//   json.decode(text)  -> value, or nil and a message when text is not JSON.
//       Objects become tables with string keys, arrays tables 1..n, numbers
//       Lua numbers; null becomes nil: a member whose value is null is left
//       out, and a null in an array is skipped (the elements after it move
//       down: [1,null,3] gives {1, 3}).
//   json.encode(value) -> text, or nil and a message (it never raises):
//       an empty table is "[]"; a table whose keys are all numbers must be the
//       array 1..n ("cannot encode sparse array"); a table whose keys are all
//       strings is an object, its members sorted by name (Go's json.Marshal
//       of a map); other keys: "cannot encode mixed or invalid key types"; a
//       table met twice (a cycle, or the same table in two places, which
//       gopher-json refuses too): "cannot encode recursively nested tables to
//       JSON"; a function: "cannot encode function to JSON" (and userdata,
//       thread). Numbers and strings are written as Go writes them
//       (json::Writer's go_* functions); NaN and infinities fail with
//       "json: unsupported value: NaN" ("+Inf", "-Inf").
//
// Messages are gopher-json's own, without the "json: error calling
// MarshalJSON for type ..." prefixes Go's encoder wraps them in. Decoding
// errors are nlohmann's ("parse error at line 1, column 2: ..."), not Go's.
//
// Both functions run their Lua allocations in protected calls (lua_cpcall)
// while the C++ values they hold stay outside them, so a memory error frees
// those values before it is raised again in the script.
#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "json/read.hpp"
#include "json/scan.hpp"
#include "json/writer.hpp"
#include "script/lua_api.hpp"

namespace tpgate::script::detail {
namespace {

// Deeper than this, decode and encode give up with a message: the nesting of
// any real payload is far less, and the Lua stack and the C stack stay small.
constexpr int kMaxDepth = 1000;

// ---- decode ---------------------------------------------------------------

struct Decoding {
  const json::Value* value = nullptr;
  int slot = LUA_NOREF;
};

void push_value(lua_State* L, const json::Value& v) {
  lua_checkstack(L, 4);  // protected: a memory error unwinds to lua_cpcall
  switch (v.type()) {
    case json::Value::value_t::object: {
      const auto& members = v.get_ref<const json::Value::object_t&>();
      lua_createtable(L, 0, static_cast<int>(std::min<std::size_t>(members.size(), 1u << 20)));
      for (auto it = members.begin(); it != members.end(); ++it) {
        if (it->second.is_null()) continue;
        lua_pushlstring(L, it->first.data(), it->first.size());
        push_value(L, it->second);
        lua_rawset(L, -3);
      }
      return;
    }
    case json::Value::value_t::array: {
      const auto& items = v.get_ref<const json::Value::array_t&>();
      lua_createtable(L, static_cast<int>(std::min<std::size_t>(items.size(), 1u << 20)), 0);
      int n = 0;
      for (auto it = items.begin(); it != items.end(); ++it) {
        if (it->is_null()) continue;
        push_value(L, *it);
        lua_rawseti(L, -2, ++n);
      }
      return;
    }
    case json::Value::value_t::string: {
      const auto& text = v.get_ref<const std::string&>();
      lua_pushlstring(L, text.data(), text.size());
      return;
    }
    case json::Value::value_t::boolean: lua_pushboolean(L, v.get<bool>() ? 1 : 0); return;
    case json::Value::value_t::number_integer:
      lua_pushnumber(L, static_cast<lua_Number>(v.get<json::Value::number_integer_t>()));
      return;
    case json::Value::value_t::number_unsigned:
      lua_pushnumber(L, static_cast<lua_Number>(v.get<json::Value::number_unsigned_t>()));
      return;
    case json::Value::value_t::number_float: lua_pushnumber(L, v.get<double>()); return;
    case json::Value::value_t::null:
    case json::Value::value_t::binary:
    case json::Value::value_t::discarded: lua_pushnil(L); return;
  }
  lua_pushnil(L);
}

int decode_protected(lua_State* L) {
  const auto& decoding = *static_cast<const Decoding*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  push_value(L, *decoding.value);
  lua_rawseti(L, LUA_REGISTRYINDEX, decoding.slot);
  return 0;
}

struct Pushing {
  const std::string* text = nullptr;
  int slot = LUA_NOREF;
};

int push_protected(lua_State* L) {
  const auto& pushing = *static_cast<const Pushing*>(lua_touserdata(L, 1));
  lua_pushlstring(L, pushing.text->data(), pushing.text->size());
  lua_rawseti(L, LUA_REGISTRYINDEX, pushing.slot);
  return 0;
}

// Moves the value a protected call left in the registry slot to the top.
void take_slot(lua_State* L, int slot) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, slot);
  lua_pushboolean(L, 0);
  lua_rawseti(L, LUA_REGISTRYINDEX, slot);  // an existing key: no allocation
}

// Returns 1 with the value at the top, 2 with nil and a message, or 0 after a
// failed conversion (its error at the top, to raise once the C++ values are gone).
int decode_into(lua_State* L, std::string_view text, int slot) {
  std::string error;
  if (json::nesting_depth(text, kMaxDepth) > kMaxDepth) {
    error = "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels";
  } else {
    const json::Value value = json::parse(text);
    if (!value.is_discarded()) {
      Decoding decoding{&value, slot};
      if (lua_cpcall(L, decode_protected, &decoding) != 0) return 0;
      take_slot(L, slot);
      return 1;
    }
    error = json::parse_error(text);
    // The reader stops at the end of the first value; what follows it is
    // what parse() refused.
    if (error.empty()) error = "invalid JSON: text after the top-level value";
  }
  Pushing pushing{&error, slot};
  if (lua_cpcall(L, push_protected, &pushing) != 0) return 0;
  lua_pushnil(L);
  take_slot(L, slot);
  return 2;
}

int json_decode(lua_State* L) {
  std::size_t length = 0;
  const char* text = luaL_checklstring(L, 1, &length);
  const int slot = static_cast<int>(lua_tointeger(L, lua_upvalueindex(1)));
  lua_settop(L, 1);
  lua_checkstack(L, 4);  // before any C++ value exists: a memory error here frees nothing
  const int results = decode_into(L, std::string_view(text, length), slot);
  if (results == 0) return lua_error(L);
  return results;
}

// ---- encode ---------------------------------------------------------------

struct Encoder {
  lua_State* L;
  std::unordered_set<const void*> visited;
  std::string error;

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }

  // Writes the value at stack index `index` (absolute). Uses only calls that
  // neither allocate nor raise (the stack was reserved by json_encode).
  bool value(json::Writer& w, int index, int depth) {
    switch (lua_type(L, index)) {
      case LUA_TNIL: w.null(); return true;
      case LUA_TBOOLEAN: w.boolean(lua_toboolean(L, index) != 0); return true;
      case LUA_TNUMBER: {
        const double x = lua_tonumber(L, index);
        if (w.go_number(x)) return true;
        char text[32];
        json::go_format_g(x, text);
        return fail(std::string("json: unsupported value: ") + text);
      }
      case LUA_TSTRING: {
        std::size_t length = 0;
        const char* text = lua_tolstring(L, index, &length);
        w.go_string(std::string_view(text, length));
        return true;
      }
      case LUA_TTABLE: return table(w, index, depth);
      default: return fail(std::string("cannot encode ") + lua_typename(L, lua_type(L, index)) + " to JSON");
    }
  }

  bool table(json::Writer& w, int index, int depth) {
    if (!visited.insert(lua_topointer(L, index)).second) {
      return fail("cannot encode recursively nested tables to JSON");
    }
    if (depth >= kMaxDepth) return fail("cannot encode tables nested deeper than 1000 levels to JSON");
    lua_pushnil(L);
    if (lua_next(L, index) == 0) {
      w.begin_array().end_array();  // empty: gopher-json writes []
      return true;
    }
    const int first_type = lua_type(L, -2);
    lua_pop(L, 2);
    if (first_type == LUA_TNUMBER) return array(w, index, depth);
    if (first_type == LUA_TSTRING) return object(w, index, depth);
    return fail("cannot encode mixed or invalid key types");
  }

  // Keys 1..n, every one of them, and nothing else.
  bool array(json::Writer& w, int index, int depth) {
    std::size_t count = 0;
    bool dense = true;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TNUMBER) {
        lua_pop(L, 1);
        return fail("cannot encode mixed or invalid key types");
      }
      const double key = lua_tonumber(L, -1);
      ++count;
      if (!(key >= 1 && key <= 1e15 && key == static_cast<double>(static_cast<std::int64_t>(key)))) dense = false;
    }
    if (!dense) return fail("cannot encode sparse array");
    // Every key is an integer >= 1; distinct, so they are 1..count exactly
    // when key `count` and all below it are present.
    for (std::size_t i = 1; i <= count; ++i) {
      lua_rawgeti(L, index, static_cast<int>(i));
      const bool present = !lua_isnil(L, -1);
      lua_pop(L, 1);
      if (!present) return fail("cannot encode sparse array");
    }
    w.begin_array();
    for (std::size_t i = 1; i <= count; ++i) {
      lua_rawgeti(L, index, static_cast<int>(i));
      const bool ok = value(w, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
      if (!ok) return false;
    }
    w.end_array();
    return true;
  }

  // Members sorted by name, as Go's encoder sorts a map's keys: each value is
  // written on its own first (the table can be walked only in its order).
  bool object(json::Writer& w, int index, int depth) {
    struct Member {
      std::string_view name;  // the key string, alive while the table holds it
      std::string text;
    };
    std::vector<Member> members;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        lua_pop(L, 2);
        return fail("cannot encode mixed or invalid key types");
      }
      std::size_t length = 0;
      const char* name = lua_tolstring(L, -2, &length);
      Member member{std::string_view(name, length), {}};
      bool ok = false;
      {
        json::Writer item(member.text);
        ok = value(item, lua_gettop(L), depth + 1);
      }
      lua_pop(L, 1);
      if (!ok) {
        lua_pop(L, 1);
        return false;
      }
      members.push_back(std::move(member));
    }
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.name < b.name; });
    w.begin_object();
    for (const Member& member : members) w.go_key(member.name).raw(member.text);
    w.end_object();
    return true;
  }
};

// 1: the text at the top; 2: nil and the message; 0: a memory error at the top.
int encode_into(lua_State* L, int slot) {
  std::string text;
  std::string error;
  {
    Encoder encoder{L, {}, {}};
    json::Writer w(text);
    if (!encoder.value(w, 1, 0)) error = std::move(encoder.error);
  }
  Pushing pushing{error.empty() ? &text : &error, slot};
  if (lua_cpcall(L, push_protected, &pushing) != 0) return 0;
  if (!error.empty()) lua_pushnil(L);
  take_slot(L, slot);
  return error.empty() ? 1 : 2;
}

int json_encode(lua_State* L) {
  luaL_checkany(L, 1);
  const int slot = static_cast<int>(lua_tointeger(L, lua_upvalueindex(1)));
  lua_settop(L, 1);
  // Two slots a level (key and value) and a few more: reserved here, before
  // any C++ value exists, so that the walk itself never grows the stack.
  if (!lua_checkstack(L, 2 * kMaxDepth + 8)) return luaL_error(L, "json.encode: no room on the Lua stack");
  const int results = encode_into(L, slot);
  if (results == 0) return lua_error(L);
  return results;
}

}  // namespace

void push_json_module(lua_State* L, int slot) {
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, slot);
  lua_pushcclosure(L, json_decode, 1);
  lua_setfield(L, -2, "decode");
  lua_pushinteger(L, slot);
  lua_pushcclosure(L, json_encode, 1);
  lua_setfield(L, -2, "encode");
}

}  // namespace tpgate::script::detail
