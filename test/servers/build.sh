#!/usr/bin/env bash
# Builds the test servers the e2e tests run against — a real kube-apiserver and the etcd it pins —
# from Go modules, into a cache outside the repository. Rebuilds only what is missing.
#
#   test/servers/build.sh            # prints the bin dir on stdout when done
#   MERIDIAN_TEST_SERVERS=/some/dir  # cache root (default /var/cache/meridian/test-servers)
#
# Go is used here only to build these test servers; the product is TypeScript.
# k8s.io/kubernetes requires its staging modules at v0.0.0 with `replace => ./staging/...` lines
# that do not apply to a dependent module, so the wrapper module below replaces each staging
# module with its published v0.MINOR.PATCH twin, listed from the cached go.mod of the release.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${MERIDIAN_TEST_SERVERS:-/var/cache/meridian/test-servers}"
BIN="$CACHE/k8s-$K8S_VERSION/bin"

if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ]; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: Go is needed to build the test servers" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
staging_version="v0.${K8S_VERSION#v1.}"
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"

work="$CACHE/k8s-$K8S_VERSION/src"
mkdir -p "$work" "$BIN"
cd "$work"
start=$(date +%s)

if [ ! -f go.mod ]; then
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || { echo "build.sh: could not download k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
  go_line=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod" | head -1)
  {
    echo "module meridian.local/testservers"
    echo
    echo "go $go_line"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's|^[[:space:]]*k8s.io/\([a-z0-9-]*\) => ./staging/src/k8s.io/.*|\tk8s.io/\1 => k8s.io/\1 '"$staging_version"'|p' "$gomod"
    echo ")"
  } > go.mod.new
  mv go.mod.new go.mod
  cat > tools.go <<'GO'
//go:build tools

package testservers

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
GO
fi

echo "build.sh: resolving modules for kube-apiserver $K8S_VERSION" >&2
go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >&2
etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
go get "go.etcd.io/etcd/server/v3@$etcd_version" >&2

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
echo "build.sh: building kube-apiserver $K8S_VERSION and etcd $etcd_version" >&2
go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
mv "$BIN/etcd.tmp" "$BIN/etcd"
echo "build.sh: built in $(( $(date +%s) - start )) s" >&2
echo "$BIN"
