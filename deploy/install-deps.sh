#!/usr/bin/env bash
# Installs everything mk needs to build, test and run, from Debian 12 packages. Idempotent:
# packages already present are not reinstalled.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build ccache pkg-config clang-format clang libclang-rt-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libyaml-cpp-dev libboost-dev librocksdb-dev libcpp-httplib-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libssl-dev
  docker.io docker-registry docker-compose apache2-utils busybox-static
  curl jq procps iproute2
)
# The stock kubectl (used by a compatibility test): Debian's kubernetes-client if none.
command -v kubectl >/dev/null 2>&1 || PKGS+=(kubernetes-client)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
