// What the commands need from the outside world, passed in so unit tests can use fakes:
// the kernel runner, the clock, and the IPAM store for a network.

import { spawnRunner } from '../net/spawn-runner.js';
import type { Runner } from '../net/runner.js';
import type { MeridianConf } from './conf.js';
import { fileStore } from './ipam/file-store.js';
import type { IpamStore } from './ipam/store.js';

export interface Deps {
  readonly run: Runner;
  readonly now: () => number;
  readonly store: (conf: MeridianConf) => IpamStore;
}

export const defaultDeps: Deps = {
  run: spawnRunner,
  now: () => Date.now(),
  store: (conf) => fileStore(conf.dataDir, conf.name),
};
