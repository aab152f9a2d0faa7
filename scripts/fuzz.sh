#!/usr/bin/env bash
# Fuzzes the MQTT decoder (or another target in tests/fuzz) with libFuzzer.
#
#   scripts/fuzz.sh [seconds] [target]     defaults: 600 fuzz_decoder
#
# Configures and builds build-fuzz with clang++-14 (-DTPGATE_FUZZ=ON, ASan +
# UBSan + libFuzzer), copies the seeds from tests/fuzz/corpus/<kind> into
# build-fuzz/corpus/<target> (kept between runs, so coverage accumulates), runs
# one fuzzing process for the given time, prints the number of executions, and
# exits non-zero when the fuzzer finds a crash, leak, timeout or sanitizer
# report (the input is saved under build-fuzz/artifacts/). `npm test` calls it
# with a short time, e.g. `scripts/fuzz.sh 20`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
target=${2:-fuzz_decoder}
build=build-fuzz
cxx=${FUZZ_CXX:-clang++-14}
# The Lua library (data scripts) is C: the same clang builds it with the same sanitizers.
cc=${FUZZ_CC:-clang-14}

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [seconds] [target]" >&2
  exit 2
fi
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx not found; install it with: apt-get install -y clang-14 libclang-rt-14-dev" >&2
  exit 1
fi

if [[ ! -f $build/CMakeCache.txt ]]; then
  # -O1 -g keeps asserts and readable stacks while staying fast.
  CC=$cc CXX=$cxx cmake -S . -B $build -G Ninja -DTPGATE_FUZZ=ON \
    -DCMAKE_CXX_FLAGS="-O1 -g -fno-omit-frame-pointer" >$build.configure.log 2>&1 ||
    { cat $build.configure.log >&2; exit 1; }
  rm -f $build.configure.log
fi
# Only the fuzz targets: the library is instrumented for libFuzzer here, so the
# GoogleTest binary is not built in this tree.
cmake --build $build --target "$target" -j2

kind=${target#fuzz_}
corpus=$build/corpus/$target
artifacts=$build/artifacts/$target
mkdir -p "$corpus" "$artifacts"
if [[ -d tests/fuzz/corpus/$kind ]]; then
  cp -n tests/fuzz/corpus/"$kind"/* "$corpus"/ 2>/dev/null || true
fi

log=$build/$target.log
echo "fuzz: running $target for ${seconds}s on $(find "$corpus" -type f | wc -l) corpus inputs (log: $log)"
stamp=$build/.$target.start
touch "$stamp"
status=0
# halt_on_error: UBSan reports are otherwise printed and ignored.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "$build/$target" "$corpus" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
corpus_size=$(find "$corpus" -type f | wc -l)
if ((status != 0)); then
  echo "fuzz: $target FAILED (exit $status) after ${execs:-?} executions; last lines of $log:" >&2
  grep -v '^#[0-9]' "$log" | tail -40 >&2
  echo "fuzz: reproducer(s):" >&2
  find "$artifacts" -type f -newer "$stamp" >&2
  exit "$status"
fi
echo "fuzz: $target ok: ${execs:-?} executions in ${seconds}s (${rate:-?}/s), corpus now $corpus_size inputs, no crash"
