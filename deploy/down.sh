#!/usr/bin/env bash
# Stops the daemons deploy/up.sh started (data is kept in /var/lib/mk).
set -uo pipefail
RUN=${MK_RUN_DIR:-/run/mk}
for f in "$RUN"/*.pid; do
  [ -e "$f" ] || continue
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    echo "stopped $(basename "$f" .pid)"
  fi
  rm -f "$f"
done
