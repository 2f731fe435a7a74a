# shellcheck shell=bash
# A real multi-node mk cluster as processes on loopback, for shell end-to-end tests:
# mk-apiserver (RocksDB in a temp dir), mk-scheduler, mk-controller-manager and one mk-kubelet
# per node name, all sharing this machine's Docker engine (each kubelet labels its containers
# with its node name and touches no other node's).
#
#   source tests/e2e/lib/cluster.sh
#   mk_cluster_up BUILD_DIR node-a node-b ...   # sets MK_SERVER (REST URL), MK_GRPC,
#                                               # MK_KUBECONFIG (admin), MK_CA (ca.crt)
#   mk mkctl-args...                            # mkctl --kubeconfig $MK_KUBECONFIG ...
#   mk_wait 60 "what" cmd...                    # poll until cmd succeeds
#   mk_cluster_down                             # stops daemons, removes the nodes' containers
#
# MK_V=N starts every daemon with --v=N; MK_APISERVER_FLAGS adds flags to the apiserver.
#
# The apiserver serves TLS only and authenticates every client: the scheduler and
# controller-manager use the kubeconfigs it writes into its data dir, each kubelet gets its own
# (system:node:<name> in system:nodes) and its HTTPS serving certificate from mk-kubeconfig,
# mkctl uses admin.kubeconfig.
# Logs and data live in $MK_CLUSTER_DIR (a temp dir); it is printed on failure.

MK_CLUSTER_DIR=""
MK_CLUSTER_PIDS=()
MK_CLUSTER_NODES=()

mk_fail() {
  echo "FAIL: $*" >&2
  return 1
}

# mk_start_daemon NAME READY_REGEX CMD... — starts CMD with stdout+stderr in $MK_CLUSTER_DIR/NAME.log
# and waits (30 s) for a line matching READY_REGEX.
mk_start_daemon() {
  local name=$1 ready=$2
  shift 2
  local log="$MK_CLUSTER_DIR/$name.log"
  setsid "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  MK_CLUSTER_PIDS+=("$pid")
  echo "$pid" >"$MK_CLUSTER_DIR/$name.pid"
  local deadline=$((SECONDS + 30))
  until grep -qE "$ready" "$log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2
      mk_fail "$name exited before it was ready"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$log" >&2
      mk_fail "$name not ready in 30 s"
      return 1
    fi
    sleep 0.1
  done
}

# mk_start_kubelet NODE [FLAGS...] — one more node (a kubelet) in the running cluster.
mk_start_kubelet() {
  local node=$1
  shift
  mkdir -p "$MK_CLUSTER_DIR/kubelet/$node"
  # Its kubeconfig and its HTTPS server's serving certificate (the node IP of a kubelet on
  # loopback is 127.0.0.1: a default SAN).
  "$MK_BIN/mk-kubeconfig" --data-dir="$MK_CLUSTER_DIR/apiserver" --user="system:node:$node" \
    --group=system:nodes --out="$MK_CLUSTER_DIR/kubelet/$node.kubeconfig" \
    --serving-cert-out="$MK_CLUSTER_DIR/kubelet/$node.crt" \
    --serving-key-out="$MK_CLUSTER_DIR/kubelet/$node.key" || return 1
  mk_start_daemon "kubelet-$node" '^ready' "$MK_BIN/mk-kubelet" \
    --kubeconfig="$MK_CLUSTER_DIR/kubelet/$node.kubeconfig" \
    --tls-cert-file="$MK_CLUSTER_DIR/kubelet/$node.crt" \
    --tls-private-key-file="$MK_CLUSTER_DIR/kubelet/$node.key" \
    --node-name="$node" --docker-socket=/var/run/docker.sock \
    --root-dir="$MK_CLUSTER_DIR/kubelet/$node" --port=0 ${MK_V:+--v=$MK_V} "$@" || return 1
  MK_CLUSTER_NODES+=("$node")
}

# mk_cluster_up BUILD_DIR NODE... — extra kubelet flags for every node in MK_KUBELET_FLAGS.
mk_cluster_up() {
  MK_BIN="$(cd "$1" && pwd)/bin"
  shift
  MK_CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mk-cluster.XXXXXX")"
  # shellcheck disable=SC2086
  mk_start_daemon apiserver '^ready rest=' "$MK_BIN/mk-apiserver" \
    --data-dir="$MK_CLUSTER_DIR/apiserver" --listen=127.0.0.1:0 --grpc-listen=127.0.0.1:0 \
    ${MK_V:+--v=$MK_V} ${MK_APISERVER_FLAGS:-} || return 1
  local line
  line="$(grep -m1 -E '^ready rest=' "$MK_CLUSTER_DIR/apiserver.log")"
  local rest grpc
  rest="$(sed -E 's/.*rest=([0-9]+).*/\1/' <<<"$line")"
  grpc="$(sed -E 's/.*grpc=([0-9]+).*/\1/' <<<"$line")"
  # For the tests that source this file (mk() itself uses MK_KUBECONFIG):
  # shellcheck disable=SC2034
  MK_SERVER="https://127.0.0.1:$rest"
  # shellcheck disable=SC2034
  MK_GRPC="127.0.0.1:$grpc"
  MK_KUBECONFIG="$MK_CLUSTER_DIR/apiserver/admin.kubeconfig"
  # shellcheck disable=SC2034
  MK_CA="$MK_CLUSTER_DIR/apiserver/pki/ca.crt"
  mk_start_daemon scheduler '^ready' "$MK_BIN/mk-scheduler" \
    --kubeconfig="$MK_CLUSTER_DIR/apiserver/scheduler.kubeconfig" ${MK_V:+--v=$MK_V} || return 1
  # shellcheck disable=SC2086
  # It approves and signs node CSRs with the cluster CA (node join: node_join_test.sh).
  mk_start_daemon controller-manager '^ready' "$MK_BIN/mk-controller-manager" \
    --kubeconfig="$MK_CLUSTER_DIR/apiserver/controller-manager.kubeconfig" ${MK_V:+--v=$MK_V} \
    --cluster-signing-cert-file="$MK_CLUSTER_DIR/apiserver/pki/ca.crt" \
    --cluster-signing-key-file="$MK_CLUSTER_DIR/apiserver/pki/ca.key" \
    --cluster-signing-kubelet-serving-cert-file="$MK_CLUSTER_DIR/apiserver/pki/kubelet-serving-ca.crt" \
    --cluster-signing-kubelet-serving-key-file="$MK_CLUSTER_DIR/apiserver/pki/kubelet-serving-ca.key" \
    ${MK_CM_FLAGS:-} || return 1
  local node
  for node in "$@"; do
    # shellcheck disable=SC2086
    mk_start_kubelet "$node" ${MK_KUBELET_FLAGS:-} || return 1
  done
}

mk() { "$MK_BIN/mkctl" --kubeconfig "$MK_KUBECONFIG" "$@"; }

# mk_wait SECONDS WHAT CMD... — polls CMD every 0.5 s until it succeeds.
mk_wait() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      mk_fail "timed out after ${secs}s waiting for: $what"
      return 1
    fi
    sleep 0.5
  done
}

# mk_expect_contains WHAT HAYSTACK NEEDLE
mk_expect_contains() {
  if [[ "$2" != *"$3"* ]]; then
    printf '%s\n' "$2" >&2
    mk_fail "$1: expected to contain '$3'"
    return 1
  fi
}

# mk_cluster_down — stop every daemon (SIGTERM, then SIGKILL), remove the containers the
# nodes created, and print the logs' tails if KEEP_LOGS_ON_FAIL is set by the caller.
mk_cluster_down() {
  local pid
  for pid in "${MK_CLUSTER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  local deadline=$((SECONDS + 10))
  for pid in "${MK_CLUSTER_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  MK_CLUSTER_PIDS=()
  local node ids
  for node in "${MK_CLUSTER_NODES[@]}"; do
    ids="$(docker ps -aq --filter "label=mk.node=$node" 2>/dev/null)"
    [[ -z "$ids" ]] || docker rm -f $ids >/dev/null 2>&1
  done
  MK_CLUSTER_NODES=()
  if [[ -n "$MK_CLUSTER_DIR" && -z "${MK_KEEP_CLUSTER_DIR:-}" ]]; then
    rm -rf "$MK_CLUSTER_DIR"
  fi
}

# mk_dump_logs — the tail of every daemon log (call on failure).
mk_dump_logs() {
  local f
  for f in "$MK_CLUSTER_DIR"/*.log; do
    [[ -e "$f" ]] || continue
    echo "----- $(basename "$f") (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}
