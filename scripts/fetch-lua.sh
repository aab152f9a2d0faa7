#!/usr/bin/env bash
# Fetches the Lua 5.1.5 source (Debian's lua5.1 source package, its upstream
# tarball) into DEST/lua-5.1.5 for the data-script engine (src/script). The
# source is fetched at build time, never committed. The system's apt
# configuration is left alone: the deb-src entry and the package lists live
# under DEST. Idempotent: does nothing when DEST/lua-5.1.5/src/lua.h exists.
#
#   scripts/fetch-lua.sh build-deps
#
# CMake runs this at configure time when the source is missing; without
# network, extract lua-5.1.5.tar.gz by hand and configure with
# -DTPGATE_LUA_SOURCE_DIR=/path/to/lua-5.1.5.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DEST" >&2
  exit 2
fi
mkdir -p "$1"
DEST=$(cd "$1" && pwd)
TARBALL=lua5.1_5.1.5.orig.tar.gz
SHA256=2640fc56a795f29d28ef15e13c34a47e223960b0240e8cb0a82d9b0738695333

if [[ -f "$DEST/lua-5.1.5/src/lua.h" ]]; then
  exit 0
fi

fail() {
  echo "fetch-lua.sh: $1" >&2
  echo "fetch-lua.sh: provide the Lua 5.1.5 source by hand: extract lua-5.1.5.tar.gz" >&2
  echo "  (https://www.lua.org/ftp/lua-5.1.5.tar.gz, sha256 $SHA256 for Debian's copy)" >&2
  echo "  and configure with -DTPGATE_LUA_SOURCE_DIR=/path/to/lua-5.1.5" >&2
  exit 1
}

APT_DIR="$DEST/apt"
mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial"
cat >"$APT_DIR/sources.list.d/debian-src.sources" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

APT_OPTS=(-o Dir::Etc::sourcelist=/dev/null
  -o "Dir::Etc::sourceparts=$APT_DIR/sources.list.d"
  -o "Dir::State::Lists=$APT_DIR/lists")

if [[ ! -f "$DEST/$TARBALL" ]]; then
  echo "fetch-lua.sh: downloading Debian's lua5.1 source into $DEST" >&2
  apt-get "${APT_OPTS[@]}" update >"$APT_DIR/update.log" 2>&1 ||
    fail "apt-get update failed (see $APT_DIR/update.log)"
  (cd "$DEST" && apt-get "${APT_OPTS[@]}" source --download-only lua5.1 >"$APT_DIR/source.log" 2>&1) ||
    fail "apt-get source failed (see $APT_DIR/source.log)"
  [[ -f "$DEST/$TARBALL" ]] || fail "$TARBALL was not downloaded (see $APT_DIR/source.log)"
fi

actual=$(sha256sum "$DEST/$TARBALL" | cut -d' ' -f1)
if [[ "$actual" != "$SHA256" ]]; then
  rm -f "$DEST/$TARBALL"
  fail "$TARBALL has sha256 $actual, expected $SHA256 (removed)"
fi

tar -xzf "$DEST/$TARBALL" -C "$DEST"
[[ -f "$DEST/lua-5.1.5/src/lua.h" ]] || fail "$TARBALL did not hold lua-5.1.5/src/lua.h"
echo "fetch-lua.sh: Lua 5.1.5 source in $DEST/lua-5.1.5" >&2
