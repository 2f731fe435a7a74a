# shellcheck shell=bash disable=SC2119,SC2120
# Real Docker engine, private registry and test images for mk's end-to-end tests.
#
#   source tests/e2e/lib/docker-env.sh
#   mk_start_dockerd            # starts /usr/sbin/dockerd unless a daemon already answers
#   mk_start_registry           # docker-registry with htpasswd auth (admin/admin) on 127.0.0.1:5000
#   mk_build_test_images        # FROM-scratch images from busybox-static, pushed to the registry
#   ...
#   mk_stop_registry; mk_stop_dockerd   # stop only what these functions started
#
# Every function is idempotent. State (pid files, logs, registry storage) lives under
# $MK_E2E_STATE (default /tmp/mk-e2e-state), so start and stop may run in different shells.
# Nothing is downloaded: images are built from /bin/busybox and small static C helpers.

MK_E2E_STATE="${MK_E2E_STATE:-/tmp/mk-e2e-state}"
MK_DOCKER_SOCK="${MK_DOCKER_SOCK:-/var/run/docker.sock}"
MK_DOCKER="${MK_DOCKER:-/usr/bin/docker}"
MK_REGISTRY="${MK_REGISTRY:-127.0.0.1:5000}"
MK_REGISTRY_USER="${MK_REGISTRY_USER:-admin}"
MK_REGISTRY_PASSWORD="${MK_REGISTRY_PASSWORD:-admin}"
MK_E2E_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

mk_log() { echo "[docker-env] $*" >&2; }

_mk_docker() { "$MK_DOCKER" -H "unix://$MK_DOCKER_SOCK" "$@"; }

# True when the pid in file $1 is a live process.
_mk_pidfile_alive() {
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

# Waits up to $1 seconds for the command "${@:2}" to succeed.
_mk_wait_for() {
  local secs=$1
  shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.2
  done
}

mk_dockerd_ready() {
  [[ -S "$MK_DOCKER_SOCK" ]] &&
    [[ "$(curl -s -m 3 --unix-socket "$MK_DOCKER_SOCK" http://docker/_ping 2>/dev/null)" == OK ]]
}

# mk_start_dockerd [LOG_DIR] — start dockerd if none answers on $MK_DOCKER_SOCK.
mk_start_dockerd() {
  local logdir="${1:-$MK_E2E_STATE}"
  mkdir -p "$MK_E2E_STATE" "$logdir"
  if mk_dockerd_ready; then
    mk_log "dockerd already answers on $MK_DOCKER_SOCK"
    return 0
  fi
  if _mk_pidfile_alive "$MK_E2E_STATE/dockerd.pid"; then
    mk_log "dockerd (pid $(cat "$MK_E2E_STATE/dockerd.pid")) is starting; waiting"
  else
    local dockerd
    dockerd="$(command -v dockerd || echo /usr/sbin/dockerd)"
    if [[ ! -x "$dockerd" ]]; then
      mk_log "dockerd not found (apt-get install docker.io)"
      return 1
    fi
    mk_log "starting $dockerd (log: $logdir/dockerd.log)"
    # setsid: the daemon must not die with the test script's process group.
    setsid "$dockerd" -H "unix://$MK_DOCKER_SOCK" >>"$logdir/dockerd.log" 2>&1 </dev/null &
    echo $! >"$MK_E2E_STATE/dockerd.pid"
  fi
  if ! _mk_wait_for 60 mk_dockerd_ready; then
    mk_log "dockerd did not become ready; last log lines:"
    tail -n 20 "$logdir/dockerd.log" >&2
    return 1
  fi
  mk_log "dockerd ready"
}

# mk_stop_dockerd — stop dockerd only if mk_start_dockerd started it.
mk_stop_dockerd() {
  local pidfile="$MK_E2E_STATE/dockerd.pid"
  if ! _mk_pidfile_alive "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  mk_log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 40))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      mk_log "dockerd did not stop in 40 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
}

_mk_registry_http_code() {
  curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" "http://$MK_REGISTRY/v2/" 2>/dev/null
}

mk_registry_ready() {
  [[ "$(_mk_registry_http_code -u "$MK_REGISTRY_USER:$MK_REGISTRY_PASSWORD")" == 200 ]] &&
    [[ "$(_mk_registry_http_code)" == 401 ]]
}

# mk_start_registry [DIR] — Debian's docker-registry with htpasswd auth on $MK_REGISTRY.
# DIR (default $MK_E2E_STATE/registry) holds config.yml, htpasswd, storage and the log.
mk_start_registry() {
  local dir="${1:-$MK_E2E_STATE/registry}"
  mkdir -p "$MK_E2E_STATE"
  if mk_registry_ready; then
    mk_log "registry already answers on $MK_REGISTRY"
    return 0
  fi
  if ! _mk_pidfile_alive "$MK_E2E_STATE/registry.pid"; then
    local bin
    bin="$(command -v docker-registry || echo /usr/bin/docker-registry)"
    if [[ ! -x "$bin" ]]; then
      mk_log "docker-registry not found (apt-get install docker-registry)"
      return 1
    fi
    mkdir -p "$dir/storage"
    htpasswd -Bbn "$MK_REGISTRY_USER" "$MK_REGISTRY_PASSWORD" >"$dir/htpasswd"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $MK_REGISTRY
auth:
  htpasswd:
    realm: mk-registry
    path: $dir/htpasswd
EOF
    mk_log "starting $bin on $MK_REGISTRY (log: $dir/registry.log)"
    setsid "$bin" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
    echo $! >"$MK_E2E_STATE/registry.pid"
  fi
  if ! _mk_wait_for 30 mk_registry_ready; then
    mk_log "registry did not become ready; last log lines:"
    tail -n 20 "$dir/registry.log" >&2
    return 1
  fi
  mk_log "registry ready (user $MK_REGISTRY_USER)"
}

# mk_stop_registry — stop the registry only if mk_start_registry started it.
mk_stop_registry() {
  local pidfile="$MK_E2E_STATE/registry.pid"
  if _mk_pidfile_alive "$pidfile"; then
    local pid
    pid="$(cat "$pidfile")"
    mk_log "stopping registry (pid $pid)"
    kill -TERM "$pid"
    _mk_wait_for 10 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
}

# _mk_busybox_rootfs DIR — a minimal root filesystem: /bin/busybox and a symlink per applet.
_mk_busybox_rootfs() {
  local root=$1
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,www,root,proc,sys,dev,var/log}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
    >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# _mk_import ROOTFS IMAGE CHANGE... — tar ROOTFS and `docker import` it as IMAGE.
_mk_import() {
  local root=$1 image=$2
  shift 2
  local args=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  local c
  for c in "$@"; do args+=(--change "$c"); done
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
    _mk_docker import "${args[@]}" - "$image" >/dev/null
}

# mk_build_test_images — build (if missing) and push the e2e images:
#   mk-busybox:1 (local, CMD sh), $MK_REGISTRY/busybox:1, $MK_REGISTRY/photo-view:v1.0 and
#   :v2.0 (busybox httpd on :80 serving /www, page names its version),
#   $MK_REGISTRY/liveness:1 (/server: /healthz 200 for 10 s, then 500, on :8080),
#   $MK_REGISTRY/stress:1 (stress --vm 1 --vm-bytes 500M allocates and holds memory).
# Set MK_REBUILD_IMAGES=1 to rebuild existing ones. Logs out afterwards, so pulls from the
# registry need credentials.
mk_build_test_images() {
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/mk-images.XXXXXX")" || return 1
  local rc=0
  _mk_build_test_images "$work" || rc=$?
  rm -rf "$work"
  return $rc
}

_mk_image_exists() { _mk_docker image inspect "$1" >/dev/null 2>&1; }

_mk_build_test_images() {
  local work=$1
  local rebuild="${MK_REBUILD_IMAGES:-0}"
  if [[ "$rebuild" == 1 ]] || ! _mk_image_exists mk-busybox:1; then
    mk_log "building mk-busybox:1 from /bin/busybox"
    _mk_busybox_rootfs "$work/busybox" || return 1
    _mk_import "$work/busybox" mk-busybox:1 'CMD ["sh"]' || return 1
  fi
  local v
  for v in v1.0 v2.0; do
    if [[ "$rebuild" == 1 ]] || ! _mk_image_exists "$MK_REGISTRY/photo-view:$v"; then
      mk_log "building $MK_REGISTRY/photo-view:$v"
      rm -rf "${work:?}/photo"
      _mk_busybox_rootfs "$work/photo" || return 1
      printf '<html><body><h1>photo-view %s</h1></body></html>\n' "$v" >"$work/photo/www/index.html"
      echo "$v" >"$work/photo/www/version"
      _mk_import "$work/photo" "$MK_REGISTRY/photo-view:$v" 'EXPOSE 80' \
        'CMD ["httpd","-f","-v","-p","80","-h","/www"]' || return 1
    fi
  done
  local helper
  for helper in liveness stress; do
    if [[ "$rebuild" == 1 ]] || ! _mk_image_exists "$MK_REGISTRY/$helper:1"; then
      mk_log "building $MK_REGISTRY/$helper:1"
      rm -rf "${work:?}/$helper"
      _mk_busybox_rootfs "$work/$helper" || return 1
      gcc -static -O2 -o "$work/$helper/bin/$helper" "$MK_E2E_LIB_DIR/$helper.c" || return 1
      if [[ $helper == liveness ]]; then
        cp "$work/$helper/bin/liveness" "$work/$helper/server"
        _mk_import "$work/$helper" "$MK_REGISTRY/liveness:1" 'EXPOSE 8080' 'CMD ["/server"]' ||
          return 1
      else
        ln -sf ../../bin/stress "$work/$helper/usr/bin/stress"
        _mk_import "$work/$helper" "$MK_REGISTRY/stress:1" \
          'CMD ["stress","--vm","1","--vm-bytes","500M","--vm-hang","1"]' || return 1
      fi
    fi
  done
  _mk_docker tag mk-busybox:1 "$MK_REGISTRY/busybox:1" || return 1

  mk_log "pushing to $MK_REGISTRY"
  local out
  if ! out="$(echo "$MK_REGISTRY_PASSWORD" |
    _mk_docker login "$MK_REGISTRY" -u "$MK_REGISTRY_USER" --password-stdin 2>&1)"; then
    mk_log "docker login $MK_REGISTRY failed: $out"
    return 1
  fi
  local rc=0 image
  for image in busybox:1 photo-view:v1.0 photo-view:v2.0 liveness:1 stress:1; do
    _mk_docker push "$MK_REGISTRY/$image" >/dev/null || {
      mk_log "push of $MK_REGISTRY/$image failed"
      rc=1
    }
  done
  _mk_docker logout "$MK_REGISTRY" >/dev/null
  ((rc == 0)) && mk_log "images ready: mk-busybox:1 and $MK_REGISTRY/{busybox:1,photo-view:v1.0,photo-view:v2.0,liveness:1,stress:1}"
  return $rc
}

# mk_docker_env_up — all of the above, for CI: dockerd, registry, images.
mk_docker_env_up() {
  mk_start_dockerd && mk_start_registry && mk_build_test_images
}

# mk_docker_env_down — stop what mk_docker_env_up started.
mk_docker_env_down() {
  mk_stop_registry
  mk_stop_dockerd
}
