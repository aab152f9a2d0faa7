#!/usr/bin/env bash
# Measures line coverage of src/mqtt by the C++ test suite.
#
#   scripts/coverage.sh
#
# Builds tpgate_tests in build-coverage with g++ --coverage (-DTPGATE_COVERAGE=ON),
# runs it, and prints gcovr's per-file line table (with the uncovered lines) and
# the total; the browsable report goes to coverage/index.html. It reports and
# is not a gate: it exits 0 whatever the percentage, non-zero only when the
# build or the tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=build-coverage

if ! command -v gcovr >/dev/null; then
  echo "coverage: gcovr not found; install it with: apt-get install -y gcovr" >&2
  exit 1
fi

if [[ ! -f $build/CMakeCache.txt ]]; then
  CXX=${COVERAGE_CXX:-g++} cmake -S . -B $build -G Ninja -DTPGATE_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug \
    >$build.configure.log 2>&1 || { cat $build.configure.log >&2; exit 1; }
  rm -f $build.configure.log
fi
cmake --build $build --target tpgate_tests -j2

# Counters from an earlier run would add up with this one.
find $build -name '*.gcda' -delete
echo "coverage: running tpgate_tests"
"$build/tpgate_tests" --gtest_brief=1

mkdir -p coverage
echo
echo "Line coverage of src/mqtt (Missing = lines never run):"
gcovr --root "$root" --filter "$root/src/mqtt/" --object-directory "$root/$build" \
  --txt - --html-details coverage/index.html --html-title "tpgate src/mqtt coverage" \
  "$root/$build"
echo "coverage: HTML report in coverage/index.html"
