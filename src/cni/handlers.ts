// The verb -> command table, over injected dependencies (main.ts passes the real ones, unit tests
// fakes). Each request is narrowed to its verb before it reaches the command.

import { cmdAdd } from './add.js';
import { cmdCheck } from './check.js';
import { cmdDel } from './del.js';
import type { Deps } from './deps.js';
import { cmdGc } from './gc.js';
import type { CniRequest } from './request.js';
import type { CniHandlers } from './skel.js';
import { cmdStatus } from './status.js';

function misrouted(req: CniRequest): Promise<never> {
  return Promise.reject(new Error(`request for ${req.verb} reached the wrong handler`));
}

export function cniHandlers(deps: Deps): CniHandlers {
  return {
    ADD: (req) => (req.verb === 'ADD' ? cmdAdd(req, deps) : misrouted(req)),
    DEL: (req) => (req.verb === 'DEL' ? cmdDel(req, deps) : misrouted(req)),
    CHECK: (req) => (req.verb === 'CHECK' ? cmdCheck(req, deps) : misrouted(req)),
    GC: (req) => (req.verb === 'GC' ? cmdGc(req, deps) : misrouted(req)),
    STATUS: (req) => (req.verb === 'STATUS' ? cmdStatus(req, deps) : misrouted(req)),
  };
}
