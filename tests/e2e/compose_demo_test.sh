#!/usr/bin/env bash
# End-to-end test of the docker-compose demo (deploy/docker-compose.yml) on the real Docker
# engine: builds the images (deploy/build-images.sh, nothing pulled), brings the cluster up
# under its own project name, network, ports and root dir (no clash with other tests or with
# deploy/up.sh), checks the apiserver from the host, the nodes (joined with a bootstrap token:
# their CSRs approved and signed, no CA key in any node container), a pod pulled from the
# demo's password-protected registry with a pull secret, `--scale node=4` (a new token, the
# old one revoked), and tears everything
# down (deploy/compose-down.sh -v: compose containers, volumes, the pods' containers) — on
# failure too.
#
#   MK_DOCKER_TESTS=1 bash tests/e2e/compose_demo_test.sh BUILD_DIR
#
# Exit 0: passed; 77: skipped (MK_DOCKER_TESTS unset, or no docker-compose); other: failed.
# What the daemons in BUILD_DIR cannot do yet is reported as NOTE lines and not checked:
# nodes are checked only when the kubelets register them, `mkctl logs` only with a kubelet
# that has --address/--port, scheduling only with mk-scheduler, NotReady only with
# mk-controller-manager.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-$ROOT/build}
BUILD=$(cd "$BUILD" && pwd) || exit 1
BIN="$BUILD/bin"
T0=$SECONDS

say() { echo "[compose-demo $((SECONDS - T0))s] $*"; }
note() { echo "[compose-demo] NOTE: $*"; }
fail() {
  echo "[compose-demo] FAIL: $*" >&2
  exit 1
}

if [[ -z "${MK_DOCKER_TESTS:-}" ]]; then
  echo "SKIP: MK_DOCKER_TESTS not set (tests/run.sh sets it after starting dockerd)"
  exit 77
fi
command -v docker-compose >/dev/null || {
  echo "SKIP: docker-compose not installed"
  exit 77
}
[[ -x "$BIN/mk-apiserver" && -x "$BIN/mkctl" ]] || fail "no mk-apiserver/mkctl in $BIN"

# shellcheck source=tests/e2e/lib/docker-env.sh
source "$HERE/lib/docker-env.sh"
mk_start_dockerd >/dev/null || fail "no Docker engine"

# A free loopback TCP port, starting at $1.
free_port() {
  local p=$1
  while ss -Htln "sport = :$p" 2>/dev/null | grep -q . && ((p < 65000)); do p=$((p + 1)); done
  echo "$p"
}

export COMPOSE_PROJECT_NAME=mkdemotest
export MK_IMAGE_TAG=e2etest # leaves a user's mk/daemons:dev alone
export MK_NETWORK=mkdemotest-net
export MK_REST_PORT MK_REGISTRY_PORT MK_COMPOSE_ROOT
MK_REST_PORT=$(free_port 16443)
MK_REGISTRY_PORT=$(free_port 15000)
MK_COMPOSE_ROOT=$(mktemp -d /tmp/mkdemotest-root.XXXXXX)
REG="127.0.0.1:$MK_REGISTRY_PORT"
COMPOSE=(docker-compose -f "$ROOT/deploy/docker-compose.yml")
WORK=$(mktemp -d /tmp/mkdemotest-work.XXXXXX)
# The admin kubeconfig the apiserver writes into its volume (deploy/compose-kubeconfig.sh).
MKCTL=("$BIN/mkctl" --kubeconfig "$WORK/kubeconfig")

cleanup() {
  local rc=$?
  trap - EXIT
  if ((rc != 0)); then
    echo "--- docker-compose ps / logs (last lines) ---"
    "${COMPOSE[@]}" ps 2>&1
    "${COMPOSE[@]}" logs --tail 15 2>&1 | tail -n 80
    [[ -n "$("${COMPOSE[@]}" ps -q apiserver 2>/dev/null)" ]] &&
      "${MKCTL[@]}" get pods,nodes,csr -o wide 2>&1
  fi
  say "tearing down"
  "$ROOT/deploy/compose-down.sh" -v >/dev/null 2>&1
  local left
  left=$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
  # shellcheck disable=SC2086
  [[ -z "$left" ]] || docker rm -f $left >/dev/null 2>&1
  for img in busybox:1 photo-view:v1.0 photo-view:v2.0 liveness:1 stress:1; do
    docker rmi "$REG/$img" >/dev/null 2>&1
  done
  docker rmi "mk/daemons:$MK_IMAGE_TAG" "mk/registry:$MK_IMAGE_TAG" >/dev/null 2>&1
  rm -rf "$MK_COMPOSE_ROOT" "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap "exit 143" TERM INT HUP  # so that the EXIT trap tears down on ctest's timeout too

# wait_for SECS CMD... — polls CMD every second.
wait_for() {
  local secs=$1
  shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS >= deadline)) && return 1
    sleep 1
  done
}

# --- what the build has ---------------------------------------------------------------------
services=(apiserver registry)
have_kubelet=0 kubelet_serves=0 kubelet_registers=0 have_scheduler=0 have_cm=0
if [[ -x "$BIN/mk-kubelet" ]]; then
  have_kubelet=1
  services+=(node)
  # The compose file passes --address/--port (the kubelet's log server); a kubelet without
  # them gets neither (MK_KUBELET_FLAGS="") and `mkctl logs` is not checked.
  if grep -q -- '--port' <<<"$("$BIN/mk-kubelet" --help 2>&1)"; then
    kubelet_serves=1
  else
    export MK_KUBELET_FLAGS=""
    note "mk-kubelet has no --address/--port yet: not checking mkctl logs"
  fi
else
  note "no mk-kubelet in $BIN: control plane only"
fi
[[ -x "$BIN/mk-scheduler" ]] && have_scheduler=1 && services+=(scheduler)
[[ -x "$BIN/mk-controller-manager" ]] && have_cm=1 && services+=(controller-manager)
((have_scheduler)) || note "no mk-scheduler in $BIN: not checking scheduling"
((have_cm)) || note "no mk-controller-manager in $BIN: not checking NotReady"

# --- images and cluster ---------------------------------------------------------------------
say "building images (REST port $MK_REST_PORT, registry $REG)"
"$ROOT/deploy/build-images.sh" "$BUILD" >"$WORK/build-images.log" 2>&1 ||
  { tail -n 30 "$WORK/build-images.log"; fail "deploy/build-images.sh failed"; }
docker image inspect "mk/daemons:$MK_IMAGE_TAG" "mk/registry:$MK_IMAGE_TAG" >/dev/null || fail "images missing"
say "docker-compose up -d ${services[*]}"
"${COMPOSE[@]}" up -d "${services[@]}" >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log"; fail "docker-compose up failed"; }

fetch_kubeconfig() {
  "$ROOT/deploy/compose-kubeconfig.sh" >"$WORK/kubeconfig.new" && [[ -s "$WORK/kubeconfig.new" ]] &&
    mv "$WORK/kubeconfig.new" "$WORK/kubeconfig" && chmod 600 "$WORK/kubeconfig"
}
wait_for 60 fetch_kubeconfig || fail "no admin kubeconfig from the apiserver container"
wait_for 60 "${MKCTL[@]}" get namespace default || fail "apiserver not ready on 127.0.0.1:$MK_REST_PORT"
"${MKCTL[@]}" get namespaces | grep -q '^kube-system ' || fail "mkctl get namespaces from the host"
# TLS only, and nothing for anonymous clients.
curl -sf "http://127.0.0.1:$MK_REST_PORT/readyz" >/dev/null 2>&1 && fail "plaintext HTTP answered"
"$BIN/mkctl" --server "https://127.0.0.1:$MK_REST_PORT" --insecure-skip-tls-verify --kubeconfig /dev/null \
  get pods >/dev/null 2>&1 && fail "anonymous mkctl was allowed"
say "apiserver answers on 127.0.0.1:$MK_REST_PORT over TLS (REST published from its container)"

# The registry: password auth from the host, images pushed by build-images.sh.
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/")" == 401 ]] || fail "registry without auth"
curl -sf -u admin:admin "http://$REG/v2/photo-view/tags/list" | grep -q 'v2.0' ||
  fail "photo-view:v2.0 not in the demo registry"
say "registry on $REG asks for a password and holds photo-view"

((have_kubelet)) || exit 0

# The node containers' names made DNS-safe (mkdemotest_node_2 → mkdemotest-node-2): the
# node names mk-node-name gives the kubelets.
node_names() {
  local id
  for id in $("${COMPOSE[@]}" ps -q node); do
    docker inspect -f '{{.Name}}' "$id" | sed 's|^/||; s|_|-|g'
  done | sort
}
node_container() { docker ps -aq --filter "name=^/${1//-/_}\$"; }
ready_nodes() { "${MKCTL[@]}" get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l; }
# The one bootstrap token Secret (the bootstrap-token service revokes the previous one).
token_ids() {
  "${MKCTL[@]}" -n kube-system get secrets --no-headers | awk '$1 ~ /^bootstrap-token-/ { print substr($1, 17) }'
}
# check_joined NODE... — every NODE joined by TLS bootstrap with the current token: its client
# CSR (requestor system:bootstrap:<id>) and serving CSR (system:node:NODE) Approved,Issued, its
# kubeconfig holds its own certificate and no token, and its container has no CA key and does
# not mount the apiserver's volume. Sets TOKEN_ID.
serving_csrs_issued() {
  (($("${MKCTL[@]}" get csr --no-headers | awk '$3 == "kubernetes.io/kubelet-serving" && $NF == "Approved,Issued"' |
    wc -l) >= $1))
}
check_joined() {
  local ids n c csrs subject
  wait_for 60 serving_csrs_issued $# || fail "the serving CSRs of $* were not all issued"
  ids=$(token_ids)
  [[ "$ids" =~ ^[a-z0-9]{6}$ ]] || fail "expected one bootstrap token Secret, got: $ids"
  TOKEN_ID=$ids
  csrs=$("${MKCTL[@]}" get csr --no-headers)
  for n in "$@"; do
    awk -v n="system:node:$n" '$3 == "kubernetes.io/kubelet-serving" && $4 == n && $NF == "Approved,Issued"' \
      <<<"$csrs" | grep -q . || fail "no approved and issued serving CSR of $n: $csrs"
    subject=$(grep -m1 'client-certificate-data:' "$MK_COMPOSE_ROOT/kubelet/$n/kubeconfig" |
      awk '{print $2}' | base64 -d | openssl x509 -noout -subject)
    [[ "$subject" == *"CN = system:node:$n"* ]] || fail "$n's kubeconfig certificate: $subject"
    grep -q 'token:' "$MK_COMPOSE_ROOT/kubelet/$n/kubeconfig" && fail "$n's kubeconfig holds the token"
    c=$(node_container "$n")
    docker exec "$c" test ! -e /var/lib/mk/apiserver/pki/ca.key || fail "node container $n has the CA key"
    docker inspect -f '{{range .Mounts}}{{.Name}} {{end}}' "$c" | grep -q apiserver-data &&
      fail "node container $n mounts the apiserver's volume"
  done
  awk -v r="system:bootstrap:$TOKEN_ID" '$3 == "kubernetes.io/kube-apiserver-client-kubelet" && $4 == r && $NF == "Approved,Issued"' \
    <<<"$csrs" | grep -q . || fail "no node CSR by system:bootstrap:$TOKEN_ID approved and issued: $csrs"
  say "nodes $* joined with bootstrap token $TOKEN_ID (client and serving CSRs approved and issued); no CA key in their containers"
}
mapfile -t NODES < <(node_names)
((${#NODES[@]} == 3)) || fail "expected 3 node containers, got ${#NODES[@]}"
[[ "$(printf '%s\n' "${NODES[@]}" | sort -u | wc -l)" == 3 ]] || fail "node names not distinct: ${NODES[*]}"
say "3 node containers: ${NODES[*]}"
# A kubelet with a log server registers its node; one without may not yet (then pods are
# pinned to the node containers with nodeName).
if wait_for $((kubelet_serves ? 60 : 20)) bash -c "${MKCTL[*]} get nodes --no-headers 2>/dev/null | grep -q ."; then
  kubelet_registers=1
elif ((kubelet_serves)); then
  fail "no Node registered 60 s after the node containers started"
else
  note "the kubelets registered no Node: not checking nodes; pods are pinned with nodeName"
fi
if ((kubelet_registers)); then
  wait_for 60 bash -c "(( \$(${MKCTL[*]} get nodes --no-headers 2>/dev/null | awk '\$2 == \"Ready\"' | wc -l) == 3 ))" ||
    fail "3 Ready nodes expected; got $(ready_nodes)"
  "${MKCTL[@]}" get nodes
  [[ "$("${MKCTL[@]}" get nodes --no-headers | awk '{print $1}' | sort | tr '\n' ' ')" == "${NODES[*]} " ]] ||
    fail "node names are not the containers' names (${NODES[*]})"
  for n in "${NODES[@]}"; do
    "${MKCTL[@]}" get node "$n" -o jsonpath='{.status.capacity.memory}' | grep -q '2037260Ki' ||
      fail "node $n does not have the --memory capacity"
  done
  check_joined "${NODES[@]}"
  TOKEN_ID1=$TOKEN_ID
fi

# --- a pod from the private registry, with a pull secret ------------------------------------
"${MKCTL[@]}" create secret docker-registry regcred --docker-server="$REG" \
  --docker-username=admin --docker-password=admin >/dev/null || fail "create secret"
pin=""
((have_scheduler && kubelet_registers)) || pin="  nodeName: ${NODES[1]}"
cat >"$WORK/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: photoview-pod
  labels: {app: photo-view, env: stage}
spec:
$pin
  containers:
  - image: $REG/photo-view:v2.0
    name: photoview-container
    ports:
    - containerPort: 80
  imagePullSecrets:
  - name: regcred
EOF
"${MKCTL[@]}" apply -f "$WORK/pod.yaml" | grep -q 'pod/photoview-pod created' || fail "apply pod"
pod_phase() { "${MKCTL[@]}" get pod photoview-pod -o jsonpath='{.status.phase}'; }
wait_for 90 bash -c "[[ \$(${MKCTL[*]} get pod photoview-pod -o jsonpath='{.status.phase}') == Running ]]" ||
  fail "photoview-pod not Running (phase: $(pod_phase))"
"${MKCTL[@]}" get pods -o wide
node=$("${MKCTL[@]}" get pod photoview-pod -o jsonpath='{.spec.nodeName}')
ip=$("${MKCTL[@]}" get pod photoview-pod -o jsonpath='{.status.podIP}')
printf '%s\n' "${NODES[@]}" | grep -qx "$node" || fail "pod on '$node', not one of the node containers"
[[ -n "$(docker ps -q --filter "label=mk.node=$node" --filter label=mk.pod.name=photoview-pod)" ]] ||
  fail "no container labelled mk.node=$node for the pod on the host engine"
# The pod is on the demo network: the apiserver's container reaches it.
page=$(docker exec "$("${COMPOSE[@]}" ps -q apiserver)" sh -c \
  "printf 'GET /version HTTP/1.0\r\n\r\n' | nc -w 3 $ip 80" 2>&1)
grep -q '^v2.0' <<<"$page" || fail "pod $ip:80 not reachable from the apiserver container: $page"
say "photoview-pod Running on node $node at $ip, pulled from $REG with regcred, reachable on the demo network"
if ((kubelet_serves && kubelet_registers)); then
  "${MKCTL[@]}" logs photoview-pod >"$WORK/logs" 2>&1 || fail "mkctl logs: $(cat "$WORK/logs")"
  # httpd -v logged the request the apiserver's container made above.
  aip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$MK_NETWORK\").IPAddress}}" \
    "$("${COMPOSE[@]}" ps -q apiserver)")
  grep -q "$aip.*response:200" "$WORK/logs" || fail "mkctl logs lacks httpd's line for $aip: $(cat "$WORK/logs")"
  say "mkctl logs through the apiserver → kubelet at the node's IP: $(wc -l <"$WORK/logs") line(s)"
fi

# --- minikube node add: --scale node=4 ------------------------------------------------------
"${COMPOSE[@]}" up -d --scale node=4 "${services[@]}" >"$WORK/scale.log" 2>&1 ||
  { cat "$WORK/scale.log"; fail "--scale node=4"; }
mapfile -t NODES4 < <(node_names)
((${#NODES4[@]} == 4)) || fail "expected 4 node containers after --scale node=4, got ${#NODES4[@]}"
if ((kubelet_registers)); then
  wait_for 60 bash -c "(( \$(${MKCTL[*]} get nodes --no-headers 2>/dev/null | awk '\$2 == \"Ready\"' | wc -l) == 4 ))" ||
    fail "4 Ready nodes expected after --scale node=4; got $(ready_nodes)"
fi
if ((kubelet_registers)); then
  # `up` ran the bootstrap-token service again: a new token, the first one revoked, and the
  # 4th node joined with the new one. The client CSRs: 3 by the first token, 1 by the second.
  check_joined "${NODES4[@]}"
  [[ "$TOKEN_ID" != "$TOKEN_ID1" ]] || fail "up did not rotate the bootstrap token"
  csrs=$("${MKCTL[@]}" get csr --no-headers)
  [[ "$(awk -v r="system:bootstrap:$TOKEN_ID1" '$4 == r' <<<"$csrs" | wc -l)" == 3 &&
    "$(awk -v r="system:bootstrap:$TOKEN_ID" '$4 == r' <<<"$csrs" | wc -l)" == 1 ]] ||
    fail "expected 3 node CSRs by token $TOKEN_ID1 and 1 by $TOKEN_ID: $csrs"
fi
say "--scale node=4: nodes ${NODES4[*]}"
# The running pod was left alone by the scale.
[[ "$(pod_phase)" == Running ]] || fail "photoview-pod not Running after the scale"

# --- a recreated node container is the same node (a rebuilt image, `up -d` again) ----------
if ((kubelet_registers)); then
  restarts() { "${MKCTL[@]}" get pod photoview-pod --no-headers | awk '{print $4}'; }
  rc0=$(restarts)
  "${COMPOSE[@]}" up -d --force-recreate --scale node=4 node >"$WORK/recreate.log" 2>&1 ||
    { cat "$WORK/recreate.log"; fail "up -d --force-recreate node"; }
  mapfile -t again < <(node_names)
  [[ "${again[*]}" == "${NODES4[*]}" ]] || fail "recreated node containers are named ${again[*]}, not ${NODES4[*]}"
  wait_for 60 bash -c "(( \$(${MKCTL[*]} get nodes --no-headers 2>/dev/null | awk '\$2 == \"Ready\"' | wc -l) == 4 ))" ||
    fail "4 Ready nodes expected after recreating the node containers; got $(ready_nodes)"
  (($("${MKCTL[@]}" get nodes --no-headers | wc -l) == 4)) || fail "recreating the node containers added nodes"
  # Their kubeconfigs (in their root dirs) are kept: no new client CSR. A container that got
  # another IP asks for a serving certificate naming it (a new kubelet-serving CSR).
  (($("${MKCTL[@]}" get csr --no-headers | awk '$3 == "kubernetes.io/kube-apiserver-client-kubelet"' | wc -l) == 4)) ||
    fail "recreated nodes joined again instead of keeping their kubeconfigs: $("${MKCTL[@]}" get csr)"
  sleep 3
  [[ "$(pod_phase)" == Running ]] || fail "photoview-pod not Running after its node's container was recreated"
  rc1=$(restarts)
  if [[ "$rc1" != "$rc0" ]]; then
    note "photoview-pod restarted ($rc0 → $rc1) when its kubelet's container was recreated (expected: adopted)"
  fi
  say "recreated node containers kept their node names and kubeconfigs; photoview-pod still Running (restarts $rc0 → $rc1)"
fi

# --- a stopped node container goes NotReady -------------------------------------------------
if ((kubelet_registers && have_cm)); then
  stopped=${NODES4[3]}
  docker stop "$(node_container "$stopped")" >/dev/null || fail "docker stop $stopped"
  wait_for 90 bash -c "${MKCTL[*]} get node $stopped --no-headers | awk '{print \$2}' | grep -q NotReady" ||
    fail "node $stopped still $("${MKCTL[@]}" get node "$stopped" --no-headers | awk '{print $2}') 90 s after its container stopped"
  say "node $stopped NotReady after docker stop"
fi

# --- teardown removes the pods' containers too ----------------------------------------------
"$ROOT/deploy/compose-down.sh" -v >"$WORK/down.log" 2>&1 || { cat "$WORK/down.log"; fail "compose-down.sh"; }
for n in "${NODES4[@]}"; do
  [[ -z "$(docker ps -aq --filter "label=mk.node=$n")" ]] || fail "containers of node $n left after compose-down.sh"
done
[[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ]] ||
  fail "compose containers left after compose-down.sh"
say "PASS (compose-down.sh removed the cluster, its volumes and the pods' containers)"
