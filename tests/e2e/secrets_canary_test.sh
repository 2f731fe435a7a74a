#!/usr/bin/env bash
# Secrets hygiene end to end: every daemon (apiserver with encryption at rest, scheduler,
# controller-manager, kubelet) at --v=10 on the real Docker engine. A Secret holding random
# canaries is mounted as a volume and read through env secretKeyRef by a pod whose image is
# pulled from the password-protected registry with a dockerconfigjson pull secret (which
# carries a canary too). The pod proves it got the values (it prints their sha256, never the
# values); then no daemon log, event, describe output, `mkctl -v=10` log, nor the
# apiserver's RocksDB directory may contain a canary, raw or base64.
# Usage: secrets_canary_test.sh BUILD_DIR
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
    echo "secrets canary FAILED (rc=$rc); cluster state follows (logs: $MK_CLUSTER_DIR)" >&2
    mk get pods -o wide >&2 2>&1
    mk get events -A >&2 2>&1 | tail -n 40
  fi
  mk_cluster_down
  rm -rf "$WORK"
  exit $rc
}
WORK="$(mktemp -d)"
trap finish EXIT
set -e

CANARY="canary-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ENV_CANARY="envcanary-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
REG_CANARY="regcanary-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
REG_AUTH="$(printf '%s:%s' "$USER_" "$PASS_" | base64 -w0)"
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

step "encryption at rest for secrets, every daemon at --v=10"
printf 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aesgcm:\n          keys:\n            - name: key1\n              secret: %s\n      - identity: {}\n' \
  "$(head -c 32 /dev/urandom | base64 -w0)" >"$WORK/encryption.yaml"
MK_V=10
MK_APISERVER_FLAGS="--encryption-provider-config=$WORK/encryption.yaml"
mk_cluster_up "$BUILD" canary-node
node_ready() { [[ "$(mk get nodes --no-headers | awk '$2=="Ready"' | wc -l)" == 1 ]]; }
mk_wait 60 "1 Ready node" node_ready

step "secrets: generic (volume + env) and dockerconfigjson (pull secret with a second, canary entry)"
mk create secret generic app --from-literal=password="$CANARY" \
  --from-literal=envpass="$ENV_CANARY" >/dev/null
# The registry's real entry and a decoy entry whose password is a canary.
printf '{"auths":{"%s":{"username":"%s","password":"%s","auth":"%s"},"canary.invalid:5000":{"username":"u","password":"%s","auth":"%s"}}}' \
  "$REG" "$USER_" "$PASS_" "$REG_AUTH" "$REG_CANARY" "$(printf 'u:%s' "$REG_CANARY" | base64 -w0)" \
  >"$WORK/config.json"
mk create secret generic regcred --from-file=.dockerconfigjson="$WORK/config.json" \
  --type=kubernetes.io/dockerconfigjson >/dev/null
DOCKERCFG_B64="$(base64 -w0 <"$WORK/config.json")"

step "a pod using the secret as a volume, through env, and as imagePullSecret (Always pull)"
cat >"$WORK/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: canary
spec:
  imagePullSecrets:
    - name: regcred
  containers:
    - name: c
      image: $REG/busybox:1
      imagePullPolicy: Always
      command: ["sh", "-c", "echo file=\$(sha256sum /etc/app/password | cut -d' ' -f1); echo env=\$(printf %s \"\$ENVPASS\" | sha256sum | cut -d' ' -f1); sleep 3600"]
      env:
        - name: ENVPASS
          valueFrom:
            secretKeyRef:
              name: app
              key: envpass
      volumeMounts:
        - name: app
          mountPath: /etc/app
          readOnly: true
  volumes:
    - name: app
      secret:
        secretName: app
YAML
mk apply -f "$WORK/pod.yaml" >/dev/null
pod_running() { [[ "$(mk get pod canary -o 'jsonpath={.status.phase}')" == Running ]]; }
mk_wait 120 "pod canary Running" pod_running
logs_ready() { mk logs canary | grep -q '^env='; }
mk_wait 30 "pod canary printed its hashes" logs_ready

step "the container got the values (their hashes), so the greps below are not vacuous"
logs="$(mk logs canary)"
mk_expect_contains "file hash" "$logs" "file=$(sha "$CANARY")"
mk_expect_contains "env hash" "$logs" "env=$(sha "$ENV_CANARY")"
describe_pod="$(mk describe pod canary)"
mk_expect_contains "describe pod" "$describe_pod" "Successfully pulled image \"$REG/busybox:1\""
mk_expect_contains "describe pod" "$describe_pod" "<set to the key 'envpass' in secret 'app'>"

step "outputs that must not show secret values"
describe_secret="$(mk describe secret app regcred)"
mk_expect_contains "describe secret" "$describe_secret" "password:  ${#CANARY} bytes"
events="$(mk get events -A)"
mk -v=10 get secret app -o yaml >"$WORK/get.out" 2>"$WORK/get.err"
mk_expect_contains "get -o yaml shows data base64" "$(cat "$WORK/get.out")" \
  "password: $(printf '%s' "$CANARY" | base64 -w0)"
mk_expect_contains "mkctl -v=10 logs bodies" "$(cat "$WORK/get.err")" "Response Body:"
{
  mk -v=10 get secret regcred -o json >/dev/null
  mk -v=10 get secrets -A -o json >/dev/null
  mk -v=10 patch secret app -p "{\"stringData\":{\"extra\":\"$CANARY\"}}" >/dev/null
} 2>>"$WORK/get.err"

step "no canary anywhere: daemon logs, events, describe, mkctl -v=10 stderr, RocksDB files"
# Stop the daemons first so every log line and the database are on disk.
for pid in "${MK_CLUSTER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${MK_CLUSTER_PIDS[@]}"; do
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
# The daemons really logged at --v=10: bodies and gRPC objects, redacted.
grep -q 'Request Body:' "$MK_CLUSTER_DIR/apiserver.log" || mk_fail "apiserver logged no bodies"
grep -q '"password":"<redacted>"' "$MK_CLUSTER_DIR/apiserver.log" ||
  mk_fail "apiserver log shows no redacted secret"
grep -q 'gRPC received: .*"kind":"Secret"' "$MK_CLUSTER_DIR/kubelet-canary-node.log" ||
  grep -q 'gRPC received: .*<redacted>' "$MK_CLUSTER_DIR/kubelet-canary-node.log" ||
  mk_fail "kubelet did not log the secrets it read"
grep -q 'gRPC reply: .*"kind":"Secret".*<redacted>' "$MK_CLUSTER_DIR/apiserver.log" ||
  mk_fail "apiserver did not log the secrets it served over gRPC"
grep -q 'X-Registry-Auth: <redacted>' "$MK_CLUSTER_DIR/kubelet-canary-node.log" ||
  mk_fail "kubelet did not log its (redacted) registry auth header"
printf '%s\n' "$describe_secret" >"$WORK/describe-secret.out"
printf '%s\n' "$describe_pod" >"$WORK/describe-pod.out"
printf '%s\n' "$events" >"$WORK/events.out"
needles=(
  "$CANARY" "$(printf '%s' "$CANARY" | base64 -w0 | cut -c1-16)"
  "$ENV_CANARY" "$(printf '%s' "$ENV_CANARY" | base64 -w0 | cut -c1-16)"
  "$REG_CANARY" "$(printf 'u:%s' "$REG_CANARY" | base64 -w0 | cut -c1-16)"
  "$REG_AUTH" "${DOCKERCFG_B64:0:24}" "\"password\":\"$PASS_\""
)
files=("$MK_CLUSTER_DIR"/*.log "$WORK/get.err" "$WORK/describe-secret.out"
  "$WORK/describe-pod.out" "$WORK/events.out")
for needle in "${needles[@]}"; do
  for f in "${files[@]}"; do
    if grep -qF -- "$needle" "$f"; then
      grep -nF -- "$needle" "$f" | head -n 3 >&2
      mk_fail "$(basename "$f") contains a secret value ($needle)"
    fi
  done
  if grep -rqF -- "$needle" "$MK_CLUSTER_DIR/apiserver"; then
    mk_fail "the apiserver's data directory holds a secret value ($needle) despite encryption"
  fi
done
echo "PASS: secrets canary"
