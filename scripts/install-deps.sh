#!/usr/bin/env bash
# Installs everything Meridian's build and tests need on a Debian 12 machine, as root:
# the kernel tools the agent and CNI plugin drive, the BGP daemons the interop tests peer with,
# the reference CNI plugins, and the npm packages. Safe to rerun. Used by scripts/setup.sh and .ci/run.
# Node.js 20 or newer must be there already. The e2e tests' kube-apiserver and etcd are not built
# here: `npm test` builds them (test/servers/build.sh, as its pretest), so the lab needs no Go.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  iproute2 iptables ipset conntrack util-linux   # kernel tools (src/net), nsenter
  iputils-ping netcat-openbsd jq curl            # probes in tests and the lab
  bird2 frr gobgpd                               # real BGP peers for interop tests
  containernetworking-plugins                    # reference ptp/portmap/bandwidth/loopback in /usr/lib/cni
  unzip zip                                      # test/servers/build.sh unpacks a Go toolchain; its test packs one
)

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: run as root (apt-get, and the tests create network namespaces)" >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  # Not installed from here: Debian 12's own nodejs package is 18, and no Node.js download site
  # is reachable from every machine this runs on.
  {
    echo "install-deps: Meridian needs Node.js 20 or newer, with npm; found: $(node --version 2>/dev/null || echo 'no node')."
    echo "  Debian 12's nodejs package is 18, too old. Install Node.js 20 (or 22) first, e.g. the nodejs"
    echo "  package of NodeSource's node_20.x Debian repository, or Node's linux tarball unpacked into"
    echo "  /usr/local, until 'node --version' prints v20 or later; then run this again."
  } >&2
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

# npm ci: exactly the lockfile. The machine's global npmrc may carry unrelated settings; keep the
# output to what matters.
npm ci --no-audit --no-fund --loglevel=error
