// Entry point of the meridian-cni binary. The runtime starts this once per pod per verb, so it
// imports only node built-ins and src/cni (+ the src/net adapters it needs): no logger, no schema
// library, no execa, no commander.

import { readFileSync } from 'node:fs';
import { cmdAdd } from './add.js';
import { cmdCheck } from './check.js';
import { cmdDel } from './del.js';
import { defaultDeps } from './deps.js';
import { CNI_CODES, CniError } from './errors.js';
import { cmdGc } from './gc.js';
import { runSkel, type CniHandlers } from './skel.js';
import { cmdStatus } from './status.js';

const handlers: CniHandlers = {
  ADD: (req) => (req.verb === 'ADD' ? cmdAdd(req, defaultDeps) : Promise.reject(new Error('misrouted'))),
  DEL: (req) => (req.verb === 'DEL' ? cmdDel(req, defaultDeps) : Promise.reject(new Error('misrouted'))),
  CHECK: (req) => (req.verb === 'CHECK' ? cmdCheck(req, defaultDeps) : Promise.reject(new Error('misrouted'))),
  GC: (req) => (req.verb === 'GC' ? cmdGc(req, defaultDeps) : Promise.reject(new Error('misrouted'))),
  STATUS: (req) => (req.verb === 'STATUS' ? cmdStatus(req, defaultDeps) : Promise.reject(new Error('misrouted'))),
};

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    throw new CniError(CNI_CODES.ioFailure, 'cannot read the network config from stdin', e instanceof Error ? e.message : '');
  }
}

const status = await runSkel(handlers, {
  env: process.env,
  readStdin,
  writeStdout: (s) => process.stdout.write(s),
  writeStderr: (s) => process.stderr.write(s),
});
process.exitCode = status;
