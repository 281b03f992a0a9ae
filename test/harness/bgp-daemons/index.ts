// Real BGP daemons (BIRD 2, FRR, GoBGP) for interop tests; see docs/interop.md.

export { startBird } from './bird.js';
export { startFrr } from './frr.js';
export { startGobgp } from './gobgp.js';
export { fibRoutes, type FibRoute } from './fib.js';
export { prefixRange } from './prefixes.js';
export type * from './types.js';
