#!/usr/bin/env bash
# Prints the admin kubeconfig of the docker-compose demo (written by its apiserver into its
# data volume), pointed at the REST port published on this host (MK_REST_PORT, default 6443):
#   deploy/compose-kubeconfig.sh > ~/.mk/config && chmod 600 ~/.mk/config && mkctl get nodes
# It holds cluster-admin credentials: keep the file private.
set -euo pipefail
cd "$(dirname "$0")/.."
docker-compose -f deploy/docker-compose.yml exec -T apiserver \
  cat /var/lib/mk/apiserver/admin.kubeconfig |
  sed -E "s#server: https://127\.0\.0\.1:[0-9]+#server: https://127.0.0.1:${MK_REST_PORT:-6443}#"
