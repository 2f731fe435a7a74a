#!/usr/bin/env bash
# Stops the docker-compose demo AND the pods' containers its kubelets started on the host's
# Docker engine (`docker-compose down` alone leaves them: they are not compose containers).
# Usage: deploy/compose-down.sh [-v]   (-v: also delete the named volumes — the apiserver's
# RocksDB and the registry's storage — and the nodes' root dirs under $MK_COMPOSE_ROOT)
# Uses the same environment as the compose file (COMPOSE_PROJECT_NAME, MK_NETWORK,
# MK_COMPOSE_ROOT, ...).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
COMPOSE=(docker-compose -f deploy/docker-compose.yml)
NET=${MK_NETWORK:-mk-demo}
ROOTDIR=${MK_COMPOSE_ROOT:-/var/lib/mk-compose}
PURGE=0
[[ "${1:-}" == -v ]] && PURGE=1

# Node names: for each of this project's node containers its name made DNS-safe (what
# mk-node-name gives: mkdemo_node_2 → mkdemo-node-2) and its hostname (the fallback), plus
# the mk.node label of every pod sandbox on the demo's network (nodes scaled away or
# recreated earlier left those behind).
declare -A nodes=()
for id in $("${COMPOSE[@]}" ps -q node 2>/dev/null); do
  h=$(docker inspect -f '{{.Config.Hostname}}' "$id" 2>/dev/null) && nodes[$h]=1
  n=$(docker inspect -f '{{.Name}}' "$id" 2>/dev/null | sed 's|^/||; s|_|-|g' | tr '[:upper:]' '[:lower:]')
  [[ -n "$n" ]] && nodes[$n]=1
done
for id in $(docker ps -aq --filter label=mk.sandbox --filter "network=$NET" 2>/dev/null); do
  n=$(docker inspect -f '{{index .Config.Labels "mk.node"}}' "$id" 2>/dev/null) && [[ -n "$n" ]] && nodes[$n]=1
done

# Kubelets first, so none restarts a pod while its containers are removed.
"${COMPOSE[@]}" stop node >/dev/null 2>&1
for n in "${!nodes[@]}"; do
  ids=$(docker ps -aq --filter "label=mk.node=$n")
  if [[ -n "$ids" ]]; then
    # shellcheck disable=SC2086
    docker rm -f $ids >/dev/null && echo "removed $(wc -w <<<"$ids") container(s) of node $n"
  fi
done
if ((PURGE)); then
  "${COMPOSE[@]}" down -v --remove-orphans
  for n in "${!nodes[@]}"; do
    if [[ -d "$ROOTDIR/kubelet/$n" ]]; then rm -rf "${ROOTDIR:?}/kubelet/$n"; fi
  done
else
  "${COMPOSE[@]}" down --remove-orphans
fi
