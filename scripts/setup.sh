#!/usr/bin/env bash
# The README's first command: set up this machine and run Meridian's main job.
# Installs dependencies (scripts/install-deps.sh), builds the binaries, and shows the CLI.
# (`meridian lab`, the local multi-node lab, becomes the main job once it exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
echo
node dist/meridian.js --help
echo
echo "meridian-cni: $(CNI_COMMAND=VERSION node dist/meridian-cni.cjs)"
echo
echo "Next: run the tests with 'npm test'; read docs/architecture.md."
