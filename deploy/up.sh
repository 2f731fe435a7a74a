#!/usr/bin/env bash
# Installs what is needed, builds mk and starts a single-node cluster on this machine:
# mk-apiserver with its embedded RocksDB (data in /var/lib/mk), mk-scheduler,
# mk-controller-manager and one mk-kubelet on the local Docker engine (dockerd is started if
# none answers), and mkctl configured in ~/.mk/config. Safe to run again: running daemons are
# left alone. Stop with deploy/down.sh; add a node with deploy/add-node.sh NAME.
# Security is on: the apiserver serves TLS only, creates its CA and certificates in
# $STATE/apiserver/pki on first start and writes admin/scheduler/controller-manager
# kubeconfigs next to them; the controller-manager approves and signs node CSRs with that CA;
# this machine's kubelet gets its kubeconfig from mk-kubeconfig (this host owns the CA, as
# kubeadm init does) and requests its HTTPS serving certificate by a CSR; more nodes
# (add-node.sh) join with a bootstrap token; ~/.mk/config is a copy of admin.kubeconfig
# (cluster admin: keep it private).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${MK_BUILD_DIR:-build}
STATE=${MK_STATE_DIR:-/var/lib/mk}
LOGS=${MK_LOG_DIR:-/var/log/mk}
RUN=${MK_RUN_DIR:-/run/mk}
REST=${MK_REST_ADDR:-127.0.0.1:6443}
GRPC=${MK_GRPC_ADDR:-127.0.0.1:6444}

./deploy/install-deps.sh
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=(mk-apiserver mk-kubeconfig mkctl)
for t in mk-scheduler mk-controller-manager mk-kubelet mk-pause; do
  ninja -C "$BUILD" -t targets all | grep -q "^$t:" && targets+=("$t")
done
ninja -C "$BUILD" -j2 "${targets[@]}"
mkdir -p "$STATE" "$LOGS" "$RUN"
ln -sf "$ROOT/$BUILD/bin/mkctl" /usr/local/bin/mkctl

# start NAME CMD... — starts a daemon in the background unless its pidfile is live.
start() {
  local name=$1; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    echo "$name already running (pid $(cat "$RUN/$name.pid"))"
    return
  fi
  nohup "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  echo "started $name (pid $!), log $LOGS/$name.log"
}

start mk-apiserver "$ROOT/$BUILD/bin/mk-apiserver" --data-dir="$STATE/apiserver" \
  --listen="$REST" --grpc-listen="$GRPC"
API="$STATE/apiserver"
CA="$API/pki/ca.crt"
REST_HOST=${REST%:*}
[ "$REST_HOST" = 0.0.0.0 ] && REST_HOST=127.0.0.1  # the serving certificate names 127.0.0.1
ready() {
  [ -f "$API/admin.kubeconfig" ] &&
    curl -sf --cacert "$CA" "https://$REST_HOST:${REST##*:}/readyz" >/dev/null
}
for _ in $(seq 1 100); do
  ready && break
  sleep 0.1
done
ready || { echo "apiserver did not start; see $LOGS/mk-apiserver.log"; exit 1; }

# The other daemons, when this checkout has them: gRPC clients of the apiserver.
BIN="$ROOT/$BUILD/bin"
# The kubeconfigs name 127.0.0.1 unless the apiserver listens on one specific address;
# --apiserver pins the gRPC address to $GRPC either way.
[ -x "$BIN/mk-scheduler" ] && start mk-scheduler "$BIN/mk-scheduler" \
  --kubeconfig="$API/scheduler.kubeconfig" --apiserver="$GRPC"
# The controller-manager's flags, one a line; it approves and signs the nodes' CSRs.
CM_FLAGS=(
  --kubeconfig="$API/controller-manager.kubeconfig"
  --apiserver="$GRPC"
  --cluster-signing-cert-file="$API/pki/ca.crt"
  --cluster-signing-key-file="$API/pki/ca.key"
  --cluster-signing-kubelet-serving-cert-file="$API/pki/kubelet-serving-ca.crt"
  --cluster-signing-kubelet-serving-key-file="$API/pki/kubelet-serving-ca.key"
)
[ -x "$BIN/mk-controller-manager" ] &&
  start mk-controller-manager "$BIN/mk-controller-manager" "${CM_FLAGS[@]}"
if [ -x "$BIN/mk-kubelet" ]; then
  # shellcheck source=tests/e2e/lib/docker-env.sh
  MK_E2E_STATE="$RUN/docker"
  source "$ROOT/tests/e2e/lib/docker-env.sh"
  mk_start_dockerd "$LOGS"
  NODE=${MK_NODE_NAME:-$(hostname)}
  mkdir -p "$STATE/kubelet/$NODE"
  KC="$STATE/kubelet/$NODE.kubeconfig"
  [ -f "$KC" ] || "$BIN/mk-kubeconfig" --data-dir="$API" --user="system:node:$NODE" \
    --group=system:nodes --out="$KC"
  # No --tls-cert-file: the kubelet's HTTPS server (logs, stats) gets its certificate by a
  # kubelet-serving CSR (kept in its root dir's pki/), as on every other node.
  start mk-kubelet "$BIN/mk-kubelet" --kubeconfig="$KC" --apiserver="$GRPC" --node-name="$NODE" \
    --docker-socket=/var/run/docker.sock --root-dir="$STATE/kubelet/$NODE"
fi

mkdir -p "$HOME/.mk"
chmod 700 "$HOME/.mk"
install -m 600 "$API/admin.kubeconfig" "$HOME/.mk/config"
echo "mk is up: try 'mkctl get namespaces' (kubeconfig: ~/.mk/config, a copy of"
echo "$API/admin.kubeconfig; stock kubectl works with it too: kubectl --kubeconfig ~/.mk/config)"
