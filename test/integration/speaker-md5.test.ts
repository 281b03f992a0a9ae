// TCP MD5 (RFC 2385) between two of our speakers over loopback (each on its own 127.0.4x.y
// address): the signed dial (md5-dial.ts), the keyed listener (listener.ts) with keys added,
// changed and deleted as peers change, and a peer that cannot have its key never running unsigned.

import { afterEach, describe, expect, it } from 'vitest';
import type { PeerSpec, Speaker } from '../../src/bgp/speaker/speaker.js';
import { TcpMd5Error } from '../../src/net/tcp-md5.js';
import { sleep, waitFor } from '../harness/wait.js';
import { node as loopbackNode, peer as loopbackPeer, stopAll, type Node } from './loopback.js';

afterEach(stopAll);

const node = (addr: string, deps: ConstructorParameters<typeof Speaker>[1] = {}): Promise<Node> => loopbackNode(addr, 64512, {}, deps);
/** `from` peers with `to`: `from` dials unless passive. */
const peer = (to: Node, from: Node, extra: Partial<PeerSpec> = {}): PeerSpec => loopbackPeer(to, 64512, from, extra);

const state = (n: Node) => n.speaker.status()[0]?.state;
const established = (n: Node, what: string) => waitFor(() => state(n) === 'Established', { timeoutMs: 10_000, intervalMs: 50, what });

describe('TCP MD5 between two speakers', () => {
  it('signs the session: our dial to a keyed listener, and its accept', async () => {
    const a = await node('127.0.40.1');
    const b = await node('127.0.40.2');
    a.speaker.setPeers([peer(b, a, { password: 's3cret with spaces' })]);
    b.speaker.setPeers([peer(a, b, { passive: true, password: 's3cret with spaces' })]);
    await established(a, 'the signed session from a');
    await established(b, 'the signed session at b');
    expect(a.speaker.status()[0]).toMatchObject({ md5: true, state: 'Established' });
    expect(JSON.stringify(a.speaker.status())).not.toContain('s3cret');
    a.speaker.originate('10.244.40.0/24');
    await waitFor(() => [...b.speaker.locRib(1)].some((r) => r.best.prefix === '10.244.40.0/24'), { timeoutMs: 5000, what: 'a route over the signed session' });
  });

  it('never establishes with a wrong password or a password on one side only; a matching one then does', async () => {
    const a = await node('127.0.41.1');
    const b = await node('127.0.41.2');
    const c = await node('127.0.41.3');
    const d = await node('127.0.41.4');
    const e = await node('127.0.41.5');
    const f = await node('127.0.41.6');
    a.speaker.setPeers([peer(b, a, { password: 'right' })]);
    b.speaker.setPeers([peer(a, b, { passive: true, password: 'wrong' })]);
    // c signs, d expects nothing: d's listener drops SYNs that carry a signature it has no key for.
    c.speaker.setPeers([peer(d, c, { password: 'only-c' })]);
    d.speaker.setPeers([peer(c, d, { passive: true })]);
    // e does not sign, f expects a signature: the unsigned SYN is dropped.
    e.speaker.setPeers([peer(f, e)]);
    f.speaker.setPeers([peer(e, f, { passive: true, password: 'only-f' })]);
    // Several dial attempts each (connect retry 1 s).
    await sleep(4000);
    for (const n of [a, b, c, d, e, f]) expect(state(n), n.addr).not.toBe('Established');
    // The listener's key for a changes (and b's session restarts with it).
    b.speaker.setPeers([peer(a, b, { passive: true, password: 'right' })]);
    await established(a, 'the session once both sides agree');
  }, 20_000);

  it('deletes a key from the listener when the peer loses its password: the session runs unsigned', async () => {
    const a = await node('127.0.42.1');
    const b = await node('127.0.42.2');
    a.speaker.setPeers([peer(b, a, { password: 'temporary' })]);
    b.speaker.setPeers([peer(a, b, { passive: true, password: 'temporary' })]);
    await established(a, 'the signed session');
    // Both sides drop the password. If b's listener kept its key for a, a's unsigned SYNs would be
    // dropped and the new session could never form.
    b.speaker.setPeers([peer(a, b, { passive: true })]);
    a.speaker.setPeers([peer(b, a)]);
    await waitFor(() => a.speaker.status()[0]?.md5 === false && state(a) === 'Established', { timeoutMs: 10_000, what: 'the unsigned session' });
  });

  it('switches to a keyed listener while accepted sessions are up, and keeps them', async () => {
    const b = await node('127.0.45.2');
    const c = await node('127.0.45.3');
    c.speaker.setPeers([peer(b, c)]);
    b.speaker.setPeers([peer(c, b, { passive: true })]);
    await established(c, 'the plain session c dialled');
    // A password peer appears at b: b's listener is replaced while c's accepted session lives on.
    const a = await node('127.0.45.1');
    a.speaker.setPeers([peer(b, a, { password: 'late' })]);
    b.speaker.setPeers([peer(c, b, { passive: true }), peer(a, b, { passive: true, password: 'late' })]);
    await established(a, 'the signed session through the new listener');
    expect(c.speaker.status()[0]?.state).toBe('Established');
    expect(b.speaker.status().map((p) => [p.address, p.state, p.md5])).toEqual([
      ['127.0.45.3', 'Established', false],
      ['127.0.45.1', 'Established', true],
    ]);
  });

  it('never loads TCP MD5 (koffi) while no peer has a password', async () => {
    let loads = 0;
    const md5 = () => {
      loads++;
      throw new TcpMd5Error('load', 'not wanted here');
    };
    const a = await node('127.0.44.1', { md5 });
    const b = await node('127.0.44.2');
    a.speaker.setPeers([peer(b, a)]);
    b.speaker.setPeers([peer(a, b, { passive: true })]);
    await established(a, 'a plain session');
    expect(loads).toBe(0);
    a.speaker.setPeers([peer(b, a, { password: 'now' })]);
    expect(loads).toBeGreaterThan(0);
  });

  it('does not start a peer with a password when TCP MD5 cannot be loaded', async () => {
    const a = await node('127.0.43.1', {
      md5: () => {
        throw new TcpMd5Error('load', 'no koffi here');
      },
    });
    const b = await node('127.0.43.2');
    a.speaker.setPeers([peer(b, a, { password: 'x' })]);
    b.speaker.setPeers([peer(a, b, { passive: true })]);
    await sleep(2000);
    expect(a.speaker.status()[0]).toMatchObject({ state: 'Idle', md5: true, lastError: expect.stringMatching(/TCP MD5 unavailable: no koffi here/) as unknown });
    expect(state(b)).not.toBe('Established');
  });
});
