#!/bin/sh
# Creates a bootstrap token for joining nodes, as `kubeadm token create`: the Secret
# kube-system/bootstrap-token-<id> (type bootstrap.kubernetes.io/token, usable for
# authentication only, expiring after --ttl) and a bootstrap kubeconfig holding the token
# with the cluster's server addresses and CA. A kubelet started with
#   mk-kubelet --bootstrap-kubeconfig FILE --kubeconfig /etc/mk/kubelet.kubeconfig ...
# submits a CSR with it; the controller-manager approves and signs it, and the kubelet
# continues as system:node:<name>. The token can do nothing else (create/read CSRs only);
# delete the Secret to revoke it.
#
#   deploy/bootstrap-token.sh [--kubeconfig ADMIN] [--ttl 24h|90m|0] [--out FILE]
#                             [--server https://HOST:6443] [--grpc-server HOST:6444] [--replace]
# Prints the token on stdout. The kubeconfig is written 0600 (default ./bootstrap.kubeconfig).
# --server/--grpc-server: the addresses the joining nodes reach (default: the admin
# kubeconfig's); the REST host must be one of the apiserver's certificate names (--tls-san).
# --replace: when FILE already holds a token, revoke it (delete its Secret) once the new one is
# written — the docker-compose demo rotates its token so on every `up`.
# POSIX sh: the demo's FROM-scratch image runs it with busybox (as mk-bootstrap-token).
set -eu
# shellcheck disable=SC3040 # pipefail where the shell has it (bash, busybox ash, dash >= 0.5.12)
(set -o pipefail) 2>/dev/null && set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
MKCTL=${MKCTL:-$(command -v mkctl || echo "$here/../build/bin/mkctl")}
admin=${MK_KUBECONFIG:-${KUBECONFIG:-${HOME:-/root}/.mk/config}}
ttl=24h out=bootstrap.kubeconfig server="" grpc_server="" replace=0
die() {
  echo "bootstrap-token.sh: $*" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) admin=${2:?}; shift ;;
    --kubeconfig=*) admin=${1#*=} ;;
    --ttl) ttl=${2:?}; shift ;;
    --ttl=*) ttl=${1#*=} ;;
    --out) out=${2:?}; shift ;;
    --out=*) out=${1#*=} ;;
    --server) server=${2:?}; shift ;;
    --server=*) server=${1#*=} ;;
    --grpc-server) grpc_server=${2:?}; shift ;;
    --grpc-server=*) grpc_server=${1#*=} ;;
    --replace) replace=1 ;;
    *) die "unknown argument $1" ;;
  esac
  shift
done
[ -r "$admin" ] || { echo "bootstrap-token.sh: cannot read the admin kubeconfig $admin" >&2; exit 1; }
n=${ttl%?} unit=1
case "$ttl" in
  0) n=0 ;;
  *h) unit=3600 ;;
  *m) unit=60 ;;
  *s) ;;
  *) n=x ;;
esac
case "$n" in '' | *[!0-9]*) die "--ttl like 24h, 90m or 0 (never expires)" ;; esac
seconds=$((n * unit))

# The token in FILE, if any (its id: the Secret to delete with --replace).
old_id=""
if [ "$replace" = 1 ] && [ -f "$out" ]; then
  old_id=$(sed -n 's/^ *token: \([a-z0-9]\{6\}\)\.[a-z0-9]\{16\}$/\1/p' "$out")
fi

hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
id=$(hex 3)      # [a-z0-9]{6}
secret=$(hex 8)  # [a-z0-9]{16}
token="$id.$secret"
{
  cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: bootstrap-token-$id
  namespace: kube-system
type: bootstrap.kubernetes.io/token
stringData:
  description: "mk node join token (deploy/bootstrap-token.sh)"
  token-id: "$id"
  token-secret: "$secret"
  usage-bootstrap-authentication: "true"
  auth-extra-groups: "system:bootstrappers:mk:default-node-token"
YAML
  if [ "$seconds" -gt 0 ]; then
    echo "  expiration: \"$(date -u -d "@$(($(date +%s) + seconds))" +%Y-%m-%dT%H:%M:%SZ)\""
  fi
} | "$MKCTL" --kubeconfig "$admin" create -f - >/dev/null

# The admin kubeconfig's clusters section (server, CA, gRPC extension), then the token user.
cluster=$(awk '/^contexts:/ { exit } /^  name: / { print $2; exit }' "$admin")
umask 077
tmp=$(mktemp "$out.XXXXXX")
awk '/^contexts:/ { exit } { print }' "$admin" >"$tmp"
if [ -n "$server" ]; then
  sed -i -E "s#^( *)server: https://.*#\\1server: $server#" "$tmp"
fi
if [ -n "$grpc_server" ]; then
  sed -i -E "s#^( *)server: \"?[^h\"][^\"]*\"?\$#\\1server: \"$grpc_server\"#" "$tmp"
fi
cat >>"$tmp" <<YAML
contexts:
- context:
    cluster: ${cluster:-mk}
    user: kubelet-bootstrap
  name: kubelet-bootstrap@${cluster:-mk}
current-context: kubelet-bootstrap@${cluster:-mk}
kind: Config
preferences: {}
users:
- name: kubelet-bootstrap
  user:
    token: $token
YAML
mv "$tmp" "$out"
if [ -n "$old_id" ] && [ "$old_id" != "$id" ]; then
  "$MKCTL" --kubeconfig "$admin" -n kube-system delete secret "bootstrap-token-$old_id" \
    --ignore-not-found >/dev/null
  echo "bootstrap-token.sh: revoked the previous token $old_id" >&2
fi
echo "$token"
