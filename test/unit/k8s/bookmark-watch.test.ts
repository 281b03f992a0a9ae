// A watch request that gets no response (a server that accepts the connection and then says
// nothing, as a blackholed or wedged API server does) is declared dead at the response deadline,
// once, instead of hanging until the kernel gives up on the TCP connection.

import { createServer, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { BookmarkWatch } from '../../../src/k8s/bookmark-watch.js';

const sockets: Socket[] = [];
const silent = createServer((s) => sockets.push(s));
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

describe('BookmarkWatch', () => {
  it('ends a watch whose response never comes at the deadline, once', async () => {
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
    expect(String(errors[0])).toMatch(/no response from the API server within 300 ms/);
    await new Promise((r) => setTimeout(r, 200));
    expect(errors).toHaveLength(1);
    silent.close();
  });
});
