#!/usr/bin/env bash
# The lab tour (the README's main command runs it after setup): a 3-node Meridian cluster in
# network namespaces, its reachability matrix, an example NetworkPolicy, the matrix again next to
# what `meridian policy matrix` predicted. It leaves the lab running for you to explore.
set -euo pipefail
cd "$(dirname "$0")/.."
export MERIDIAN_LAB_DIR="${MERIDIAN_LAB_DIR:-/run/meridian-lab}"
POLICY=examples/lab/allow-x-from-y-on-80.yaml
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "meridian lab down   (a lab from an earlier run, if any)"
meridian lab down

step "meridian lab up   (3 nodes, iBGP full mesh, pods x/a..z/c wired by meridian-cni)"
meridian lab up

step "meridian lab matrix   (every pod pair, TCP and UDP on 80 and 81, probed for real)"
meridian lab matrix

step "meridian lab apply -f $POLICY"
sed -n '1,2p' "$POLICY"
meridian lab apply -f "$POLICY"

step "predicted: meridian policy matrix --objects $MERIDIAN_LAB_DIR/objects --ports 80 --protocols TCP"
meridian policy matrix --objects "$MERIDIAN_LAB_DIR/objects" --ports 80 --protocols TCP

step "observed: meridian lab matrix --predict   (\"!\" would mark a cell that differs from the prediction)"
meridian lab matrix --predict

cat <<EOT

The lab is running (state in $MERIDIAN_LAB_DIR). Explore:
  meridian lab status                      nodes, BGP sessions, routes, pods and their IPs
  meridian policy explain --objects $MERIDIAN_LAB_DIR/objects --from z/a --to x/a --port 80
  meridian lab delete -f $POLICY    and the matrix is whole again
  meridian lab node add | node remove node-2
  ip netns exec mlab-node-1 iptables-save | grep MERIDIAN     the policy in the kernel
  meridian lab up --topology tor --router frr --ipv6     (after a down) behind a ToR, dual-stack
Tear down:
  meridian lab down
EOT
