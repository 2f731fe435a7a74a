#!/usr/bin/env bash
# Adds a node to the cluster deploy/up.sh started: one more mk-kubelet on this machine's
# Docker engine, with its own node name, root dir and (optionally) size — the way
# `minikube node add` adds a node. It joins with a bootstrap token, as a node on another
# machine does (deploy/README.md, "Node join"). Usage:
#   deploy/add-node.sh NAME [--cpu 2] [--memory 2Gi] [--node-labels k=v,...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 NAME [kubelet flags...]" >&2; exit 2; }
NAME=$1; shift
ROOT=$(pwd)
BIN="$ROOT/${MK_BUILD_DIR:-build}/bin"
STATE=${MK_STATE_DIR:-/var/lib/mk}
LOGS=${MK_LOG_DIR:-/var/log/mk}
RUN=${MK_RUN_DIR:-/run/mk}
GRPC=${MK_GRPC_ADDR:-127.0.0.1:6444}
[ -x "$BIN/mk-kubelet" ] || { echo "run deploy/up.sh first" >&2; exit 1; }
pidfile="$RUN/mk-kubelet-$NAME.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "node $NAME already running (pid $(cat "$pidfile"))"
  exit 0
fi
mkdir -p "$LOGS" "$RUN" "$STATE/kubelet/$NAME"
# The node joins as on another machine (TLS bootstrap): a bootstrap token of its own (valid 1 h),
# with which its kubelet submits a CSR; the controller-manager approves and signs it and the
# kubelet writes its kubeconfig (system:node:NAME). Its HTTPS server's certificate comes by a
# second CSR. Once the kubeconfig is there the token is revoked: it was for this node only.
KC="$STATE/kubelet/$NAME.kubeconfig"
BOOT="$STATE/kubelet/$NAME.bootstrap.kubeconfig"
boot=() token=""
if [ ! -f "$KC" ]; then
  token=$(MKCTL="$BIN/mkctl" "$ROOT/deploy/bootstrap-token.sh" \
    --kubeconfig "$STATE/apiserver/admin.kubeconfig" --ttl 1h --out "$BOOT" --replace)
  boot=(--bootstrap-kubeconfig="$BOOT")
fi
# --port 0: the kernel picks the kubelet's log/stats port, so nodes on one machine never clash.
nohup "$BIN/mk-kubelet" "${boot[@]}" --kubeconfig="$KC" --apiserver="$GRPC" --node-name="$NAME" \
  --docker-socket=/var/run/docker.sock --root-dir="$STATE/kubelet/$NAME" --port=0 "$@" \
  >>"$LOGS/mk-kubelet-$NAME.log" 2>&1 &
echo $! >"$pidfile"
echo "started node $NAME (pid $!), log $LOGS/mk-kubelet-$NAME.log"
if ((${#boot[@]})); then
  for _ in $(seq 1 300); do
    [ -f "$KC" ] && break
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.2
  done
  if [ -f "$KC" ]; then
    id=${token%%.*}
    "$BIN/mkctl" --kubeconfig "$STATE/apiserver/admin.kubeconfig" -n kube-system \
      delete secret "bootstrap-token-$id" --ignore-not-found >/dev/null
    rm -f "$BOOT"
    echo "node $NAME joined with bootstrap token $id (now revoked); see 'mkctl get nodes,csr'"
  else
    echo "node $NAME has not joined yet: see its log, and 'mkctl get csr' (a Pending request" \
      "is approved with 'mkctl certificate approve NAME'); its token expires in 1 h" >&2
    exit 1
  fi
fi
