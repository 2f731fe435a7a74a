#!/usr/bin/env bash
# Installs mk on a machine (VM) as systemd services: binaries in /usr/local/bin, units in
# /etc/systemd/system, flags in /etc/mk/<unit>.env. Security is on: the apiserver creates its
# CA, certificates and kubeconfigs in /var/lib/mk/apiserver on first start (TLS only, every
# client authenticated); /etc/mk/kubeconfig links to its admin.kubeconfig. Nodes join with a
# bootstrap token, as kubeadm's do (TLS bootstrap).
#
#   deploy/install.sh --control-plane [--bind IP] [--advertise-address IP]
#       apiserver, scheduler, controller-manager (which approves and signs the nodes' CSRs).
#       --advertise-address: the address nodes reach it at (default: --bind, or this machine's
#       first global IPv4); it is added to the apiserver's certificate (--tls-san). Once the
#       services run, prints the join command, as `kubeadm init` does.
#   deploy/install.sh --print-join-command [--ttl 24h] [--advertise-address IP]
#       on the control plane, as `kubeadm token create --print-join-command`: a new bootstrap
#       token (Secret kube-system/bootstrap-token-<id>, valid --ttl; 0 = never expires) in
#       /etc/mk/join/bootstrap-<id>.kubeconfig, and the command to run on a node with that file.
#       MK_KUBECONFIG: the admin kubeconfig (default /var/lib/mk/apiserver/admin.kubeconfig).
#   deploy/install.sh --node --bootstrap-kubeconfig FILE [--node-name N] [--node-ip IP]
#                     [--node-labels k=v,..] [--cpu N] [--memory Q] [--apiserver HOST:PORT]
#       a kubelet that joins with the token in FILE (copied from the control plane): it
#       submits a CSR, the controller-manager signs it, and the kubelet writes its own
#       /etc/mk/kubelet.kubeconfig (system:node:N); its HTTPS server's certificate (logs,
#       stats) comes by a second CSR naming --node-ip (default: this machine's first global
#       IPv4), the InternalIP it registers. --apiserver overrides the gRPC address in FILE.
#       Instead of a token: --kubeconfig FILE, credentials issued beforehand on the control
#       plane with mk-kubeconfig (and optionally --tls-cert-file CRT --tls-private-key-file KEY).
#   --control-plane --node together: a control-plane machine that is also a node (like
#   minikube's). Its kubeconfig is made here with mk-kubeconfig once the apiserver is up (this
#   machine owns the CA, as kubeadm init writes kubelet.conf); its serving certificate comes by CSR.
# Common options:
#   --build-dir DIR   where bin/ is (default: build, relative to the repo)
#   --prefix DESTROOT install under DESTROOT instead of / (for packaging and tests); systemctl
#                     enable --now runs only when DESTROOT is / and systemd is running
#   --no-start        never run systemctl
# Existing /etc/mk/*.env files are kept (your edits survive a re-install); --force rewrites them.
set -euo pipefail
CWD=$(pwd)
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# A file argument, relative to where install.sh was run.
file_arg() { case "$1" in /*) echo "$1" ;; *) echo "$CWD/$1" ;; esac; }

CONTROL=0 NODE=0 JOIN=0 START=1 FORCE=0
BUILD=build DEST=/ APISERVER="" BIND=0.0.0.0 ADVERTISE="" TTL=24h NODE_KUBECONFIG=""
NODE_BOOTSTRAP="" NODE_NAME="" NODE_LABELS="" CPU="" MEMORY="" NODE_IP="" NODE_CERT="" NODE_KEY=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2; }
while (($#)); do
  case "$1" in
    --control-plane) CONTROL=1 ;;
    --node) NODE=1 ;;
    --print-join-command) JOIN=1 ;;
    --apiserver) APISERVER=${2:?}; shift ;;
    --apiserver=*) APISERVER=${1#*=} ;;
    --bind) BIND=${2:?}; shift ;;
    --advertise-address) ADVERTISE=${2:?}; shift ;;
    --ttl) TTL=${2:?}; shift ;;
    --bootstrap-kubeconfig) NODE_BOOTSTRAP=$(file_arg "${2:?}"); shift ;;
    --kubeconfig) NODE_KUBECONFIG=$(file_arg "${2:?}"); shift ;;
    --node-name) NODE_NAME=${2:?}; shift ;;
    --node-ip) NODE_IP=${2:?}; shift ;;
    --tls-cert-file) NODE_CERT=$(file_arg "${2:?}"); shift ;;
    --tls-private-key-file) NODE_KEY=$(file_arg "${2:?}"); shift ;;
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
((CONTROL || NODE || JOIN)) || { echo "give --control-plane, --node or --print-join-command" >&2; usage; }
BIN=""
[[ -d "$BUILD/bin" ]] && BIN="$(cd "$BUILD/bin" && pwd)"
DEST=$(mkdir -p "$DEST" && cd "$DEST" && pwd)
R=${DEST%/}  # "" for /

# The first global IPv4 not on a docker bridge (as mk-kubelet picks without --node-ip).
first_ip() {
  ip -4 -o addr show scope global 2>/dev/null |
    awk '$2 !~ /^(docker|br-)/ { split($4, a, "/"); print a[1]; exit }'
}

# print_join — a new bootstrap token in /etc/mk/join/bootstrap-<id>.kubeconfig, pointing at
# the advertise address with the admin kubeconfig's ports, and the node's join command.
print_join() {
  local admin=${MK_KUBECONFIG:-$R/var/lib/mk/apiserver/admin.kubeconfig}
  local env="$R/etc/mk/mk-apiserver.env" dir="$R/etc/mk/join"
  local adv=$ADVERTISE rest grpc tool mkctl token id expires=$TTL
  [[ -r "$admin" ]] || { echo "no admin kubeconfig $admin (is the apiserver running?)" >&2; return 1; }
  # The advertise address install.sh gave the apiserver (its first --tls-san), else its
  # --listen host, else this machine's address.
  if [[ -z "$adv" && -f "$env" ]]; then
    adv=$(grep -oE -- '--tls-san=[^ ,"]+' "$env" | head -n1 | cut -d= -f2)
    [[ -n "$adv" ]] || adv=$(grep -oE -- '--listen=[^ :"]+' "$env" | head -n1 | cut -d= -f2)
  fi
  [[ -n "$adv" && "$adv" != 0.0.0.0 ]] || adv=$(first_ip)
  rest=$(sed -nE 's#^ *server: https://.*:([0-9]+)/?$#\1#p' "$admin" | head -n1)
  grpc=$(sed -nE 's#^ *server: "?[^h"][^"]*:([0-9]+)"?$#\1#p' "$admin" | head -n1)
  tool="$R/usr/local/bin/mk-bootstrap-token"
  [[ -x "$tool" ]] || tool="$ROOT/deploy/bootstrap-token.sh"
  mkctl="$R/usr/local/bin/mkctl"
  [[ -x "$mkctl" ]] || mkctl=${BIN:+$BIN/mkctl}
  [[ -x "$mkctl" ]] || mkctl=$(command -v mkctl) || { echo "no mkctl" >&2; return 1; }
  install -d -m 0700 "$dir"
  token=$(MKCTL="$mkctl" "$tool" --kubeconfig "$admin" --ttl "$TTL" --out "$dir/new.kubeconfig" \
    --server "https://$adv:${rest:-6443}" --grpc-server "$adv:${grpc:-6444}") || return 1
  id=${token%%.*}
  mv "$dir/new.kubeconfig" "$dir/bootstrap-$id.kubeconfig"
  [[ "$TTL" == 0 ]] && expires=never
  cat <<EOF
Bootstrap token $id to join nodes to https://$adv:${rest:-6443} (expires in: $expires;
revoke: mkctl -n kube-system delete secret bootstrap-token-$id).
Copy $dir/bootstrap-$id.kubeconfig to each node that joins (scp: it holds the token), then run there:

  deploy/install.sh --node --bootstrap-kubeconfig bootstrap-$id.kubeconfig

EOF
}

if ((JOIN && !CONTROL && !NODE)); then
  print_join
  exit
fi
if ((NODE && !CONTROL)) && [[ -z "$NODE_BOOTSTRAP$NODE_KUBECONFIG" ]] &&
  [[ ! -f "$R/etc/mk/kubelet.kubeconfig" && ! -f "$R/etc/mk/bootstrap-kubelet.kubeconfig" ]]; then
  echo "--node needs --bootstrap-kubeconfig FILE: run 'deploy/install.sh --print-join-command'" \
    "on the control plane and copy the file it names here" >&2
  exit 2
fi
if [[ -n "$NODE_BOOTSTRAP" ]]; then
  # A bootstrap kubeconfig holds a token and no client key (not, say, the admin kubeconfig).
  if ! grep -qE '^ *token: [a-z0-9]{6}\.[a-z0-9]{16}$' "$NODE_BOOTSTRAP" ||
    grep -q 'client-key-data:' "$NODE_BOOTSTRAP"; then
    echo "--bootstrap-kubeconfig $NODE_BOOTSTRAP: not a bootstrap kubeconfig (a bootstrap" \
      "token and no client key, as --print-join-command writes)" >&2
    exit 2
  fi
fi
[[ -n "$BIN" ]] || { echo "no $BUILD/bin: build first (or give --build-dir)" >&2; exit 1; }
local_grpc=127.0.0.1:6444
[[ "$BIND" == 0.0.0.0 ]] || local_grpc=$BIND:6444
((CONTROL && NODE)) && [[ -z "$APISERVER" ]] && APISERVER=$local_grpc

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
if ((CONTROL)); then
  # `kubeadm token create` for this cluster (deploy/bootstrap-token.sh).
  install -m 0755 "$ROOT/deploy/bootstrap-token.sh" "$R/usr/local/bin/mk-bootstrap-token"
  echo "installed $R/usr/local/bin/mk-bootstrap-token"
fi
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
  if [[ -z "$ADVERTISE" && "$BIND" != 0.0.0.0 ]]; then ADVERTISE=$BIND; fi
  [[ -n "$ADVERTISE" ]] || ADVERTISE=$(first_ip)
  aflags="--data-dir=/var/lib/mk/apiserver --listen=$BIND:6443 --grpc-listen=$BIND:6444"
  # The address the nodes join at must be in its serving certificate.
  [[ -n "$ADVERTISE" ]] && aflags+=" --tls-san=$ADVERTISE"
  write_env mk-apiserver MK_APISERVER_FLAGS "$aflags"
  write_env mk-scheduler MK_SCHEDULER_FLAGS \
    "--kubeconfig=/var/lib/mk/apiserver/scheduler.kubeconfig --apiserver=$local_grpc --leader-elect"
  # The controller-manager's flags, one a line. It approves and signs the nodes' CSRs with the
  # cluster CA (kubelet serving certificates with their own CA).
  cm_flags=(
    --kubeconfig=/var/lib/mk/apiserver/controller-manager.kubeconfig
    --apiserver="$local_grpc"
    --leader-elect
    --cluster-signing-cert-file=/var/lib/mk/apiserver/pki/ca.crt
    --cluster-signing-key-file=/var/lib/mk/apiserver/pki/ca.key
    --cluster-signing-kubelet-serving-cert-file=/var/lib/mk/apiserver/pki/kubelet-serving-ca.crt
    --cluster-signing-kubelet-serving-key-file=/var/lib/mk/apiserver/pki/kubelet-serving-ca.key
  )
  write_env mk-controller-manager MK_CONTROLLER_MANAGER_FLAGS "${cm_flags[*]}"
  grep -q -- --cluster-signing-cert-file "$R/etc/mk/mk-controller-manager.env" ||
    echo "warning: $R/etc/mk/mk-controller-manager.env (kept) lacks --cluster-signing-cert-file" \
      "and --cluster-signing-key-file: no node can join until you add them (or use --force)" >&2
  # The apiserver writes admin.kubeconfig (cluster admin, 0600) on start.
  ln -sfn /var/lib/mk/apiserver/admin.kubeconfig "$R/etc/mk/kubeconfig"
  echo "linked $R/etc/mk/kubeconfig -> /var/lib/mk/apiserver/admin.kubeconfig"
fi

if ((NODE)); then
  # The node IP: what the kubelet registers, names in its serving certificate's CSR (the
  # controller-manager signs only the Node's addresses) and the apiserver dials.
  if [[ -z "$NODE_IP" ]]; then
    NODE_IP=$(first_ip)
    NODE_IP=${NODE_IP:-127.0.0.1}
  fi
  flags="--kubeconfig=/etc/mk/kubelet.kubeconfig"
  # A joining node bootstraps with the token while /etc/mk/kubelet.kubeconfig is missing (or
  # its certificate unusable); the control plane's own node gets its kubeconfig below.
  ((CONTROL)) || flags+=" --bootstrap-kubeconfig=/etc/mk/bootstrap-kubelet.kubeconfig"
  [[ -n "$APISERVER" ]] && flags+=" --apiserver=$APISERVER"
  flags+=" --docker-socket=/var/run/docker.sock --root-dir=/var/lib/mk/kubelet"
  flags+=" --node-ip=$NODE_IP"
  if [[ -n "$NODE_BOOTSTRAP" ]]; then
    install -m 0600 "$NODE_BOOTSTRAP" "$R/etc/mk/bootstrap-kubelet.kubeconfig"
    echo "installed $R/etc/mk/bootstrap-kubelet.kubeconfig"
  fi
  if [[ -n "$NODE_KUBECONFIG" ]]; then
    install -m 0600 "$NODE_KUBECONFIG" "$R/etc/mk/kubelet.kubeconfig"
    echo "installed $R/etc/mk/kubelet.kubeconfig"
  fi
  # Without a certificate of its own the kubelet's HTTPS server gets one by a kubelet-serving
  # CSR (kept in /var/lib/mk/kubelet/pki).
  if [[ -n "$NODE_CERT" && -n "$NODE_KEY" ]]; then
    install -m 0644 "$NODE_CERT" "$R/etc/mk/kubelet.crt"
    install -m 0600 "$NODE_KEY" "$R/etc/mk/kubelet.key"
    echo "installed $R/etc/mk/kubelet.crt and kubelet.key"
    flags+=" --tls-cert-file=/etc/mk/kubelet.crt --tls-private-key-file=/etc/mk/kubelet.key"
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
  fi
  ((${#kubelet[@]})) && systemctl enable --now "${kubelet[@]}"
  systemctl --no-pager --lines=0 status "${units[@]}" || true
  if ((CONTROL)); then
    # As kubeadm init: the command that joins a node (retried while the apiserver starts).
    joined=0
    for _ in $(seq 1 20); do
      print_join 2>/dev/null && joined=1 && break
      sleep 0.5
    done
    ((joined)) || echo "no join token yet: run deploy/install.sh --print-join-command later" >&2
  fi
else
  echo "not starting services (DESTROOT=$DEST, systemd running: $([[ -d /run/systemd/system ]] && echo yes || echo no)); units: ${units[*]}"
  if ((CONTROL)); then
    echo "once the apiserver runs: deploy/install.sh --print-join-command${R:+ --prefix $DEST}"
  fi
fi
