// A watch request that gets no response (a server that accepts the connection and then says
// nothing, as a wedged API server does) ends at the response deadline, once, and its connection
// is closed, instead of hanging until the kernel gives up on the TCP connection.

import { createServer, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { BookmarkWatch } from '../../../src/k8s/bookmark-watch.js';
import { waitFor } from '../../harness/wait.js';

const sockets: Socket[] = [];
let closed = 0;
const silent = createServer((s) => {
  s.resume(); // read the request, so the client's close is seen
  sockets.push(s);
  s.on('close', () => closed++);
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

describe('BookmarkWatch', () => {
  it('ends a watch whose response never comes at the deadline, once, and closes its connection', async () => {
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    const addr = silent.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const w = new BookmarkWatch(kc, { timeoutSeconds: 60, responseTimeoutMs: 300 });
    const errors: unknown[] = [];
    const t0 = performance.now();
    const controller = await w.watch('/api/v1/nodes', {}, () => undefined, (err) => errors.push(err));
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect(controller.signal.aborted).toBe(true);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/network timeout/);
    await new Promise((r) => setTimeout(r, 200));
    expect(errors).toHaveLength(1);
    expect(sockets.length).toBeGreaterThan(0);
    await waitFor(() => closed === sockets.length, { timeoutMs: 3000, what: 'the timed-out request to close its connection' });
    silent.close();
  });
});
