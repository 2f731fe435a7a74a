#!/usr/bin/env bash
# Builds the images of the docker-compose demo (deploy/docker-compose.yml) with no registry
# access — nothing is pulled:
#   mk/daemons:dev   FROM scratch: bin/mk-apiserver, mk-scheduler, mk-controller-manager,
#                    mk-kubelet, mkctl, mk-kubeconfig, mk-pause (whichever BUILD_DIR/bin has), exactly the
#                    shared libraries they load (ldd, dynamic loader included, paths kept),
#                    the CA bundle, busybox (the node entrypoint is a one-line sh script),
#                    mk-node-name (deploy/node-name.c: the node's stable name) and
#                    mk-bootstrap-token (deploy/bootstrap-token.sh: the demo's join token)
#   mk/registry:dev  FROM scratch: Debian's /usr/bin/docker-registry + its libraries, with
#                    htpasswd auth ($MK_REGISTRY_USER/$MK_REGISTRY_PASSWORD, default admin/admin)
#   workload images  127.0.0.1:$MK_REGISTRY_PORT/{busybox:1,photo-view:v1.0,photo-view:v2.0,
#                    liveness:1,stress:1} from busybox-static (tests/e2e/lib/docker-env.sh),
#                    pushed into the demo's registry: its compose service is started for that
#                    (its storage is the named volume the demo keeps using).
# Usage: deploy/build-images.sh [BUILD_DIR]   (default: build)
#   --no-workloads   only the two images above, no registry started, nothing pushed
#   --debian         mk/daemons from deploy/Dockerfile.debian (FROM debian:12-slim + apt-get:
#                    needs Docker Hub and Debian mirrors) instead of FROM scratch
# Environment: COMPOSE_PROJECT_NAME, MK_REGISTRY_PORT (default 5000), MK_IMAGE_TAG (dev).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

WORKLOADS=1
DEBIAN=0
BUILD=build
for a in "$@"; do
  case "$a" in
    --no-workloads) WORKLOADS=0 ;;
    --debian) DEBIAN=1 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "unknown option $a" >&2; exit 2 ;;
    *) BUILD=$a ;;
  esac
done
BUILD=$(cd "$BUILD" && pwd)
BIN="$BUILD/bin"
TAG=${MK_IMAGE_TAG:-dev}
REG_USER=${MK_REGISTRY_USER:-admin}
REG_PASSWORD=${MK_REGISTRY_PASSWORD:-admin}
DOCKER=${MK_DOCKER:-docker}

log() { echo "[build-images] $*" >&2; }

[[ -x "$BIN/mk-apiserver" ]] || { log "no $BIN/mk-apiserver: build first (ninja -C $BUILD mk-apiserver mkctl)"; exit 1; }
"$DOCKER" info >/dev/null 2>&1 || {
  log "no Docker engine answers (source tests/e2e/lib/docker-env.sh && mk_start_dockerd)"
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mk-build-images.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# add_with_libs ROOTFS FILE DEST — copies FILE to ROOTFS/DEST and every shared library ldd
# lists for it (and the dynamic loader) to the same absolute path inside ROOTFS.
add_with_libs() {
  local root=$1 file=$2 dest=$3
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$file" "$root$dest"
  local lib
  # ldd lines: "libx.so => /path (0x..)", "/lib64/ld-linux-x86-64.so.2 (0x..)", "linux-vdso..".
  while read -r lib; do
    [[ -n "$lib" && -e "$lib" ]] || continue
    [[ -e "$root$lib" ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(ldd "$file" 2>/dev/null | awk '/=>/ { print $3; next } /^[ \t]*\// { print $1 }')
}

# import ROOTFS IMAGE CHANGE... — tars ROOTFS and imports it as IMAGE (FROM scratch).
import() {
  local root=$1 image=$2
  shift 2
  local args=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  local c
  for c in "$@"; do args+=(--change "$c"); done
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . | "$DOCKER" import "${args[@]}" - "$image" >/dev/null
  log "built $image ($("$DOCKER" image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.1f MB", $1 / 1e6 }'))"
}

base_rootfs() {
  local root=$1
  mkdir -p "$root"/{bin,etc,tmp,root,var/lib,run}
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    mkdir -p "$root/etc/ssl/certs"
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  fi
}

# --- mk/daemons ------------------------------------------------------------------------------
if ((DEBIAN)); then
  mkdir -p "$WORK/ctx/bin"
  for b in mk-apiserver mk-kubeconfig mk-scheduler mk-controller-manager mk-kubelet mkctl mk-pause; do
    [[ -x "$BIN/$b" ]] && cp "$BIN/$b" "$WORK/ctx/bin/"
  done
  gcc -static -O2 -o "$WORK/ctx/bin/mk-node-name" "$ROOT/deploy/node-name.c"
  install -m 0755 "$ROOT/deploy/bootstrap-token.sh" "$WORK/ctx/bin/mk-bootstrap-token"
  "$DOCKER" build -f "$ROOT/deploy/Dockerfile.debian" -t "mk/daemons:$TAG" "$WORK/ctx" >&2
fi
D="$WORK/daemons"
base_rootfs "$D"
found=()
for b in mk-apiserver mk-kubeconfig mk-scheduler mk-controller-manager mk-kubelet mkctl mk-pause; do
  if [[ -x "$BIN/$b" ]]; then
    add_with_libs "$D" "$BIN/$b" "/bin/$b"
    found+=("$b")
  fi
done
# mk-node-name: the node containers' stable name (deploy/node-name.c, static).
if command -v gcc >/dev/null && gcc -static -O2 -o "$WORK/mk-node-name" "$ROOT/deploy/node-name.c"; then
  install -m 0755 "$WORK/mk-node-name" "$D/bin/mk-node-name"
  found+=(mk-node-name)
else
  log "warning: no gcc -static: node names will be container ids (they change when a node container is recreated)"
fi
# mk-bootstrap-token: creates the node-join token (POSIX sh, runs on busybox).
install -m 0755 "$ROOT/deploy/bootstrap-token.sh" "$D/bin/mk-bootstrap-token"
found+=(mk-bootstrap-token)
# busybox (static) for the entrypoints' sh, hostname and ip, and for `docker exec ... sh`.
cp /bin/busybox "$D/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ -e "$D/bin/$applet" ]] || ln -s busybox "$D/bin/$applet"
done
mkdir -p "$D/var/lib/mk"
if ((!DEBIAN)); then
  import "$D" "mk/daemons:$TAG" "LABEL org.opencontainers.image.title=mk-daemons" \
    "LABEL mk.binaries=$(IFS=,; echo "${found[*]}")" 'CMD ["mk-apiserver","--help"]'
fi
log "mk/daemons:$TAG holds: ${found[*]}"

# --- mk/registry -----------------------------------------------------------------------------
R="$WORK/registry"
base_rootfs "$R"
REGISTRY_BIN=$(command -v docker-registry || echo /usr/bin/docker-registry)
[[ -x "$REGISTRY_BIN" ]] || { log "docker-registry not found (apt-get install docker-registry)"; exit 1; }
add_with_libs "$R" "$REGISTRY_BIN" /usr/bin/docker-registry
mkdir -p "$R/etc/docker/registry" "$R/var/lib/registry"
htpasswd -Bbn "$REG_USER" "$REG_PASSWORD" >"$R/etc/docker/registry/htpasswd"
cat >"$R/etc/docker/registry/config.yml" <<'EOF'
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: 0.0.0.0:5000
auth:
  htpasswd:
    realm: mk-registry
    path: /etc/docker/registry/htpasswd
EOF
import "$R" "mk/registry:$TAG" 'EXPOSE 5000' 'VOLUME ["/var/lib/registry"]' \
  'ENTRYPOINT ["/usr/bin/docker-registry"]' 'CMD ["serve","/etc/docker/registry/config.yml"]'

((WORKLOADS)) || exit 0

# --- workload images, pushed into the demo's registry ----------------------------------------
export MK_REGISTRY="127.0.0.1:${MK_REGISTRY_PORT:-5000}"
export MK_REGISTRY_USER="$REG_USER" MK_REGISTRY_PASSWORD="$REG_PASSWORD"
# shellcheck source=tests/e2e/lib/docker-env.sh
source "$ROOT/tests/e2e/lib/docker-env.sh"
if ! mk_registry_ready; then
  log "starting the demo's registry service on $MK_REGISTRY"
  docker-compose -f "$ROOT/deploy/docker-compose.yml" up -d registry >&2
  for _ in $(seq 1 150); do mk_registry_ready && break; sleep 0.2; done
  mk_registry_ready || {
    log "registry on $MK_REGISTRY did not answer with auth; docker-compose logs registry:"
    docker-compose -f "$ROOT/deploy/docker-compose.yml" logs --tail 20 registry >&2
    exit 1
  }
fi
mk_build_test_images
log "done: docker-compose -f deploy/docker-compose.yml up -d"
