#!/usr/bin/env bash
# Builds the test servers the e2e tests run against — a real kube-apiserver and the etcd it pins —
# from Go modules, into a cache outside the repository. Rebuilds only what is missing.
#
#   test/servers/build.sh            # prints the bin dir on stdout when done
#   MERIDIAN_TEST_SERVERS=/some/dir  # cache root (default /var/cache/meridian/test-servers)
#
# Go is used here only to build these test servers; the product is TypeScript. The Go it needs is
# the one kubernetes' go.mod names (1.24.0 for v1.34): a `go` on PATH or /usr/local/go is used when
# it is at least that, otherwise that exact toolchain is fetched from the Go module proxy as the
# module golang.org/toolchain (what `go` itself does with GOTOOLCHAIN=auto), checked against its
# go.sum hash (pinned, or the checksum database's record: fetch_go_toolchain), and kept in the cache (CACHE/go/go1.24.0.linux-amd64). Debian
# 12's golang-go (1.19) is too old, and the proxy is the only place besides Debian and npm that
# these machines reach.
# k8s.io/kubernetes requires its staging modules at v0.0.0 with `replace => ./staging/...` lines
# that do not apply to a dependent module, so the wrapper module below replaces each staging
# module with its published v0.MINOR.PATCH twin, listed from the cached go.mod of the release.
#
# Sourcing this file (tests do) defines the functions and builds nothing.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${MERIDIAN_TEST_SERVERS:-/var/cache/meridian/test-servers}"
BIN="$CACHE/k8s-$K8S_VERSION/bin"

# The first proxy of GOPROXY (its Go default when unset) that is a URL, not direct or off.
goproxy_url() {
  local list="${GOPROXY:-}" entry
  if [ -z "$list" ] && command -v go >/dev/null; then list=$(go env GOPROXY 2>/dev/null || true); fi
  for entry in $(printf '%s' "${list:-https://proxy.golang.org}" | tr ',|' '  '); do
    case "$entry" in
      direct | off) ;;
      *) echo "${entry%/}"; return 0 ;;
    esac
  done
  echo "build.sh: GOPROXY=$list names no proxy to fetch from" >&2
  return 1
}

# The Go version a kubernetes release's go.mod asks for ("go 1.24.0"), read from the proxy, which
# needs no Go. A two-part "go 1.N" line means 1.N.0 from Go 1.21 on, the first with such toolchains.
k8s_go_version() {
  local k8s="$1" v
  v=$(curl -fsSL "$(goproxy_url)/k8s.io/kubernetes/@v/$k8s.mod" | sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' | head -1)
  [ -n "$v" ] || { echo "build.sh: no go line in the go.mod of k8s.io/kubernetes@$k8s" >&2; return 1; }
  case "$v" in
    1.[0-9] | 1.1[0-9] | 1.20) ;;
    *.*.*) ;;
    *) v="$v.0" ;;
  esac
  echo "$v"
}

# Is the Go at $1 at least version $2 (such as 1.24.0)? Go 1.19 ignores GOTOOLCHAIN; later ones
# would otherwise switch themselves to what a go.mod in the current directory asks for.
go_at_least() {
  local have
  have=$(GOTOOLCHAIN=local "$1" version 2>/dev/null | sed -n 's/^go version go\([0-9][0-9.]*\).*/\1/p')
  [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$2" "$have" | sort -V | head -1)" = "$2" ]
}

# Go's platform name for this machine, as in the toolchain zips (linux-amd64, linux-arm64, ...).
go_platform() {
  local arch
  arch=$(uname -m)
  case "$arch" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    i?86) arch=386 ;;
    armv6l | armv7l) arch=armv6l ;;
    ppc64le | s390x | riscv64 | loong64) ;;
    *) echo "build.sh: no Go toolchain is published for $arch" >&2; return 1 ;;
  esac
  echo "linux-$arch"
}

# The go.sum hash ("h1:") of an unpacked module zip in the current directory: SHA-256 over the
# sorted "SHA256  NAME" lines of its files (golang.org/x/mod/sumdb/dirhash.Hash1), which are what
# sha256sum prints. Names with a backslash or newline, which sha256sum would escape, are refused.
module_h1() {
  local lines
  lines=$(find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum)
  if grep -q '^\\' <<<"$lines"; then echo "build.sh: a file name in the toolchain zip needs escaping" >&2; return 1; fi
  printf '%s\n' "$lines" | sha256sum | cut -c1-64 | sed 's/../\\x&/g' | { read -r esc; printf '%b' "$esc"; } | base64
}

# Fetch Go toolchain $1 (such as 1.24.0) into CACHE/go unless it is there; prints its GOROOT.
# The hash it must have: pinned below for the toolchains we know (read once from sum.golang.org's
# record), else the checksum database's record read through the same proxy, as `go` reads it when
# sum.golang.org itself is out of reach. That record's signature is not verified here, so an
# unpinned toolchain is only as trustworthy as the proxy: a warning says so. GOSUMDB=off skips the
# check, as for `go`.
pinned_h1() {
  case "$1" in
    golang.org/toolchain@v0.0.1-go1.24.0.linux-amd64) echo 'oPC9yECkA1xwFfkEB5H9B9GDchhCH79d2Y7l4ybHXF0=' ;;
  esac
}

fetch_go_toolchain() {
  local version="$1" platform proxy module zipver root tmp want have
  platform=$(go_platform)
  root="$CACHE/go/go$version.$platform"
  if [ -x "$root/bin/go" ]; then echo "$root"; return 0; fi
  proxy=$(goproxy_url)
  module=golang.org/toolchain
  zipver="v0.0.1-go$version.$platform"
  mkdir -p "$CACHE/go"
  tmp=$(mktemp -d "$CACHE/go/.fetch-XXXXXX")
  # shellcheck disable=SC2064 # expand now: the trap must remove this very directory
  trap "rm -rf '$tmp'" EXIT
  echo "build.sh: fetching Go $version ($module@$zipver) from $proxy" >&2
  curl -fsSL -o "$tmp/toolchain.zip" "$proxy/$module/@v/$zipver.zip"
  unzip -q "$tmp/toolchain.zip" -d "$tmp/unpacked"
  rm "$tmp/toolchain.zip"
  if [ "${GOSUMDB:-}" = off ]; then
    echo "build.sh: GOSUMDB=off: Go $version not checked against the checksum database" >&2
  else
    local sumdb="${GOSUMDB:-sum.golang.org}"
    sumdb="${sumdb%% *}"
    sumdb="${sumdb%%+*}"
    want=$(pinned_h1 "$module@$zipver")
    if [ -z "$want" ]; then
      echo "build.sh: no pinned hash for $module@$zipver: checking it against the checksum database's record as the proxy serves it (signature not verified)" >&2
      want=$(curl -fsSL "$proxy/sumdb/$sumdb/lookup/$module@$zipver" | sed -n "s|^$module $zipver h1:\(.*\)\$|\1|p")
    fi
    have=$(cd "$tmp/unpacked" && module_h1)
    if [ -z "$want" ] || [ "$want" != "$have" ]; then
      echo "build.sh: $module@$zipver has hash h1:$have, expected h1:${want:-(no record in the checksum database)}" >&2
      return 1
    fi
  fi
  [ -x "$tmp/unpacked/$module@$zipver/bin/go" ] || { echo "build.sh: $module@$zipver has no bin/go" >&2; return 1; }
  # A rename, so a half-unpacked toolchain is never taken for a whole one.
  mv -T "$tmp/unpacked/$module@$zipver" "$root" 2>/dev/null || [ -x "$root/bin/go" ]
  rm -rf "$tmp"
  trap - EXIT
  echo "$root"
}

# The bin directory of a Go at least $1: `go` on PATH, else one of the other go binaries named
# after it (build_servers names /usr/local/go's, where Go's own tarball installs), else the
# fetched toolchain.
select_go() {
  local want="$1" candidate root
  shift
  for candidate in "$(command -v go || true)" "$@"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && go_at_least "$candidate" "$want"; then
      dirname "$candidate"
      return 0
    fi
  done
  echo "build.sh: no Go $want or newer on PATH${1:+ or at $*}" >&2
  root=$(fetch_go_toolchain "$want")
  echo "$root/bin"
}

build_servers() {
  if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ]; then
    echo "$BIN"
    return 0
  fi

  if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
    echo "build.sh: cannot write $CACHE: run as root, or set MERIDIAN_TEST_SERVERS to a writable directory" >&2
    exit 1
  fi
  local want go_bin
  want=$(k8s_go_version "$K8S_VERSION")
  go_bin=$(select_go "$want" /usr/local/go/bin/go)
  export PATH="$go_bin:$PATH" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
  echo "build.sh: using $(go version)" >&2
  local staging_version minor work start gomod go_line etcd_version ldflags
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
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then build_servers; fi
