#!/bin/sh
# Runs an Emscripten link (CMake's linker launcher for the wasm modules) in
# an environment em++ gets right:
# - no node_modules/.bin on PATH: npm puts it first under `npm test`, and the
#   binaryen devDependency's wasm-opt there shadows the Binaryen Emscripten
#   3.1.6 was built with; the link then writes glue whose import names do not
#   match the .wasm (every module fails to load with "function import
#   requires a callable");
# - NODE_PATH at Debian's node modules, when the system's node is not
#   Debian's own and em++'s JS optimiser cannot find acorn otherwise.
PATH=$(printf '%s\n' "$PATH" | tr ':' '\n' | grep -v '/node_modules/\.bin$' | paste -sd: -)
export PATH
if [ -d /usr/share/nodejs/acorn ]; then
  NODE_PATH=/usr/share/nodejs
  export NODE_PATH
fi
exec "$@"
