#!/usr/bin/env bash
# The seed's HorizontalPodAutoscaler section on a real mk (apiserver, scheduler,
# controller-manager, two kubelets on the real Docker engine): the busy-replicaset burns CPU
# with dd at its 100m limit, `mkctl top pod` shows it, the seed's own HPA manifest (the v2beta1
# targetAverageUtilization spelling, accepted with a warning) scales it up to maxReplicas 5,
# and back down to minReplicas 1 once the load stops (short sync period and stabilisation
# window via the controller-manager's flags). Usage: hpa_test.sh BUILD_DIR
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
REG=${MK_TEST_REGISTRY:-127.0.0.1:5000}
WORK="$(mktemp -d)"
finish() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    echo "HPA test FAILED (rc=$rc)" >&2
    mk get pods -o wide >&2
    mk get hpa >&2
    mk describe hpa budy-hpa >&2
    mk_dump_logs
  fi
  mk_cluster_down
  rm -rf "$WORK"
  exit $rc
}
trap finish EXIT
set -e
step() { echo "=== $*"; }

MK_KUBELET_FLAGS="--cpu=2 --memory=2Gi"
MK_CM_FLAGS="--horizontal-pod-autoscaler-sync-period=5s --horizontal-pod-autoscaler-downscale-stabilization=20s"
step "a two-node cluster"
mk_cluster_up "$BUILD" node-a node-b
ready_nodes() { [[ "$(mk get nodes --no-headers | awk '$2=="Ready"' | wc -l)" == 2 ]]; }
mk_wait 60 "2 Ready nodes" ready_nodes
mk create secret docker-registry regcred --docker-server="$REG" \
  --docker-username="${MK_TEST_REGISTRY_USER:-admin}" \
  --docker-password="${MK_TEST_REGISTRY_PASSWORD:-admin}" >/dev/null
mk patch serviceaccount default -p '{"imagePullSecrets": [{"name": "regcred"}]}' >/dev/null

step "busy-replicaset: dd at the 100m limit (for 50 s, then idle)"
cat >"$WORK/replicaset-hpa.yaml" <<YAML
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: busy-replicaset
spec:
  replicas: 2
  selector:
    matchLabels:
      app: busy
  template:
    metadata:
      labels:
        app: busy
    spec:
      containers:
      - image: $REG/busybox:1
        name: hpa-container
        command: ["sh", "-c", "timeout 50 dd if=/dev/zero of=/dev/null; exec sleep 3600"]
        resources:
          requests:
            cpu: 100m
          limits:
            cpu: 100m
YAML
out="$(mk apply -f "$WORK/replicaset-hpa.yaml")"
mk_expect_contains "apply rs" "$out" "replicaset.apps/busy-replicaset created"
running() { [[ "$(mk get pods -l app=busy --no-headers | grep -c ' 1/1 *Running ')" -ge "$1" ]]; }
mk_wait 90 "2 busy pods Running" running 2

step "mkctl top pod shows the burning pods near their 100m limit"
burning() {
  local out
  out="$(mk top pod -l app=busy --no-headers)" || return 1
  [[ "$(awk '{sub("m","",$2); if ($2+0 >= 70) n++} END {print n+0}' <<<"$out")" -ge 2 ]]
}
mk_wait 60 "top pod: 2 pods at >= 70m" burning
mk top pod
mk top node

step "the seed's HPA (autoscaling/v2 with targetAverageUtilization: 30)"
cat >"$WORK/hpa.yaml" <<'YAML'
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: budy-hpa
spec:
  minReplicas: 1   # 최소 리플리카 수
  maxReplicas: 5   # 최대 리플리카 수
  metrics:
  - resource:
      name: cpu
      targetAverageUtilization: 30  # CPU 가 30% 되도록 조정
    type: Resource
  scaleTargetRef:
    apiVersion: apps/v1
    kind: ReplicaSet
    name: busy-replicaset
YAML
mk apply -f "$WORK/hpa.yaml" >"$WORK/out" 2>"$WORK/err"
mk_expect_contains "apply hpa" "$(cat "$WORK/out")" \
  "horizontalpodautoscaler.autoscaling/budy-hpa created"
mk_expect_contains "apply hpa warning" "$(cat "$WORK/err")" "Warning: spec.metrics[0].resource.targetAverageUtilization"
rs_replicas() { mk get rs busy-replicaset -o 'jsonpath={.spec.replicas}'; }
at_replicas() { [[ "$(rs_replicas)" == "$1" ]]; }
mk_wait 90 "the HPA scales busy-replicaset to 5" at_replicas 5
out="$(mk get hpa budy-hpa --no-headers)"
echo "$out"
[[ "$(awk '{print $3}' <<<"$out")" =~ ^[0-9]+%/30%$ ]] || mk_fail "get hpa TARGETS: $out"
out="$(mk describe hpa budy-hpa)"
mk_expect_contains "describe hpa" "$out" "SuccessfulRescale"
mk_expect_contains "describe hpa" "$out" "New size: 5; reason: cpu resource utilization (percentage of request) above target"

step "the load stops: back down to minReplicas 1 after the stabilisation window"
mk_wait 240 "the HPA scales busy-replicaset down to 1" at_replicas 1
mk_expect_contains "describe hpa" "$(mk describe hpa budy-hpa)" \
  "New size: 1; reason: All metrics below target"
echo "HPA: scaled 2 → 5 under load and back to 1"
