#!/usr/bin/env bash
# The README's first command: set up this machine and run Meridian's main job.
# Installs dependencies (scripts/install-deps.sh), builds the binaries, and shows the CLI.
# (`meridian lab`, the local multi-node lab, becomes the main job once it exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
# Put `meridian` and `meridian-cni` on PATH (symlinks into this checkout, as npm link makes them).
npm link --no-audit --no-fund --loglevel=error
echo
meridian --help
echo
echo "CNI_COMMAND=VERSION meridian-cni -> $(CNI_COMMAND=VERSION meridian-cni)"
echo
echo "Next: run the tests with 'npm test'; read docs/architecture.md."
