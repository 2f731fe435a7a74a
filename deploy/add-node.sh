#!/usr/bin/env bash
# Adds a node to the cluster deploy/up.sh started: one more mk-kubelet on this machine's
# Docker engine, with its own node name, root dir and (optionally) size — the way
# `minikube node add` adds a node. Usage:
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
# The node's credentials: a client certificate system:node:NAME (group system:nodes) from the
# cluster CA in the apiserver's data dir.
KC="$STATE/kubelet/$NAME.kubeconfig"
[ -f "$KC" ] || "$BIN/mk-kubeconfig" --data-dir="$STATE/apiserver" --user="system:node:$NAME" \
  --group=system:nodes --out="$KC"
# Its HTTPS server's serving certificate: the kubelet listens on 127.0.0.1, its node IP (a
# default SAN).
CRT="$STATE/kubelet/$NAME.crt"
[ -f "$CRT" ] || "$BIN/mk-kubeconfig" --data-dir="$STATE/apiserver" --user="system:node:$NAME" \
  --group=system:nodes --serving-cert-out="$CRT" --serving-key-out="${CRT%.crt}.key"
# --port 0: the kernel picks the kubelet's log/stats port, so nodes on one machine never clash.
nohup "$BIN/mk-kubelet" --kubeconfig="$KC" --apiserver="$GRPC" --node-name="$NAME" \
  --tls-cert-file="$CRT" --tls-private-key-file="${CRT%.crt}.key" \
  --docker-socket=/var/run/docker.sock --root-dir="$STATE/kubelet/$NAME" --port=0 "$@" \
  >>"$LOGS/mk-kubelet-$NAME.log" 2>&1 &
echo $! >"$pidfile"
echo "started node $NAME (pid $!), log $LOGS/mk-kubelet-$NAME.log; see 'mkctl get nodes'"
