#!/usr/bin/env bash
# Runs every mk test on this machine: unit tests, integration tests (real daemons as
# processes on loopback with a real RocksDB) and end-to-end tests (real dockerd, real
# password-protected registry, FROM-scratch test images). Installs what is missing, builds,
# starts dockerd and the registry if they are not running, runs, and stops every service it
# started. Exit code 0 only if every test passed. Extra arguments go to ctest (e.g. -L unit);
# without them the libFuzzer targets also run briefly (tests/fuzz_smoke.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
BUILD=${MK_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j2

# shellcheck source=tests/e2e/lib/docker-env.sh
source tests/e2e/lib/docker-env.sh
trap mk_docker_env_down EXIT
mk_docker_env_up
export MK_DOCKER_TESTS=1 MK_TEST_REGISTRY="$MK_REGISTRY"
export MK_TEST_REGISTRY_USER="$MK_REGISTRY_USER" MK_TEST_REGISTRY_PASSWORD="$MK_REGISTRY_PASSWORD"

rc=0
ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 900 "$@" || rc=$?
# With no ctest filter, also a short libFuzzer run of every parser (ASan/UBSan build).
if [ $# -eq 0 ]; then
  tests/fuzz_smoke.sh "${MK_FUZZ_SMOKE_SECONDS:-10}" || rc=1
fi
exit $rc
