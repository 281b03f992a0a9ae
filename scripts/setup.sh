#!/usr/bin/env bash
# The README's first command: set up this machine and run Meridian's main job.
# Installs dependencies (scripts/install-deps.sh), builds the binaries, puts them on PATH, then
# runs the lab tour (scripts/lab-demo.sh): a 3-node cluster in network namespaces, its matrix, an
# example policy, the matrix against the prediction. The lab stays up until `meridian lab down`.
# Needs no Go: the lab's default datastore is a directory of manifests. Only `meridian lab up
# --apiserver` and the e2e tests need kube-apiserver and etcd, which test/servers/build.sh builds
# (`npm test` runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
# Put `meridian` and `meridian-cni` on PATH (symlinks into this checkout, as npm link makes them).
npm link --no-audit --no-fund --loglevel=error
bash scripts/lab-demo.sh
