// Data scripts from JS (docs/thingspanel.md#data-scripts): `new LuaScript(source,
// name, limits)` compiles once, run(bytes, topic) runs as the platform does.
// Registered in the platform and emulator modules only.
#pragma once

#include <emscripten/val.h>

#include "mqtt/types.hpp"
#include "script/lua_script.hpp"

namespace tpgate::bindings {

// {instructions?, memoryBytes?} (undefined/null: the defaults).
mqtt::Result<script::Limits> script_limits_from_js(const emscripten::val& limits);

}  // namespace tpgate::bindings
