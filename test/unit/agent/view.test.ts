// The view's guarantees, with a fake clock: nothing before every kind has synced, debounced
// delivery with a maximum delay, replays cost nothing, bad objects leave the view and are reported.

import { describe, expect, it } from 'vitest';
import { ClusterView, syncGate, type ClusterSnapshot } from '../../../src/agent/view.js';
import type { DatastoreEvent } from '../../../src/k8s/datastore.js';
import { WATCHED_KINDS, type WatchedKind } from '../../../src/k8s/kinds.js';
import type { KubeObject, Namespace, Node } from '../../../src/k8s/objects.js';

function fakeClock() {
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    setTimer(ms: number, fn: () => void) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => void (t.live = false) };
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        now = next.at;
        next.live = false;
        next.fn();
      }
      now = end;
    },
  };
}

const node = (name: string, podCIDRs: string[] = []): Node => ({ kind: 'Node', name, labels: {}, annotations: {}, podCIDRs, addresses: [] });
const ns = (name: string): Namespace => ({ kind: 'Namespace', name, labels: { 'kubernetes.io/metadata.name': name } });
const up = (object: KubeObject): DatastoreEvent => ({ type: 'upsert', object });
const synced = (kind: WatchedKind): DatastoreEvent => ({ type: 'synced', kind });

function setup(opts: { debounceMs?: number; maxDelayMs?: number } = {}) {
  const clock = fakeClock();
  const views: ClusterSnapshot[] = [];
  const view = new ClusterView({ kinds: WATCHED_KINDS, debounceMs: opts.debounceMs ?? 50, maxDelayMs: opts.maxDelayMs ?? 500, now: clock.now, setTimer: (ms, fn) => clock.setTimer(ms, fn), onView: (s) => views.push(s) });
  return { clock, views, view, syncAll: () => WATCHED_KINDS.forEach((k) => view.handle(synced(k))) };
}

describe('syncGate', () => {
  it('waits for every kind, naming the missing ones', () => {
    expect(syncGate((k) => k !== 'NetworkPolicy' && k !== 'BGPPeer', WATCHED_KINDS)).toEqual({ complete: false, waitingFor: ['NetworkPolicy', 'BGPPeer'] });
    expect(syncGate(() => true, WATCHED_KINDS)).toEqual({ complete: true, waitingFor: [] });
  });
});

describe('ClusterView', () => {
  it('delivers nothing until every watched kind has synced, then one complete view', () => {
    const { clock, views, view } = setup();
    view.handle(up(node('n1')));
    for (const k of WATCHED_KINDS.filter((k) => k !== 'NetworkPolicy')) view.handle(synced(k));
    view.handle(up(ns('x')));
    clock.advance(10_000);
    view.flush();
    expect(views).toEqual([]);
    expect(view.status().waitingFor).toEqual(['NetworkPolicy']);
    view.handle(synced('NetworkPolicy'));
    clock.advance(49);
    expect(views).toEqual([]);
    clock.advance(1);
    expect(views).toHaveLength(1);
    expect(views[0]?.objects).toEqual([ns('x'), node('n1')]);
  });

  it('debounces bursts but never beyond maxDelayMs', () => {
    const { clock, views, view, syncAll } = setup({ debounceMs: 50, maxDelayMs: 200 });
    syncAll();
    clock.advance(50);
    expect(views).toHaveLength(1);
    // An event every 30 ms: the debounce alone would never fire.
    for (let i = 0; i < 10; i++) {
      view.handle(up(node(`n${i}`)));
      clock.advance(30);
    }
    expect(views.length).toBe(2);
    expect(views[1]?.objects.length).toBeGreaterThanOrEqual(6);
    clock.advance(100);
    expect(views[views.length - 1]?.objects).toHaveLength(10);
  });

  it('ignores replays: an identical upsert or a repeated synced changes nothing', () => {
    const { clock, views, view, syncAll } = setup();
    view.handle(up(node('n1', ['10.244.1.0/24'])));
    syncAll();
    clock.advance(100);
    expect(views).toHaveLength(1);
    view.handle(up(node('n1', ['10.244.1.0/24'])));
    view.handle(synced('Node'));
    clock.advance(100);
    expect(views).toHaveLength(1);
    view.handle(up(node('n1', ['10.244.9.0/24'])));
    clock.advance(100);
    expect(views).toHaveLength(2);
  });

  it('an invalid version takes the object out and reports it; a valid one or a delete clears the report', () => {
    const { clock, views, view, syncAll } = setup();
    syncAll();
    view.handle(up(node('n1')));
    view.handle({ type: 'invalid', kind: 'Node', key: 'Node//n1', problem: { kind: 'Node', namespace: undefined, name: 'n1', source: 'api', reason: 'bad' } });
    clock.advance(100);
    expect(views.at(-1)?.objects).toEqual([]);
    expect(views.at(-1)?.problems).toEqual([{ kind: 'Node', namespace: undefined, name: 'n1', source: 'api', reason: 'bad', key: 'Node//n1' }]);
    view.handle(up(node('n1')));
    clock.advance(100);
    expect(views.at(-1)?.objects).toEqual([node('n1')]);
    expect(views.at(-1)?.problems).toEqual([]);
    view.handle({ type: 'invalid', kind: 'Node', key: 'Node//n1', problem: { kind: 'Node', namespace: undefined, name: 'n1', source: 'api', reason: 'bad' } });
    view.handle({ type: 'delete', kind: 'Node', key: 'Node//n1' });
    clock.advance(100);
    expect(views.at(-1)?.problems).toEqual([]);
  });

  it('an object used in part is in the view and reported; the same content again costs nothing; a clean version clears the report', () => {
    const { clock, views, view, syncAll } = setup();
    syncAll();
    const problem = { kind: 'Node', namespace: undefined, name: 'n1', source: 'api', reason: 'used fail-closed: x' };
    view.handle({ type: 'upsert', object: node('n1'), problem });
    clock.advance(100);
    expect(views.at(-1)?.objects).toEqual([node('n1')]);
    expect(views.at(-1)?.problems).toEqual([{ ...problem, key: 'Node//n1' }]);
    const n = views.length;
    view.handle({ type: 'upsert', object: node('n1'), problem });
    clock.advance(100);
    expect(views).toHaveLength(n);
    view.handle(up(node('n1')));
    clock.advance(100);
    expect(views.at(-1)?.objects).toEqual([node('n1')]);
    expect(views.at(-1)?.problems).toEqual([]);
  });

  it('replace swaps everything at once (the files datastore): a removed file removes its objects', () => {
    const { clock, views, view, syncAll } = setup();
    view.handle({ type: 'replace', objects: [node('n1'), node('n2'), ns('x')], problems: [] });
    syncAll();
    clock.advance(100);
    expect(views.at(-1)?.objects).toHaveLength(3);
    view.handle({ type: 'replace', objects: [node('n1'), ns('x')], problems: [{ kind: 'Pod', namespace: undefined, name: 'p', source: 'pods.yaml#0', reason: 'bad' }] });
    clock.advance(100);
    expect(views.at(-1)?.objects).toEqual([ns('x'), node('n1')]);
    expect(views.at(-1)?.problems).toHaveLength(1);
    const n = views.length;
    view.handle({ type: 'replace', objects: [ns('x'), node('n1')], problems: [{ kind: 'Pod', namespace: undefined, name: 'p', source: 'pods.yaml#0', reason: 'bad' }] });
    clock.advance(100);
    expect(views).toHaveLength(n);
  });
});
