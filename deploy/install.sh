#!/usr/bin/env bash
# Installs mk on a machine (VM) as systemd services: binaries in /usr/local/bin, units in
# /etc/systemd/system, flags in /etc/mk/<unit>.env. Security is on: the apiserver creates its
# CA, certificates and kubeconfigs in /var/lib/mk/apiserver on first start (TLS only, every
# client authenticated); /etc/mk/kubeconfig links to its admin.kubeconfig.
#
#   deploy/install.sh --control-plane [--bind IP]                  # apiserver, scheduler, controller-manager
#   deploy/install.sh --node --apiserver HOST:PORT --kubeconfig FILE --tls-cert-file CRT
#                     --tls-private-key-file KEY [--node-name N] [--node-ip IP]
#                     [--node-labels k=v,..] [--cpu N] [--memory Q] # a kubelet joining HOST:PORT (gRPC)
#     FILE, CRT, KEY: the node's credentials and its HTTPS server's serving certificate (the
#     apiserver fetches logs and stats over TLS and checks the node IP is in it), made on the
#     control plane with
#     mk-kubeconfig --user system:node:N --group system:nodes --server https://CP:6443
#       --grpc-server CP:6444 --out FILE --serving-cert-out CRT --serving-key-out KEY
#       --san NODE_IP,N     (CP must be one of the apiserver's SANs: --bind or its hostname,
#       or add --tls-san to /etc/mk/mk-apiserver.env)
#     --node-ip: the address the node registers (default: this machine's first global IPv4)
#   both flags together: a control-plane machine that is also a node (like minikube's); the
#   node's kubeconfig and serving certificate are then made here once the apiserver is up.
# Common options:
#   --build-dir DIR   where bin/ is (default: build, relative to the repo)
#   --prefix DESTROOT install under DESTROOT instead of / (for packaging and tests); systemctl
#                     enable --now runs only when DESTROOT is / and systemd is running
#   --no-start        never run systemctl
# Existing /etc/mk/*.env files are kept (your edits survive a re-install); --force rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CONTROL=0 NODE=0 START=1 FORCE=0
BUILD=build DEST=/ APISERVER="" BIND=0.0.0.0 NODE_KUBECONFIG=""
NODE_NAME="" NODE_LABELS="" CPU="" MEMORY="" NODE_IP="" NODE_CERT="" NODE_KEY=""
usage() { sed -n '2,30p' "$0" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --control-plane) CONTROL=1 ;;
    --node) NODE=1 ;;
    --apiserver) APISERVER=${2:?}; shift ;;
    --apiserver=*) APISERVER=${1#*=} ;;
    --bind) BIND=${2:?}; shift ;;
    --kubeconfig) NODE_KUBECONFIG=${2:?}; shift ;;
    --node-name) NODE_NAME=${2:?}; shift ;;
    --node-ip) NODE_IP=${2:?}; shift ;;
    --tls-cert-file) NODE_CERT=${2:?}; shift ;;
    --tls-private-key-file) NODE_KEY=${2:?}; shift ;;
    --node-labels) NODE_LABELS=${2:?}; shift ;;
    --cpu) CPU=${2:?}; shift ;;
    --memory) MEMORY=${2:?}; shift ;;
    --build-dir) BUILD=${2:?}; shift ;;
    --prefix) DEST=${2:?}; shift ;;
    --prefix=*) DEST=${1#*=} ;;
    --no-start) START=0 ;;
    --force) FORCE=1 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
  shift
done
((CONTROL || NODE)) || { echo "give --control-plane and/or --node" >&2; usage; }
if ((NODE)) && [[ -z "$APISERVER" ]]; then
  if ((CONTROL)); then APISERVER=127.0.0.1:6444; else
    echo "--node needs --apiserver HOST:PORT (the control plane's gRPC address, port 6444)" >&2
    exit 2
  fi
fi
BIN="$(cd "$BUILD" && pwd)/bin"
DEST=$(mkdir -p "$DEST" && cd "$DEST" && pwd)
R=${DEST%/}  # "" for /

need=()
((CONTROL)) && need+=(mk-apiserver mk-kubeconfig mk-scheduler mk-controller-manager)
((NODE)) && need+=(mk-kubelet mk-pause)
need+=(mkctl)

install -d -m 0755 "$R/usr/local/bin" "$R/etc/systemd/system" "$R/etc/mk" \
  "$R/var/lib/mk" "$R/usr/local/share/doc/mk"
units=()
for b in "${need[@]}"; do
  if [[ ! -x "$BIN/$b" ]]; then
    echo "warning: $BIN/$b not built; skipping it" >&2
    continue
  fi
  install -m 0755 "$BIN/$b" "$R/usr/local/bin/$b"
  if [[ -f "$ROOT/deploy/systemd/$b.service" ]]; then
    install -m 0644 "$ROOT/deploy/systemd/$b.service" "$R/etc/systemd/system/$b.service"
    units+=("$b.service")
  fi
  echo "installed $R/usr/local/bin/$b"
done
install -m 0644 "$ROOT/deploy/README.md" "$R/usr/local/share/doc/mk/README.md"

# write_env UNIT VAR FLAGS — /etc/mk/UNIT.env with VAR="FLAGS" unless it exists (or --force).
write_env() {
  local f="$R/etc/mk/$1.env"
  if [[ -f "$f" ]] && ((!FORCE)); then
    echo "kept $f"
    return
  fi
  cat >"$f" <<EOF
# Flags for $1 (see \`$1 --help\`); read by $1.service. Written by deploy/install.sh.
$2="$3"
EOF
  chmod 0644 "$f"
  echo "wrote $f"
}

if ((CONTROL)); then
  # TLS and authentication are on; still, bind to a private network address (--bind) or
  # firewall ports 6443 (REST) and 6444 (gRPC) to the cluster's machines.
  write_env mk-apiserver MK_APISERVER_FLAGS \
    "--data-dir=/var/lib/mk/apiserver --listen=$BIND:6443 --grpc-listen=$BIND:6444"
  local_grpc=127.0.0.1:6444
  [[ "$BIND" == 0.0.0.0 ]] || local_grpc=$BIND:6444
  write_env mk-scheduler MK_SCHEDULER_FLAGS \
    "--kubeconfig=/var/lib/mk/apiserver/scheduler.kubeconfig --apiserver=$local_grpc --leader-elect"
  write_env mk-controller-manager MK_CONTROLLER_MANAGER_FLAGS \
    "--kubeconfig=/var/lib/mk/apiserver/controller-manager.kubeconfig --apiserver=$local_grpc --leader-elect"
  # The apiserver writes admin.kubeconfig (cluster admin, 0600) on start.
  ln -sfn /var/lib/mk/apiserver/admin.kubeconfig "$R/etc/mk/kubeconfig"
  echo "linked $R/etc/mk/kubeconfig -> /var/lib/mk/apiserver/admin.kubeconfig"
fi

if ((NODE)); then
  # The node IP: what the kubelet registers and the apiserver dials and verifies (a SAN of the
  # serving certificate). Default: the first global IPv4 not on a docker bridge (as mk-kubelet
  # picks without --node-ip).
  if [[ -z "$NODE_IP" ]]; then
    NODE_IP=$(ip -4 -o addr show scope global 2>/dev/null |
      awk '$2 !~ /^docker/ { split($4, a, "/"); print a[1]; exit }')
    NODE_IP=${NODE_IP:-127.0.0.1}
  fi
  flags="--kubeconfig=/etc/mk/kubelet.kubeconfig --apiserver=$APISERVER"
  flags+=" --tls-cert-file=/etc/mk/kubelet.crt --tls-private-key-file=/etc/mk/kubelet.key"
  flags+=" --docker-socket=/var/run/docker.sock --root-dir=/var/lib/mk/kubelet"
  flags+=" --node-ip=$NODE_IP"
  if [[ -n "$NODE_KUBECONFIG" ]]; then
    install -m 0600 "$NODE_KUBECONFIG" "$R/etc/mk/kubelet.kubeconfig"
    echo "installed $R/etc/mk/kubelet.kubeconfig"
  elif ((!CONTROL)) && [[ ! -f "$R/etc/mk/kubelet.kubeconfig" ]]; then
    echo "warning: no --kubeconfig: put the node's kubeconfig in /etc/mk/kubelet.kubeconfig" \
      "before mk-kubelet starts (see --help)" >&2
  fi
  if [[ -n "$NODE_CERT" && -n "$NODE_KEY" ]]; then
    install -m 0644 "$NODE_CERT" "$R/etc/mk/kubelet.crt"
    install -m 0600 "$NODE_KEY" "$R/etc/mk/kubelet.key"
    echo "installed $R/etc/mk/kubelet.crt and kubelet.key"
  elif ((!CONTROL)) && [[ ! -f "$R/etc/mk/kubelet.crt" ]]; then
    echo "warning: no --tls-cert-file/--tls-private-key-file: put the kubelet's serving" \
      "certificate (SAN $NODE_IP) in /etc/mk/kubelet.crt and .key before mk-kubelet starts" >&2
  fi
  [[ -n "$NODE_NAME" ]] && flags+=" --node-name=$NODE_NAME"
  [[ -n "$NODE_LABELS" ]] && flags+=" --node-labels=$NODE_LABELS"
  [[ -n "$CPU" ]] && flags+=" --cpu=$CPU"
  [[ -n "$MEMORY" ]] && flags+=" --memory=$MEMORY"
  # The apiserver on another machine fetches logs from the kubelet: listen on every address
  # (only with a kubelet that has the log server, i.e. --address/--port).
  if grep -q -- '--address' <<<"$("$BIN/mk-kubelet" --help 2>&1)"; then
    flags+=" --address=0.0.0.0 --port=10250"
  fi
  write_env mk-kubelet MK_KUBELET_FLAGS "$flags"
fi

# Shared libraries: the binaries are dynamically linked against Debian 12's packages.
if [[ -z "$R" ]]; then
  for b in "${need[@]}"; do
    [[ -x "/usr/local/bin/$b" ]] || continue
    if ldd "/usr/local/bin/$b" 2>/dev/null | grep -q 'not found'; then
      echo "warning: $b misses shared libraries (run deploy/install-deps.sh or see deploy/README.md):" >&2
      ldd "/usr/local/bin/$b" | grep 'not found' >&2
    fi
  done
fi

if [[ -z "$R" ]] && ((START)) && [[ -d /run/systemd/system ]] && ((${#units[@]})); then
  systemctl daemon-reload
  control=() kubelet=()
  for u in "${units[@]}"; do
    if [[ "$u" == mk-kubelet.service ]]; then kubelet+=("$u"); else control+=("$u"); fi
  done
  ((${#control[@]})) && systemctl enable --now "${control[@]}"
  if ((CONTROL)); then
    for _ in $(seq 1 100); do
      [[ -f /var/lib/mk/apiserver/admin.kubeconfig ]] && break
      sleep 0.2
    done
    if [[ ! -e "$HOME/.mk/config" && -f /var/lib/mk/apiserver/admin.kubeconfig ]]; then
      mkdir -p "$HOME/.mk" && chmod 0700 "$HOME/.mk"
      install -m 0600 /var/lib/mk/apiserver/admin.kubeconfig "$HOME/.mk/config"
    fi
    node=${NODE_NAME:-$(hostname)}
    if ((NODE)) && [[ ! -f /etc/mk/kubelet.kubeconfig ]]; then
      /usr/local/bin/mk-kubeconfig --data-dir=/var/lib/mk/apiserver --user="system:node:$node" \
        --group=system:nodes --out=/etc/mk/kubelet.kubeconfig
    fi
    if ((NODE)) && [[ ! -f /etc/mk/kubelet.crt ]]; then
      /usr/local/bin/mk-kubeconfig --data-dir=/var/lib/mk/apiserver --user="system:node:$node" \
        --group=system:nodes --serving-cert-out=/etc/mk/kubelet.crt \
        --serving-key-out=/etc/mk/kubelet.key --san="$NODE_IP,$node,127.0.0.1,localhost"
    fi
  fi
  ((${#kubelet[@]})) && systemctl enable --now "${kubelet[@]}"
  systemctl --no-pager --lines=0 status "${units[@]}" || true
else
  echo "not starting services (DESTROOT=$DEST, systemd running: $([[ -d /run/systemd/system ]] && echo yes || echo no)); units: ${units[*]}"
fi
