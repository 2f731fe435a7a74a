#!/usr/bin/env bash
# The seed tutorial (../shared/seed/kubernetes-pod-replicaset-scalability.md), replayed step by
# step with mkctl in place of kubectl on a real three-node mk (apiserver, scheduler,
# controller-manager and three kubelets as processes on the real Docker engine), asserting what
# the tutorial shows at each step. Images: the tutorial's, rebuilt FROM scratch and pushed to
# the password-protected registry that tests/run.sh starts (mydomain:5000 → 127.0.0.1:5000;
# nginx → photo-view, busybox → busybox:1, polinux/stress → stress:1, k8s.gcr.io/liveness →
# liveness:1).
# Usage: seed_tutorial_test.sh BUILD_DIR
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
USER_=${MK_TEST_REGISTRY_USER:-admin}
PASS_=${MK_TEST_REGISTRY_PASSWORD:-admin}

step() { echo "=== $*"; }
finish() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    echo "seed tutorial FAILED (rc=$rc); cluster state and logs follow" >&2
    mk get pods -o wide >&2 2>&1
    mk get events >&2 2>&1 | tail -n 40
    mk_dump_logs
  fi
  mk_cluster_down
  rm -rf "$WORK"
  exit $rc
}
WORK="$(mktemp -d)"
trap finish EXIT
set -e

# minikube-sized nodes: 2 CPUs, 2 GiB.
MK_KUBELET_FLAGS="--cpu=2 --memory=2Gi"
step "a three-node cluster (minikube, minikube-m02, minikube-m03)"
mk_cluster_up "$BUILD" minikube minikube-m02 minikube-m03
ready_nodes() { [[ "$(mk get nodes --no-headers | awk '$2=="Ready"' | wc -l)" == 3 ]]; }
mk_wait 60 "3 Ready nodes" ready_nodes
out="$(mk get nodes)"
mk_expect_contains "get nodes" "$out" "minikube-m02"

# pod_field POD JSONPATH
pod_field() { mk get pod "$1" -o "jsonpath=$2" 2>/dev/null; }
pod_phase_is() { [[ "$(pod_field "$1" '{.status.phase}')" == "$2" ]]; }
pod_gone() { ! mk get pod "$1" >/dev/null 2>&1; }

step "pull secret, the generic --from-file=.dockerconfigjson form"
auth="$(printf '%s:%s' "$USER_" "$PASS_" | base64 -w0)"
mkdir -p "$WORK/.docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$auth" >"$WORK/.docker/config.json"
out="$(mk create secret generic regcred --from-file=.dockerconfigjson="$WORK/.docker/config.json" \
  --type=kubernetes.io/dockerconfigjson)"
mk_expect_contains "create secret generic" "$out" "secret/regcred created"
[[ "$(mk get secret regcred -o 'jsonpath={.type}')" == kubernetes.io/dockerconfigjson ]]
mk delete secret regcred >/dev/null

step "pull secret, the docker-registry form"
out="$(mk create secret docker-registry regcred --docker-server="$REG" \
  --docker-username="$USER_" --docker-password="$PASS_")"
mk_expect_contains "create secret docker-registry" "$out" "secret/regcred created"
out="$(mk describe secret regcred)"
if [[ "$out" == *"$auth"* || "$out" == *"$PASS_\""* ]]; then
  mk_fail "describe secret shows the secret value"
fi

step "photoview-pod from the private registry with imagePullSecrets"
mkdir -p "$WORK/Pod"
cat >"$WORK/Pod/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: photoview-pod
  labels:
    app: photo-view
    env: stage
spec:
  containers:
  - image: $REG/photo-view:v2.0
    name: photoview-container
    ports:
    - containerPort: 80
  imagePullSecrets:
    - name: regcred # 생성한 secret name 설정
YAML
# Not on the machine yet, so the kubelet really pulls it from the registry with the secret.
docker rmi -f "$REG/photo-view:v2.0" >/dev/null 2>&1 || true
out="$(mk apply -f "$WORK/Pod/pod.yaml")"
mk_expect_contains "apply" "$out" "pod/photoview-pod created"
mk_wait 90 "photoview-pod Running" pod_phase_is photoview-pod Running
ready_1of1() { mk get pods "$1" --no-headers | grep -q " 1/1 *Running "; }
mk_wait 30 "photoview-pod 1/1" ready_1of1 photoview-pod
out="$(mk get pods --show-labels)"
mk_expect_contains "get pods --show-labels" "$out" "app=photo-view,env=stage"
out="$(mk describe pods photoview-pod)"
mk_expect_contains "describe pod" "$out" "Successfully pulled image"
mk_expect_contains "describe pod" "$out" "Started"
ip="$(pod_field photoview-pod '{.status.podIP}')"
[[ -n "$ip" ]] || mk_fail "photoview-pod has no IP"
[[ "$(wget -qO- "http://$ip/version")" == v2.0 ]] || mk_fail "photoview-pod does not serve v2.0"

step "patch serviceaccount default with the pull secret"
out="$(mk patch serviceaccount default -p '{"imagePullSecrets": [{"name": "regcred"}]}')"
mk_expect_contains "patch sa" "$out" "serviceaccount/default patched"

step "apply a changed image (v1.0) → configured, and v1.0 runs"
sed -i "s|photo-view:v2.0|photo-view:v1.0|" "$WORK/Pod/pod.yaml"
out="$(mk apply -f "$WORK/Pod/pod.yaml")"
mk_expect_contains "apply v1.0" "$out" "pod/photoview-pod configured"
serves_v1() {
  local ip
  ip="$(pod_field photoview-pod '{.status.podIP}')"
  [[ -n "$ip" && "$(wget -T 2 -qO- "http://$ip/version")" == v1.0 ]]
}
mk_wait 90 "photoview-pod serving v1.0" serves_v1
out="$(mk delete -f "$WORK/Pod/pod.yaml")"
mk_expect_contains "delete -f" "$out" 'pod "photoview-pod" deleted'
mk_wait 60 "photoview-pod gone" pod_gone photoview-pod

step "nodes and their capacity"
out="$(mk describe node minikube)"
for want in "Name:               minikube" "Capacity:" "cpu:" "memory:" "pods:" "Allocatable:" \
  "System Info:" "Container Runtime Version:  docker://" "Non-terminated Pods:" \
  "Allocated resources:" "Ready            True"; do
  mk_expect_contains "describe node minikube" "$out" "$want"
done

step "label node minikube-m02 server=webap; nodeSelector pins nginx there"
out="$(mk label node minikube-m02 server=webap)"
mk_expect_contains "label node" "$out" "node/minikube-m02 labeled"
out="$(mk get nodes --show-labels)"
mk_expect_contains "get nodes --show-labels" "$out" "server=webap"
cat >"$WORK/Pod/labels-node.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: nginx
  labels:
    env: stage
spec:
  containers:
  - name: nginx
    image: $REG/photo-view:v1.0
  nodeSelector:
    server: webap
YAML
out="$(mk create -f "$WORK/Pod/labels-node.yaml")"
mk_expect_contains "create nginx" "$out" "pod/nginx created"
mk_wait 90 "nginx Running" pod_phase_is nginx Running
out="$(mk get pod --output=wide)"
mk_expect_contains "get pod -o wide" "$out" "NOMINATED NODE"
line="$(grep '^nginx ' <<<"$out")"
[[ "$(awk '{print $7}' <<<"$line")" == minikube-m02 ]] || mk_fail "nginx not on minikube-m02: $line"
[[ "$(awk '{print $6}' <<<"$line")" =~ ^[0-9.]+$ ]] || mk_fail "nginx has no IP: $line"
mk delete pod nginx --grace-period=1 >/dev/null

step "requests-pod: scheduling counts requests; describe node shows the allocation"
cat >"$WORK/Pod/pod-request.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: requests-pod

spec:
  containers:
  - image: $REG/busybox:1
    command: ["dd", "if=/dev/zero", "of=/dev/null"]
    name: main
    resources:
      requests:
        cpu: 50m
        memory: 300Mi # (K M G T P), (Ki Mi Gi Ti Pi) 사용 가능
YAML
out="$(mk create -f "$WORK/Pod/pod-request.yaml")"
mk_expect_contains "create requests-pod" "$out" "pod/requests-pod created"
mk_wait 90 "requests-pod Running" pod_phase_is requests-pod Running
node="$(pod_field requests-pod '{.spec.nodeName}')"
out="$(mk describe node "$node")"
mk_expect_contains "describe node $node" "$out" "requests-pod"
mk_expect_contains "describe node $node" "$out" "50m (2%)"
mk_expect_contains "describe node $node" "$out" "300Mi (14%)"
mk delete pod requests-pod --grace-period=0 --force >/dev/null 2>&1 ||
  mk delete pod requests-pod --grace-period=1 >/dev/null

step "limits-pod: over its memory limit → OOMKilled → CrashLoopBackOff, RESTARTS growing"
cat >"$WORK/Pod/pod-limits.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: limits-pod
spec:
  containers:
  - name: main
    image: $REG/stress:1
    resources:
      limits:
        cpu: 90m
        memory: 300Mi
    command: ["stress"]
    args: ["--vm", "1", "--vm-bytes", "500M", "--vm-hang", "1"]
YAML
mk create -f "$WORK/Pod/pod-limits.yaml" >/dev/null
oom_seen() {
  local s
  s="$(mk get pods limits-pod --no-headers)"
  [[ "$s" == *OOMKilled* ]] ||
    [[ "$(pod_field limits-pod '{.status.containerStatuses[0].lastState.terminated.reason}')" == OOMKilled ]]
}
mk_wait 90 "limits-pod OOMKilled" oom_seen
crashloop() {
  local s
  s="$(mk get pods limits-pod --no-headers)"
  [[ "$s" == *CrashLoopBackOff* ]] && (($(awk '{print $4}' <<<"$s") >= 2))
}
mk_wait 120 "limits-pod CrashLoopBackOff with RESTARTS >= 2" crashloop
out="$(mk describe pod limits-pod)"
mk_expect_contains "describe limits-pod" "$out" "OOMKilled"
mk_expect_contains "describe limits-pod" "$out" "Back-off restarting failed container"
mk delete pod limits-pod --grace-period=1 >/dev/null

step "liveness-http: the probe starts failing after 10 s → the container is restarted"
cat >"$WORK/Pod/liveness.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-http

spec:
  containers:
  - name: liveness
    image: $REG/liveness:1
    args:
    - /server
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
        httpHeaders:
        - name: X-Custom-Header
          value: Awesome
      initialDelaySeconds: 10
      periodSeconds: 5
YAML
mk create -f "$WORK/Pod/liveness.yaml" >/dev/null
restarted() { (($(pod_field liveness-http '{.status.containerStatuses[0].restartCount}') >= 1)); }
mk_wait 120 "liveness-http restarted" restarted
out="$(mk describe pod liveness-http)"
mk_expect_contains "describe liveness-http" "$out" \
  "Liveness probe failed: HTTP probe failed with statuscode: 500"
mk_expect_contains "describe liveness-http" "$out" "Killing"
mk delete pod liveness-http --grace-period=1 >/dev/null

step "ReplicaSet photoview-rs: 5 replicas"
mkdir -p "$WORK/ReplicaSet"
cat >"$WORK/ReplicaSet/replicaset.yaml" <<YAML
# ReplicaSet/replicaset.yaml
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: photoview-rs
spec:
  replicas: 5
  selector:
    matchLabels:
      app: photoview
  template:
    metadata:
      labels:
        app: photoview
        env: prod
    spec:
      containers:
      - image: $REG/photo-view:v1.0
        name: photoview-container
        ports:
          - containerPort: 80
YAML
mk create -f "$WORK/ReplicaSet/replicaset.yaml" >/dev/null
running_with_label() {
  [[ "$(mk get pods -l "$1" --no-headers | grep -c ' 1/1 *Running ')" == "$2" ]]
}
mk_wait 120 "5 photoview-rs pods Running" running_with_label app=photoview 5
out="$(mk get pods --show-labels)"
[[ "$(grep -cE '^photoview-rs-[a-z0-9]{5} .*app=photoview,env=prod' <<<"$out")" == 5 ]] ||
  mk_fail "expected 5 photoview-rs-xxxxx pods with app=photoview,env=prod: $out"
mk apply -f "$WORK/ReplicaSet/replicaset.yaml" >/dev/null
mk delete -f "$WORK/ReplicaSet/replicaset.yaml" >/dev/null
none_left() { [[ -z "$(mk get pods -l "$1" --no-headers 2>/dev/null)" ]]; }
mk_wait 90 "photoview-rs pods deleted" none_left app=photoview

step "a ReplicaSet adopts the existing nginx-pod and creates only 4 more"
cat >"$WORK/ReplicaSet/pod-nginx.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: nginx-pod
  labels:
    app: photo-view
spec:
  containers:
  - image: $REG/photo-view:v1.0
    name: nginx
YAML
out="$(mk apply -f "$WORK/ReplicaSet/pod-nginx.yaml")"
mk_expect_contains "apply nginx-pod" "$out" "pod/nginx-pod created"
mk_wait 90 "nginx-pod Running" pod_phase_is nginx-pod Running
cat >"$WORK/ReplicaSet/replicaset-nginx.yaml" <<YAML
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: nginx-replicaset
spec:
  replicas: 5
  selector:
    matchLabels:
      app: photo-view
  template:
    metadata:
      labels:
        app: photo-view
    spec:
      containers:
      - image: $REG/photo-view:v1.0
        name: photoview-container
YAML
out="$(mk apply -f "$WORK/ReplicaSet/replicaset-nginx.yaml")"
mk_expect_contains "apply nginx-replicaset" "$out" "replicaset.apps/nginx-replicaset created"
mk_wait 120 "5 app=photo-view pods Running" running_with_label app=photo-view 5
out="$(mk get pod --no-headers)"
[[ "$(grep -c '^nginx-replicaset-' <<<"$out")" == 4 ]] || mk_fail "expected 4 new pods: $out"
grep -q '^nginx-pod ' <<<"$out" || mk_fail "nginx-pod was not kept: $out"
owner="$(pod_field nginx-pod '{.metadata.ownerReferences[0].name}')"
[[ "$owner" == nginx-replicaset ]] || mk_fail "nginx-pod not adopted (owner '$owner')"

step "scale --replicas=8 rs/nginx-replicaset"
out="$(mk scale --replicas=8 rs/nginx-replicaset)"
mk_expect_contains "scale" "$out" "replicaset.apps/nginx-replicaset scaled"
mk_wait 120 "8 app=photo-view pods Running" running_with_label app=photo-view 8
out="$(mk get rs nginx-replicaset --no-headers)"
[[ "$(awk '{print $2, $3, $4}' <<<"$out")" == "8 8 8" ]] || mk_fail "get rs: $out"
mk delete rs nginx-replicaset >/dev/null
mk_wait 90 "nginx-replicaset pods deleted" none_left app=photo-view
echo "seed tutorial: every step passed"
