#!/usr/bin/env bash
# Installs everything Meridian's build and tests need on a Debian 12 machine, as root:
# the kernel tools the agent and CNI plugin drive, the BGP daemons the interop tests peer with,
# the reference CNI plugins, and the npm packages. Safe to rerun. Used by scripts/setup.sh and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  iproute2 iptables ipset conntrack util-linux   # kernel tools (src/net), nsenter
  iputils-ping netcat-openbsd jq curl            # probes in tests and the lab
  bird2 frr gobgpd                               # real BGP peers for interop tests
  containernetworking-plugins                    # reference ptp/portmap/bandwidth/loopback in /usr/lib/cni
)

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: run as root (apt-get, and the tests create network namespaces)" >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install-deps: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The e2e tests' control plane: kube-apiserver and etcd built from Go modules into a cache outside
# the repository (about 7 minutes and 3 GB of Go caches the first time; nothing when cached).
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
bash test/servers/build.sh >/dev/null

# npm ci: exactly the lockfile. The machine's global npmrc may carry unrelated settings; keep the
# output to what matters.
npm ci --no-audit --no-fund --loglevel=error
