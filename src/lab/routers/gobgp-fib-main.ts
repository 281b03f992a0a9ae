// Entry point of the GoBGP FIB sync (see gobgp-fib.ts), bundled as dist/meridian-gobgp-fib.mjs and
// started by startRouter next to gobgpd, inside the router's namespace:
//   node meridian-gobgp-fib.mjs --socket DIR/gobgp.sock [--multipath]
// It runs until SIGTERM/SIGINT, then removes its routes and exits 0.

import { execRunner } from '../../net/exec.js';
import { startFibSync } from './gobgp-fib.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const socket = arg('--socket');
if (socket === undefined) {
  process.stderr.write('usage: meridian-gobgp-fib --socket PATH [--multipath] [--interval-ms N]\n');
  process.exit(2);
}
const report = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};
const interval = arg('--interval-ms');
const sync = await startFibSync({
  socket,
  multipath: process.argv.includes('--multipath'),
  run: execRunner,
  report,
  ...(interval !== undefined ? { intervalMs: Number(interval) } : {}),
});
report(`syncing the FIB from ${socket}`);
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void sync.stop().finally(() => process.exit(0));
  });
}
