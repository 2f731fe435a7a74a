#!/usr/bin/env bash
# Node join by TLS bootstrap on the real Docker engine: a cluster with node-a (kubeconfig
# issued on the apiserver host), then node-b joins with only a bootstrap token
# (deploy/bootstrap-token.sh): its kubelet submits a client CSR, the controller-manager
# approves and signs it, the kubelet writes its own system:node:node-b kubeconfig, requests its
# serving certificate by a second CSR, registers and runs a pod whose logs the apiserver reads
# over mutually authenticated TLS. A restart reuses both certificates; a deleted token no
# longer lets a node join; the token never shows in any log.
# Usage: node_join_test.sh BUILD_DIR
set -uo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
HERE="$(cd "$(dirname "$0")" && pwd)"
if [[ -z "${MK_DOCKER_TESTS:-}" ]]; then
  echo "SKIP: MK_DOCKER_TESTS not set (tests/run.sh sets it after starting dockerd and the registry)"
  exit 77
fi
for d in mk-apiserver mk-scheduler mk-controller-manager mk-kubelet mkctl; do
  if [[ ! -x "$BUILD/bin/$d" ]]; then
    echo "SKIP: $BUILD/bin/$d is not built"
    exit 77
  fi
done
# shellcheck source=tests/e2e/lib/cluster.sh
source "$HERE/lib/cluster.sh"

step() { echo "=== $*"; }
finish() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    echo "node join FAILED (rc=$rc)" >&2
    mk get nodes,csr >&2 2>&1
    mk_dump_logs
  fi
  mk_cluster_down
  rm -rf "$WORK"
  exit $rc
}
WORK="$(mktemp -d)"
trap finish EXIT
set -e

step "a cluster with node-a; a bootstrap token for the next node"
MK_V=10  # the token must not show even in request logs
mk_cluster_up "$BUILD" node-a
TOKEN="$(MKCTL="$MK_BIN/mkctl" "$HERE/../../deploy/bootstrap-token.sh" \
  --kubeconfig "$MK_KUBECONFIG" --ttl 1h --out "$WORK/bootstrap.kubeconfig")"
[[ "$TOKEN" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || mk_fail "token shape: $TOKEN"
[[ "$(stat -c %a "$WORK/bootstrap.kubeconfig")" == 600 ]] || mk_fail "bootstrap kubeconfig mode"
TOKEN_ID="${TOKEN%%.*}"

join() {  # join NODE: a kubelet with only the bootstrap kubeconfig
  local node=$1
  mkdir -p "$WORK/$node"
  mk_start_daemon "kubelet-$node" '^ready' "$MK_BIN/mk-kubelet" \
    --bootstrap-kubeconfig="$WORK/bootstrap.kubeconfig" \
    --kubeconfig="$WORK/$node/kubelet.kubeconfig" --node-name="$node" \
    --docker-socket=/var/run/docker.sock --root-dir="$WORK/$node" --port=0 --v=10
}

step "node-b joins with the token"
MK_CLUSTER_NODES+=(node-b)
join node-b
[[ "$(stat -c %a "$WORK/node-b/kubelet.kubeconfig")" == 600 ]] || mk_fail "kubeconfig mode"
grep -q "token:" "$WORK/node-b/kubelet.kubeconfig" && mk_fail "the node's kubeconfig holds the token"
grep -m1 'client-certificate-data:' "$WORK/node-b/kubelet.kubeconfig" | awk '{print $2}' |
  base64 -d >"$WORK/node-b.crt"
subject="$(openssl x509 -in "$WORK/node-b.crt" -noout -subject)"
mk_expect_contains "node-b's certificate" "$subject" "O = system:nodes, CN = system:node:node-b"
openssl verify -CAfile "$MK_CA" "$WORK/node-b.crt" >/dev/null || mk_fail "node-b cert chain"
nodes_ready() { [[ "$(mk get nodes --no-headers | awk '$2=="Ready"' | wc -l)" == 2 ]]; }
mk_wait 60 "2 Ready nodes" nodes_ready
csrs="$(mk get csr)"
echo "$csrs"
mk_expect_contains "client CSR" "$csrs" "kubernetes.io/kube-apiserver-client-kubelet   system:bootstrap:$TOKEN_ID"
mk_expect_contains "serving CSR" "$csrs" "kubernetes.io/kubelet-serving"
[[ "$(grep -c 'Approved,Issued' <<<"$csrs")" == 2 ]] || mk_fail "both CSRs approved and issued"
[[ -s "$WORK/node-b/pki/kubelet-server.crt" ]] || mk_fail "no kept serving certificate"
# Signed by the kubelet serving CA, which the apiserver's clients do not trust for it.
openssl verify -CAfile "$MK_CLUSTER_DIR/apiserver/pki/kubelet-serving-ca.crt" \
  "$WORK/node-b/pki/kubelet-server.crt" >/dev/null || mk_fail "serving cert chain"
openssl verify -CAfile "$MK_CA" "$WORK/node-b/pki/kubelet-server.crt" >/dev/null 2>&1 &&
  mk_fail "the serving certificate chains to the cluster CA"
san="$(openssl x509 -in "$WORK/node-b/pki/kubelet-server.crt" -noout -ext subjectAltName)"
mk_expect_contains "serving certificate names" "$san" "IP Address:127.0.0.1"

step "a pod on node-b runs, and its logs come through the apiserver"
cat >"$WORK/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: joined
spec:
  nodeSelector:
    kubernetes.io/hostname: node-b
  containers:
    - name: c
      image: mk-busybox:1
      imagePullPolicy: Never
      command: ["sh", "-c", "echo hello from node-b; sleep 3600"]
YAML
mk apply -f "$WORK/pod.yaml" >/dev/null
pod_running() { [[ "$(mk get pod joined -o 'jsonpath={.status.phase}')" == Running ]]; }
mk_wait 90 "pod joined Running" pod_running
logs_ok() { mk logs joined | grep -q 'hello from node-b'; }
mk_wait 30 "logs of the pod on node-b" logs_ok

step "node-b restarts: both certificates are reused, no new CSR"
cp "$MK_CLUSTER_DIR/kubelet-node-b.log" "$WORK/kubelet-node-b-first.log"
pid="$(cat "$MK_CLUSTER_DIR/kubelet-node-b.pid")"
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
join node-b
[[ "$(mk get csr --no-headers | wc -l)" == 2 ]] || mk_fail "a restart made a new CSR"
mk_wait 30 "logs after the restart" logs_ok

step "a deleted token no longer lets a node join"
mk -n kube-system delete secret "bootstrap-token-$TOKEN_ID" >/dev/null
mkdir -p "$WORK/node-c"
rc=0
timeout 60 "$MK_BIN/mk-kubelet" --bootstrap-kubeconfig="$WORK/bootstrap.kubeconfig" \
  --kubeconfig="$WORK/node-c/kubelet.kubeconfig" --node-name=node-c \
  --docker-socket=/var/run/docker.sock --root-dir="$WORK/node-c" --port=0 \
  >"$WORK/node-c.log" 2>&1 || rc=$?
((rc != 0 && rc != 124)) || mk_fail "node-c's kubelet did not fail (rc=$rc)"
grep -q 'Unauthorized\|UNAUTHENTICATED\|Unauthenticated' "$WORK/node-c.log" ||
  { cat "$WORK/node-c.log" >&2; mk_fail "node-c's error does not say why"; }
[[ ! -e "$WORK/node-c/kubelet.kubeconfig" ]] || mk_fail "node-c got a kubeconfig"
mk get node node-c >/dev/null 2>&1 && mk_fail "node-c registered"

step "the token's secret half is in no log (daemons at --v=10)"
secret_half="${TOKEN#*.}"
if grep -rl -- "$secret_half" "$MK_CLUSTER_DIR"/*.log "$WORK"/*.log; then
  mk_fail "the bootstrap token leaked into a log"
fi
grep -q 'bootstrap: submitted certificate signing request' "$WORK/kubelet-node-b-first.log" ||
  mk_fail "the first kubelet log does not show the bootstrap"
echo "node join: OK"
