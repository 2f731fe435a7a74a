#!/usr/bin/env bash
# Runs every mk test on this machine: unit tests, integration tests (real daemons as
# processes on loopback with a real RocksDB) and end-to-end tests (real dockerd, real
# password-protected registry). Installs what is missing, builds, runs, and stops every
# service it started. Exit code 0 only if every test passed.
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
BUILD=${MK_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j2
ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 900 "$@"
