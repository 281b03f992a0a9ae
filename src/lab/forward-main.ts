// dist/meridian-forward.mjs: `meridian-forward LISTEN CONNECT` (each unix:PATH or tcp:HOST:PORT).
// Prints "ready pid=PID ..." once listening; exits 0 on SIGTERM/SIGINT, 2 on bad arguments, 1 if it cannot
// listen. Started detached by the lab (src/lab/control-plane.ts), kept by PID.

import { formatEndpoint, parseEndpoint, startForwarder } from './forward.js';

const [listenArg, connectArg, ...rest] = process.argv.slice(2);
let from, to;
try {
  if (listenArg === undefined || connectArg === undefined || rest.length > 0) throw new Error('usage: meridian-forward LISTEN CONNECT (unix:PATH or tcp:HOST:PORT)');
  from = parseEndpoint(listenArg);
  to = parseEndpoint(connectArg);
} catch (e) {
  process.stderr.write(`meridian-forward: ${(e as Error).message}\n`);
  process.exit(2);
}
try {
  const f = await startForwarder(from, to);
  const stop = (): void => void f.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`ready pid=${process.pid} ${formatEndpoint(from)} -> ${formatEndpoint(to)}\n`);
} catch (e) {
  process.stderr.write(`meridian-forward: listen on ${listenArg}: ${(e as Error).message}\n`);
  process.exit(1);
}
