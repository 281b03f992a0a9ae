// PLACEHOLDER until the control-plane work merges (replaced in this session).
import type { Backend } from './backend.js';
import type { LabEnv } from './nodes.js';
import type { LabState } from './state.js';

export function apiBackend(env: LabEnv, s: LabState): Backend {
  void env;
  void s;
  throw new Error('--apiserver: pending merge');
}

export async function startApiserver(env: LabEnv, s: LabState): Promise<void> {
  void env;
  void s;
  throw new Error('--apiserver: pending merge');
}
