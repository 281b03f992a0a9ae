// What the commands need from the outside world, passed in so unit tests can use fakes:
// the kernel runner, the clock, the IPAM store for a network, a diagnostics sink and the
// test-only fault hook.

import { spawnRunner } from '../net/spawn-runner.js';
import type { Runner } from '../net/runner.js';
import type { MeridianConf } from './conf.js';
import type { FaultPoint } from './fault.js';
import { fileStore } from './ipam/file-store.js';
import type { IpamStore } from './ipam/store.js';

export interface Deps {
  readonly run: Runner;
  readonly now: () => number;
  readonly store: (conf: MeridianConf) => IpamStore;
  /** A diagnostic line for stderr (never stdout, which carries only the result or error JSON). */
  readonly warn?: (line: string) => void;
  /** Called at each FaultPoint of ADD; main.ts sets it only under MERIDIAN_CNI_FAULT (fault.ts). */
  readonly fault?: (point: FaultPoint) => void;
}

export const defaultDeps: Deps = {
  run: spawnRunner,
  now: () => Date.now(),
  store: (conf) => fileStore(conf.dataDir, conf.name),
  warn: (line) => process.stderr.write(`meridian-cni: ${line}\n`),
};
