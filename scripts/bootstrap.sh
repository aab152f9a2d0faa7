#!/usr/bin/env bash
# Installs what `npm start` / `npm test` need and is missing: Debian packages and
# node_modules. Idempotent; when everything is there it only runs dpkg-query and
# a timestamp check. As root it installs; as another user it prints the exact
# apt-get line it needs and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

# One package per line; add a package by adding a line.
APT_PACKAGES=(
  cmake
  make
  ninja-build           # the generator of every build tree
  g++
  libgtest-dev          # GoogleTest (tests/cpp)
  nlohmann-json3-dev    # JSON for the gateway payloads (header-only)
  emscripten            # em++ 3.1.6 + Embind: the wasm build
  binaryen              # wasm-opt
  clang-14              # libFuzzer targets (tests/fuzz)
  libclang-rt-14-dev    # libFuzzer + sanitizer runtimes for clang-14
  gcovr                 # line coverage report
  mosquitto             # real broker for tests/js
  chromium              # real browser for tests/e2e (driven by playwright-core)
  prometheus            # real Prometheus scraping the emulator's --metrics-port (tests/js)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: install them with:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# mosquitto's package starts a system broker on port 1883; tests start their
# own on free ports, so that one is neither needed nor in the way.

# The package's "engines": ^20.19.0 || >=22.12.0 (where require() loads ES modules).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)'; then
  echo "bootstrap: Node 20.19+ or 22.12+ is needed (found $(node --version))" >&2
  exit 1
fi

# node_modules: `npm ci` when absent or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund
fi

echo "bootstrap: ok (${#APT_PACKAGES[@]} Debian packages, node_modules)"
