// The lab's state on disk (<dir>/lab.json): every namespace and process it made, recorded BEFORE
// it is made, so `lab down` after a crash at any point (or a second `down` after a failed one)
// finds and removes everything, and never anything else. Written atomically (rename).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonRef } from '../net/daemon.js';
import type { LabControlPlane } from './control-plane.js';
import type { NodePlan, RouterChoice, Topology } from './plan.js';
import type { RouterKind } from './routers/types.js';

export interface LabNode {
  readonly plan: NodePlan;
  readonly netns: string;
  agent?: DaemonRef;
  apiForwarder?: DaemonRef;
}

export interface LabPod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly netns: string;
  readonly containerId: string;
  ips: string[];
  ports: number[];
  server?: DaemonRef;
}

export interface LabRouterState {
  readonly kind: RouterKind;
  readonly netns: string;
  readonly dir: string;
  daemons: DaemonRef[];
}

export interface LabState {
  readonly version: 1;
  readonly name: string;
  readonly topology: Topology;
  readonly router: RouterChoice;
  readonly ipv6: boolean;
  readonly createdAt: string;
  /** Every namespace this lab made (or was about to make), in creation order. */
  namespaces: string[];
  nodes: LabNode[];
  pods: LabPod[];
  routerDaemon?: LabRouterState;
  /** Other processes (the API bridge, etcd, kube-apiserver), stopped in reverse order. */
  daemons: DaemonRef[];
  apiserver?: LabControlPlane;
  /** Next node index; indices are never reused while the lab lives (addresses stay unique). */
  nextIndex: number;
  /** Where the next pod without spec.nodeName goes (round robin). */
  nextPodNode: number;
}

export const stateFile = (dir: string): string => join(dir, 'lab.json');

export function readState(dir: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFile(dir), 'utf8');
  } catch {
    return undefined;
  }
  const s = JSON.parse(text) as LabState;
  if (s.version !== 1) throw new Error(`${stateFile(dir)}: unknown lab state version ${String(s.version)}`);
  return s;
}

export function writeState(dir: string, s: LabState): void {
  mkdirSync(dir, { recursive: true });
  const tmp = `${stateFile(dir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
  renameSync(tmp, stateFile(dir));
}
