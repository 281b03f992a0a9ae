// Test-only fault injection. With MERIDIAN_CNI_FAULT=<point> in its environment the plugin
// SIGKILLs itself when ADD reaches that point, so the netns tests can leave exactly the state a
// crash there leaves (test/netns/cni-failure.test.ts) instead of killing at a guessed delay. No
// runtime sets it; unset (always, in production) nothing is checked beyond one env read.
//   after-alloc        the addresses are recorded, nothing is wired yet
//   after-host-wiring  the veth pair, host routes and host sysctls exist; the pod side is bare

import { CNI_CODES, CniError } from './errors.js';

export const FAULT_ENV = 'MERIDIAN_CNI_FAULT';
export const FAULT_POINTS = ['after-alloc', 'after-host-wiring'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/**
 * The hook for an env value: undefined when unset or empty. An unknown value is an error, so a
 * misspelt point fails the test that set it instead of silently injecting nothing.
 */
export function faultHook(value: string | undefined, kill: () => void): ((p: FaultPoint) => void) | undefined {
  if (value === undefined || value === '') return undefined;
  const at = FAULT_POINTS.find((p) => p === value);
  if (at === undefined) throw new CniError(CNI_CODES.invalidEnvironment, `${FAULT_ENV}=${JSON.stringify(value)} is not one of ${FAULT_POINTS.join(', ')}`);
  return (p) => {
    if (p === at) kill();
  };
}
