#!/usr/bin/env bash
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
#                             [--server https://HOST:6443] [--grpc-server HOST:6444]
# Prints the token on stdout. The kubeconfig is written 0600 (default ./bootstrap.kubeconfig).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MKCTL=${MKCTL:-$(command -v mkctl || echo "$here/../build/bin/mkctl")}
admin=${MK_KUBECONFIG:-${KUBECONFIG:-$HOME/.mk/config}}
ttl=24h out=bootstrap.kubeconfig server="" grpc_server=""
while (($#)); do
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
    *) echo "bootstrap-token.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -r "$admin" ]] || { echo "bootstrap-token.sh: cannot read the admin kubeconfig $admin" >&2; exit 1; }
case "$ttl" in
  0) seconds=0 ;;
  *h) seconds=$((${ttl%h} * 3600)) ;;
  *m) seconds=$((${ttl%m} * 60)) ;;
  *s) seconds=${ttl%s} ;;
  *) echo "bootstrap-token.sh: --ttl like 24h, 90m or 0 (never expires)" >&2; exit 2 ;;
esac

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
  if ((seconds > 0)); then
    echo "  expiration: \"$(date -u -d "+$seconds seconds" +%Y-%m-%dT%H:%M:%SZ)\""
  fi
} | "$MKCTL" --kubeconfig "$admin" create -f - >/dev/null

# The admin kubeconfig's clusters section (server, CA, gRPC extension), then the token user.
cluster=$(awk '/^contexts:/ { exit } /^  name: / { print $2; exit }' "$admin")
umask 077
tmp=$(mktemp "$out.XXXXXX")
awk '/^contexts:/ { exit } { print }' "$admin" |
  sed -E ${server:+-e "s#^( *)server: https://.*#\\1server: $server#"} \
    ${grpc_server:+-e "s#^( *)server: \"?[^h\"][^\"]*\"?\$#\\1server: \"$grpc_server\"#"} -e '' >"$tmp"
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
echo "$token"
