#!/usr/bin/env bash
# Builds the libFuzzer targets (configuring BUILD_DIR with clang and -DMK_FUZZ=ON if needed)
# and runs each for SECONDS on its corpus, niced so it only takes idle CPU.
#
#   fuzz/run.sh [SECONDS] [BUILD_DIR] [--no-build]     (defaults: 60, build-fuzz)
#
# New inputs go to a scratch corpus (the checked-in fuzz/corpus/<name> is only read);
# MK_FUZZ_KEEP=DIR keeps the scratch corpora and artifacts under DIR. MK_FUZZ_TARGETS picks
# targets ("quantity selectors"). Prints one summary line per target; exits non-zero if any
# target crashed, timed out or ran out of memory (the reproducer is named in the summary).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-60}
BUILD=${2:-build-fuzz}
NO_BUILD=${3:-}
TARGETS=${MK_FUZZ_TARGETS:-"manifest quantity selectors rest_patch docker_stream credentials"}
NICE=(nice -n "${MK_FUZZ_NICE:-19}")

if [ "$NO_BUILD" != "--no-build" ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang CXX=clang++ "${NICE[@]}" cmake -S . -B "$BUILD" -G Ninja -DMK_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  targets=()
  for t in $TARGETS; do targets+=("${t}_fuzz"); done
  "${NICE[@]}" ninja -C "$BUILD" -j"${MK_FUZZ_JOBS:-2}" "${targets[@]}"
fi

if [ -n "${MK_FUZZ_KEEP:-}" ]; then
  WORK=$MK_FUZZ_KEEP
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

failed=0
for t in $TARGETS; do
  bin="$BUILD/fuzz/${t}_fuzz"
  if [ ! -x "$bin" ]; then
    echo "fuzz $t: MISSING $bin"
    failed=1
    continue
  fi
  mkdir -p "$WORK/$t/corpus" "$WORK/$t/artifacts"
  log="$WORK/$t/log"
  rc=0
  # -timeout: one input may take at most 10 s; -max_len bounds the inputs the fuzzer makes.
  "${NICE[@]}" "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$WORK/$t/artifacts/" \
    "$WORK/$t/corpus" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1) || true
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2) || true
  case $rc in
    0) result=ok ;;
    70) result=TIMEOUT ;;
    71) result=OOM ;;
    *) result="CRASH (exit $rc)" ;;
  esac
  if [ "$rc" -ne 0 ]; then
    failed=1
    artifact=$(find "$WORK/$t/artifacts/" -type f -printf "%f\n" 2>/dev/null | head -1) || true
    [ -n "$artifact" ] && result="$result: $WORK/$t/artifacts/$artifact"
    grep -m1 -E 'ERROR: |runtime error|does not|prints as|depends on' "$log" >&2 || true
    if [ -z "${MK_FUZZ_KEEP:-}" ] && [ -n "$artifact" ]; then
      # Keep the reproducer after the scratch dir is removed.
      mkdir -p "$BUILD/fuzz/artifacts"
      cp "$WORK/$t/artifacts/$artifact" "$BUILD/fuzz/artifacts/${t}-$artifact"
      result="$result (copied to $BUILD/fuzz/artifacts/${t}-$artifact)"
    fi
  fi
  printf 'fuzz %-14s %4ss  execs %-9s corpus %-12s %s\n' "$t" "$SECONDS_EACH" "${execs:-?}" \
    "${corp:-?}" "$result"
done
exit "$failed"
