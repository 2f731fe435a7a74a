#!/usr/bin/env bash
# Tests deploy/systemd/*.service and deploy/install.sh on this machine, as far as a machine
# without a running systemd allows:
#   1. install.sh --control-plane --node into a temporary root: binaries, units, env files,
#      kubeconfig where they belong (the controller-manager signs node CSRs, no kubelet
#      serving certificate: it comes by CSR); a worker's install (--node
#      --bootstrap-kubeconfig); a re-install keeps edited env files; --node alone needs a
#      bootstrap kubeconfig and refuses one with a client key.
#   2. `systemd-analyze verify --root TMP` on the installed units (with the host's system
#      units copied in so targets resolve): syntax, dependencies, ExecStart executables.
#      A unit pointing at a missing binary must fail verification (the check is real).
#      Without systemd-analyze (or with MK_NO_SYSTEMD_ANALYZE=1): every ExecStart and
#      EnvironmentFile is parsed and checked against the root.
#   3. The flags install.sh wrote are accepted by the binaries: mk-apiserver is started with
#      its env file's flags (ports and data dir moved to temporary ones) and must print
#      `ready`; the other daemons must not reject a flag.
#   4. With MK_DOCKER_TESTS set (tests/run.sh): the installed daemons, started with their env
#      files' flags (addresses, ports, dirs moved), form a cluster — the node registers
#      Ready and a pod is scheduled to it and runs on the real Docker engine. Then a worker
#      joins as on a second VM: `install.sh --print-join-command` on the control plane's tree,
#      `install.sh --node --bootstrap-kubeconfig FILE` into a second tree, its kubelet started
#      with that tree's flags: the client and serving CSRs are approved and issued, the
#      worker gets Ready, runs a pod and serves its logs.
#
#   [MK_DOCKER_TESTS=1] bash tests/e2e/systemd_units_test.sh BUILD_DIR
# Exit 0: passed; 1: failed. Steps 1-3 need no Docker.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd) || exit 1
BIN="$BUILD/bin"
T=$(mktemp -d /tmp/mk-systemd-test.XXXXXX)
PID=""
PIDS=()
TEST_NODE="mk-systemd-test-$$"
WORKER="mk-systemd-worker-$$"
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [[ -n "${MK_DOCKER_TESTS:-}" ]] && command -v docker >/dev/null; then
    local ids n
    for n in "$TEST_NODE" "$WORKER"; do
      ids=$(docker ps -aq --filter "label=mk.node=$n" 2>/dev/null)
      # shellcheck disable=SC2086
      [[ -z "$ids" ]] || docker rm -f $ids >/dev/null 2>&1
    done
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap "exit 143" TERM INT HUP  # so that the EXIT trap tears down on ctest's timeout too
say() { echo "[systemd-units] $*"; }
fail() {
  echo "[systemd-units] FAIL: $*" >&2
  exit 1
}
[[ -x "$BIN/mk-apiserver" ]] || fail "no $BIN/mk-apiserver"

# --- 1. install.sh into a temporary root ----------------------------------------------------
DEST="$T/root"
"$ROOT/deploy/install.sh" --control-plane --node --build-dir "$BUILD" --prefix "$DEST" \
  --advertise-address 10.1.2.3 --node-labels server=webap --memory 2Gi >"$T/install.log" 2>&1 ||
  { cat "$T/install.log"; fail "install.sh --control-plane --node --prefix failed"; }
grep -q "not starting services" "$T/install.log" || fail "install.sh into a prefix must not start services"

expect_units=()
for b in mk-apiserver mk-scheduler mk-controller-manager mk-kubelet; do
  if [[ -x "$BIN/$b" ]]; then
    [[ -x "$DEST/usr/local/bin/$b" ]] || fail "$b not installed in /usr/local/bin"
    cmp -s "$BIN/$b" "$DEST/usr/local/bin/$b" || fail "installed $b differs from $BIN/$b"
    [[ -f "$DEST/etc/systemd/system/$b.service" ]] || fail "$b.service not installed"
    expect_units+=("$b.service")
  else
    say "NOTE: $b not built here; its unit is not installed (install.sh warns)"
  fi
  [[ -f "$DEST/etc/mk/$b.env" ]] || fail "/etc/mk/$b.env not written"
done
[[ -x "$DEST/usr/local/bin/mkctl" ]] || fail "mkctl not installed"
[[ ! -x "$BIN/mk-pause" || -x "$DEST/usr/local/bin/mk-pause" ]] || fail "mk-pause not installed next to mk-kubelet"
[[ "$(readlink "$DEST/etc/mk/kubeconfig")" == /var/lib/mk/apiserver/admin.kubeconfig ]] ||
  fail "/etc/mk/kubeconfig must link to the apiserver's admin.kubeconfig"
[[ -x "$DEST/usr/local/bin/mk-kubeconfig" ]] || fail "mk-kubeconfig not installed"
grep -q -- '--kubeconfig=/var/lib/mk/apiserver/scheduler.kubeconfig' "$DEST/etc/mk/mk-scheduler.env" ||
  fail "scheduler env lacks its kubeconfig"
grep -q -- '--kubeconfig=/var/lib/mk/apiserver/controller-manager.kubeconfig' \
  "$DEST/etc/mk/mk-controller-manager.env" || fail "controller-manager env lacks its kubeconfig"
grep -q -- '--kubeconfig=/etc/mk/kubelet.kubeconfig' "$DEST/etc/mk/mk-kubelet.env" ||
  fail "kubelet env lacks its kubeconfig"
grep -q -- '--tls-cert-file' "$DEST/etc/mk/mk-kubelet.env" &&
  fail "kubelet env names a serving certificate (it should request one by CSR)"
grep -q -- '--bootstrap-kubeconfig' "$DEST/etc/mk/mk-kubelet.env" &&
  fail "the control plane's own kubelet env has a bootstrap kubeconfig (mk-kubeconfig makes its kubeconfig)"
grep -q -- '--cluster-signing-cert-file=/var/lib/mk/apiserver/pki/ca.crt --cluster-signing-key-file=/var/lib/mk/apiserver/pki/ca.key' \
  "$DEST/etc/mk/mk-controller-manager.env" || fail "controller-manager env lacks the signing CA"
grep -q -- '--tls-san=10.1.2.3' "$DEST/etc/mk/mk-apiserver.env" || fail "apiserver env lacks the advertise address as --tls-san"
[[ -x "$DEST/usr/local/bin/mk-bootstrap-token" ]] || fail "mk-bootstrap-token not installed on the control plane"
grep -q -- '--print-join-command' "$T/install.log" || fail "install.sh --prefix does not say how to get the join command"
grep -qE -- '--node-ip=[0-9.]+' "$DEST/etc/mk/mk-kubelet.env" || fail "kubelet env lacks --node-ip"
grep -q -- '--grpc-listen=0.0.0.0:6444' "$DEST/etc/mk/mk-apiserver.env" || fail "apiserver env: $(cat "$DEST/etc/mk/mk-apiserver.env")"
grep -q -- '--apiserver=127.0.0.1:6444' "$DEST/etc/mk/mk-kubelet.env" || fail "kubelet env"
grep -q -- '--node-labels=server=webap' "$DEST/etc/mk/mk-kubelet.env" || fail "kubelet env lacks --node-labels"
for u in "$DEST"/etc/systemd/system/*.service; do
  n=$(basename "$u" .service)
  grep -qx "EnvironmentFile=/etc/mk/$n.env" "$u" || fail "$n.service: EnvironmentFile=/etc/mk/$n.env"
  grep -qx "Restart=always" "$u" || fail "$n.service: Restart=always"
done
if [[ -f "$DEST/etc/systemd/system/mk-kubelet.service" ]]; then
  grep -q '^After=.*docker.service' "$DEST/etc/systemd/system/mk-kubelet.service" || fail "kubelet: After=docker.service"
fi
say "install.sh --control-plane --node: $(find "$DEST" -type f | wc -l) files, units: ${expect_units[*]}"

# A worker: --node with a bootstrap kubeconfig (shaped like the ones --print-join-command
# writes), given relative to the current directory. Re-install keeps an edited env file;
# --force rewrites it.
W0="$T/reinstall"
printf 'users:\n- name: kubelet-bootstrap\n  user:\n    token: abcdef.0123456789abcdef\n' >"$T/boot.kubeconfig"
(cd "$T" && "$ROOT/deploy/install.sh" --node --bootstrap-kubeconfig boot.kubeconfig --build-dir "$BUILD" \
  --prefix "$W0" >"$T/worker-install.log" 2>&1) || { cat "$T/worker-install.log"; fail "worker install"; }
cmp -s "$T/boot.kubeconfig" "$W0/etc/mk/bootstrap-kubelet.kubeconfig" || fail "bootstrap kubeconfig not installed"
[[ "$(stat -c %a "$W0/etc/mk/bootstrap-kubelet.kubeconfig")" == 600 ]] || fail "bootstrap kubeconfig mode"
wenv=$(cat "$W0/etc/mk/mk-kubelet.env")
[[ "$wenv" == *"--kubeconfig=/etc/mk/kubelet.kubeconfig --bootstrap-kubeconfig=/etc/mk/bootstrap-kubelet.kubeconfig"* ]] ||
  fail "worker kubelet env: $wenv"
[[ "$wenv" != *--tls-cert-file* && "$wenv" != *--apiserver=* ]] || fail "worker kubelet env: $wenv"
[[ ! -e "$W0/usr/local/bin/mk-kubeconfig" && ! -e "$W0/usr/local/bin/mk-apiserver" ]] ||
  fail "a worker install has control-plane binaries"
echo '# edited' >>"$W0/etc/mk/mk-kubelet.env"
"$ROOT/deploy/install.sh" --node --apiserver 10.0.0.1:6444 --build-dir "$BUILD" --prefix "$W0" >/dev/null 2>&1 ||
  fail "re-install failed"
grep -q '# edited' "$W0/etc/mk/mk-kubelet.env" || fail "re-install overwrote an edited env file"
"$ROOT/deploy/install.sh" --node --apiserver 10.0.0.1:6444 --build-dir "$BUILD" --prefix "$W0" --force >/dev/null 2>&1 ||
  fail "install --force failed"
grep -q -- '--apiserver=10.0.0.1:6444' "$W0/etc/mk/mk-kubelet.env" || fail "--force did not rewrite the kubelet env"
if "$ROOT/deploy/install.sh" --node --apiserver 10.0.0.1:6444 --build-dir "$BUILD" --prefix "$T/other" >/dev/null 2>&1; then
  fail "--node without a bootstrap kubeconfig must be refused"
fi
printf 'users:\n- user:\n    client-key-data: AAAA\n    token: abcdef.0123456789abcdef\n' >"$T/admin-like.kubeconfig"
if "$ROOT/deploy/install.sh" --node --bootstrap-kubeconfig "$T/admin-like.kubeconfig" --build-dir "$BUILD" \
  --prefix "$T/other" >/dev/null 2>&1; then
  fail "--bootstrap-kubeconfig with a client key must be refused"
fi
say "worker install (--node --bootstrap-kubeconfig); re-install keeps edits, --force rewrites; --node needs a bootstrap kubeconfig"

# --- 2. systemd-analyze verify --------------------------------------------------------------
if [[ -z "${MK_NO_SYSTEMD_ANALYZE:-}" ]] && command -v systemd-analyze >/dev/null; then
  # The root needs the system's own units (sysinit.target, network-online.target, ...).
  mkdir -p "$DEST/usr/lib/systemd"
  cp -a /usr/lib/systemd/system "$DEST/usr/lib/systemd/" 2>/dev/null ||
    cp -a /lib/systemd/system "$DEST/usr/lib/systemd/"
  (cd "$DEST/etc/systemd/system" && systemd-analyze verify --root="$DEST" "${expect_units[@]}") \
    >"$T/verify.log" 2>&1 || { cat "$T/verify.log"; fail "systemd-analyze verify"; }
  [[ -s "$T/verify.log" ]] && { say "verify output:"; cat "$T/verify.log"; }
  # Negative control: a unit whose binary is missing must not verify.
  mv "$DEST/usr/local/bin/mk-apiserver" "$T/moved"
  if systemd-analyze verify --root="$DEST" mk-apiserver.service >"$T/neg.log" 2>&1; then
    fail "systemd-analyze verify passed a unit whose ExecStart binary is missing"
  fi
  mv "$T/moved" "$DEST/usr/local/bin/mk-apiserver"
  say "systemd-analyze verify: ${expect_units[*]} OK (and it rejects a missing binary)"
else
  say "NOTE: no systemd-analyze; checking ExecStart/EnvironmentFile paths by hand"
  for u in "$DEST"/etc/systemd/system/*.service; do
    exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
    [[ -x "$DEST$exe" ]] || fail "$(basename "$u"): ExecStart $exe not in the root"
    envf=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$u")
    [[ -f "$DEST$envf" ]] || fail "$(basename "$u"): EnvironmentFile $envf not in the root"
    { grep -q '^\[Install\]' "$u" && grep -q '^WantedBy=multi-user.target' "$u"; } || fail "$(basename "$u"): [Install]"
  done
fi

# --- 3. the env files' flags work with the binaries -----------------------------------------
# shellcheck disable=SC1090
# flags_of UNIT VAR [TREE] — the flags systemd would pass in TREE (default: the control plane's).
flags_of() { (set -a && source "${3:-$DEST}/etc/mk/$1.env" && echo "${!2}"); }
free_port() {
  local p=$1
  while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  echo "$p"
}
rest=$(free_port 26443)
grpc=$(free_port $((rest + 1)))
aflags=$(flags_of mk-apiserver MK_APISERVER_FLAGS)
aflags=${aflags//0.0.0.0:6443/127.0.0.1:$rest}
aflags=${aflags//0.0.0.0:6444/127.0.0.1:$grpc}
aflags=${aflags//\/var\/lib\/mk\/apiserver/$T\/apiserver-data}
# shellcheck disable=SC2086
"$DEST/usr/local/bin/mk-apiserver" $aflags >"$T/apiserver.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  grep -q '^ready' "$T/apiserver.log" && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.1
done
grep -q "ready rest=$rest grpc=$grpc" "$T/apiserver.log" ||
  { cat "$T/apiserver.log"; fail "mk-apiserver with the env file's flags ($aflags) did not print ready"; }
"$DEST/usr/local/bin/mkctl" --kubeconfig "$T/apiserver-data/admin.kubeconfig" get namespaces |
  grep -q '^default ' || fail "installed mkctl against the installed apiserver"
"$DEST/usr/local/bin/mkctl" --server "https://127.0.0.1:$rest" --kubeconfig /dev/null \
  --insecure-skip-tls-verify get namespaces >/dev/null 2>&1 && fail "anonymous mkctl was allowed"
kill "$PID" && wait "$PID" 2>/dev/null
PID=""
say "mk-apiserver runs with the installed flags; installed mkctl talks to it"

for pair in mk-kubelet:MK_KUBELET_FLAGS mk-scheduler:MK_SCHEDULER_FLAGS \
  mk-controller-manager:MK_CONTROLLER_MANAGER_FLAGS; do
  b=${pair%%:*}
  [[ -x "$DEST/usr/local/bin/$b" ]] || continue
  f=$(flags_of "$b" "${pair#*:}")
  # Flags are parsed in order, so an unknown one is reported before --help stops parsing.
  # shellcheck disable=SC2086
  out=$("$DEST/usr/local/bin/$b" $f --help 2>&1)
  if grep -qiE 'unknown (flag|command line flag)|needs a value|invalid' <<<"$out"; then
    fail "$b rejects the flags install.sh wrote ($f): $out"
  fi
done
# --- 4. a cluster from the installed tree --------------------------------------------------
# What a control-plane VM and a node VM run, on one machine: every installed daemon started
# with its env file's flags (addresses, ports and dirs moved to temporary ones), a pod
# scheduled to the node and running on the real Docker engine.
if [[ -z "${MK_DOCKER_TESTS:-}" ]]; then
  say "NOTE: MK_DOCKER_TESTS not set: not starting a cluster from the installed tree"
elif [[ ! -x "$DEST/usr/local/bin/mk-kubelet" || ! -x "$DEST/usr/local/bin/mk-scheduler" ]]; then
  say "NOTE: mk-kubelet or mk-scheduler not built: not starting a cluster from the installed tree"
else
  # run NAME VAR SED... — starts NAME from DEST with the flags in /etc/mk/NAME.env, edited.
  # run_in TREE LOG NAME VAR SED... — the same from another installed tree, logging to $T/LOG.
  run_in() {
    local tree=$1 log=$2 name=$3 var=$4
    shift 4
    local f e
    f=$(flags_of "$name" "$var" "$tree")
    for e in "$@"; do f=$(sed -E "$e" <<<"$f"); done
    # shellcheck disable=SC2086
    "$tree/usr/local/bin/$name" $f >"$T/$log" 2>&1 &
    PIDS+=($!)
  }
  run() { run_in "$DEST" "$1.log" "$@"; }
  # shellcheck disable=SC2086
  "$DEST/usr/local/bin/mk-apiserver" $aflags >"$T/apiserver.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q '^ready' "$T/apiserver.log" && break; sleep 0.1; done
  to_grpc="s#--apiserver=[^ ]+#--apiserver=127.0.0.1:$grpc#"
  # The kubeconfigs the apiserver wrote into its (moved) data dir; the node's from mk-kubeconfig
  # (what install.sh does on a control plane that is also a node); the CA the controller-manager
  # signs with is there too.
  to_data="s#/var/lib/mk/apiserver#$T/apiserver-data#g"
  "$DEST/usr/local/bin/mk-kubeconfig" --data-dir="$T/apiserver-data" --user="system:node:$TEST_NODE" \
    --group=system:nodes --out="$T/kubelet.kubeconfig" || fail "mk-kubeconfig for the node"
  run mk-scheduler MK_SCHEDULER_FLAGS "$to_grpc" "$to_data"
  cm=""
  if [[ -x "$DEST/usr/local/bin/mk-controller-manager" ]]; then
    run mk-controller-manager MK_CONTROLLER_MANAGER_FLAGS "$to_grpc" "$to_data"
    cm=", controller-manager"
  fi
  # A kubelet on loopback, its port picked by the kernel.
  on_loopback=("s#--port=[0-9]+#--port=0#" "s#--address=[^ ]+#--address=127.0.0.1#"
    "s#--node-ip=[^ ]+#--node-ip=127.0.0.1#")
  run mk-kubelet MK_KUBELET_FLAGS "$to_grpc" "s#--kubeconfig=[^ ]+#--kubeconfig=$T/kubelet.kubeconfig#" \
    "s#--root-dir=[^ ]+#--root-dir=$T/kubelet#" "${on_loopback[@]}" \
    "s#\$# --node-name=$TEST_NODE --node-labels=server=webap#"
  K=("$DEST/usr/local/bin/mkctl" --kubeconfig "$T/apiserver-data/admin.kubeconfig")
  # wait_ready NODE LOG — NODE Ready within 60 s, else the tail of $T/LOG and a failure.
  wait_ready() {
    local _
    for _ in $(seq 1 60); do
      "${K[@]}" get node "$1" --no-headers 2>/dev/null | grep -q ' Ready ' && return 0
      sleep 1
    done
    tail -n 20 "$T/$2"
    fail "node $1 not Ready with the installed kubelet flags"
  }
  wait_ready "$TEST_NODE" mk-kubelet.log
  img=mk-busybox:1
  docker image inspect "$img" >/dev/null 2>&1 || fail "no $img image (tests/e2e/lib/docker-env.sh mk_build_test_images)"
  cat >"$T/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: installed}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {server: webap}
  containers:
  - {name: c, image: $img, imagePullPolicy: Never, command: ["sleep", "3600"]}
EOF
  "${K[@]}" apply -f "$T/pod.yaml" >/dev/null || fail "create pod"
  ok=0
  for _ in $(seq 1 60); do
    [[ "$("${K[@]}" get pod installed -o jsonpath='{.status.phase}' 2>/dev/null)" == Running ]] && ok=1 && break
    sleep 1
  done
  ((ok)) || { "${K[@]}" describe pod installed; fail "pod not Running on the installed cluster"; }
  [[ "$("${K[@]}" get pod installed -o jsonpath='{.spec.nodeName}')" == "$TEST_NODE" ]] || fail "pod not on $TEST_NODE"
  say "installed apiserver, scheduler$cm and kubelet form a cluster: node $TEST_NODE Ready, pod scheduled and Running"

  # --- a worker joins with a bootstrap token, as a second VM would ---------------------------
  if [[ -n "$cm" ]]; then
    export MK_KUBECONFIG="$T/apiserver-data/admin.kubeconfig"
    # The advertise address install.sh put in the apiserver's flags (--tls-san), with the
    # admin kubeconfig's ports; then one for this machine (127.0.0.1).
    out=$("$ROOT/deploy/install.sh" --print-join-command --prefix "$DEST" --ttl 1h 2>&1) ||
      fail "--print-join-command: $out"
    [[ "$out" == *"https://10.1.2.3:$rest "* ]] || fail "--print-join-command without --advertise-address: $out"
    id=$(grep -oE 'bootstrap-token-[a-z0-9]{6}' <<<"$out" | head -n1 | cut -d- -f3)
    grep -q "server: \"10.1.2.3:$grpc\"" "$DEST/etc/mk/join/bootstrap-$id.kubeconfig" ||
      fail "the join kubeconfig lacks the advertised gRPC address"
    "${K[@]}" -n kube-system delete secret "bootstrap-token-$id" >/dev/null || fail "revoke token $id"
    out=$("$ROOT/deploy/install.sh" --print-join-command --prefix "$DEST" --ttl 1h --advertise-address 127.0.0.1 2>&1) ||
      fail "--print-join-command --advertise-address: $out"
    echo "$out"
    id=$(grep -oE 'bootstrap-token-[a-z0-9]{6}' <<<"$out" | head -n1 | cut -d- -f3)
    join=$(grep -E '^  deploy/install.sh --node --bootstrap-kubeconfig ' <<<"$out") || fail "no join command: $out"
    [[ "$join" == "  deploy/install.sh --node --bootstrap-kubeconfig bootstrap-$id.kubeconfig" ]] || fail "join command: $join"
    [[ "$(stat -c %a "$DEST/etc/mk/join/bootstrap-$id.kubeconfig")" == 600 ]] || fail "join kubeconfig mode"
    [[ "$(stat -c %a "$DEST/etc/mk/join")" == 700 ]] || fail "/etc/mk/join mode"
    # "scp" the file to the worker, run the join command there (with a node name and a tree).
    mkdir -p "$T/worker-home"
    cp "$DEST/etc/mk/join/bootstrap-$id.kubeconfig" "$T/worker-home/"
    join=${join#  }
    # shellcheck disable=SC2086
    (cd "$T/worker-home" && "$ROOT"/$join --build-dir "$BUILD" --prefix "$T/worker" --node-name "$WORKER") \
      >"$T/worker-join.log" 2>&1 || { cat "$T/worker-join.log"; fail "the join command on the worker"; }
    WT="$T/worker"
    run_in "$WT" worker-kubelet.log mk-kubelet MK_KUBELET_FLAGS "s#/etc/mk/#$WT/etc/mk/#g" \
      "s#--root-dir=[^ ]+#--root-dir=$T/worker-kubelet#" "${on_loopback[@]}"
    wait_ready "$WORKER" worker-kubelet.log
    [[ "$(stat -c %a "$WT/etc/mk/kubelet.kubeconfig")" == 600 ]] || fail "the worker's kubeconfig mode"
    subject=$(grep -m1 'client-certificate-data:' "$WT/etc/mk/kubelet.kubeconfig" | awk '{print $2}' |
      base64 -d | openssl x509 -noout -subject)
    [[ "$subject" == *"CN = system:node:$WORKER"* ]] || fail "the worker's certificate: $subject"
    issued() {
      "${K[@]}" get csr --no-headers | awk -v s="$1" -v r="$2" '$3 == s && $4 == r && $NF == "Approved,Issued"' | grep -q .
    }
    issued kubernetes.io/kube-apiserver-client-kubelet "system:bootstrap:$id" ||
      fail "no approved and issued client CSR by system:bootstrap:$id: $("${K[@]}" get csr)"
    for n in "$TEST_NODE" "$WORKER"; do
      ok=0
      for _ in $(seq 1 30); do issued kubernetes.io/kubelet-serving "system:node:$n" && ok=1 && break; sleep 1; done
      ((ok)) || fail "no approved and issued serving CSR of $n: $("${K[@]}" get csr)"
    done
    cat >"$T/worker-pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: joined}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: $WORKER}
  containers:
  - {name: c, image: $img, imagePullPolicy: Never, command: ["sh", "-c", "echo hello from $WORKER; sleep 3600"]}
EOF
    "${K[@]}" apply -f "$T/worker-pod.yaml" >/dev/null || fail "create pod on the worker"
    for p in joined installed; do
      ok=0
      for _ in $(seq 1 60); do
        "${K[@]}" logs "$p" >"$T/$p.logs" 2>&1 && ok=1 && break
        sleep 1
      done
      ((ok)) || fail "mkctl logs $p: $(cat "$T/$p.logs")"
    done
    grep -q "hello from $WORKER" "$T/joined.logs" || fail "logs of the pod on the worker: $(cat "$T/joined.logs")"
    say "worker $WORKER joined with bootstrap token $id (install.sh --print-join-command, then its join command):" \
      "client and serving CSRs approved and issued, Ready, its pod's logs served over TLS"
  fi
fi
say "PASS"
