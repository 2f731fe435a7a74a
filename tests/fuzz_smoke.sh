#!/usr/bin/env bash
# CI smoke run of the libFuzzer targets (fuzz/): builds them with clang, ASan and UBSan in
# their own build dir (MK_FUZZ_BUILD_DIR, default build-fuzz) and runs the `fuzz`-labelled
# ctest test there, which runs every target for SECONDS (default 20) on its checked-in
# corpus. Fails if clang or libFuzzer is missing (deploy/install-deps.sh installs them).
#
#   tests/fuzz_smoke.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
BUILD=${MK_FUZZ_BUILD_DIR:-build-fuzz}

if ! command -v clang++ >/dev/null 2>&1 ||
  ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz_smoke: FAILED: needs clang and libclang-rt-14-dev (deploy/install-deps.sh)" >&2
  exit 1
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DMK_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD" -j2 fuzzers
MK_FUZZ_SECONDS=$SECONDS_EACH ctest --test-dir "$BUILD" -L fuzz --output-on-failure
