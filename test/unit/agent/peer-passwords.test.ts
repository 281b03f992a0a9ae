// TCP MD5 passwords in the routing plan: from a BGPPeer's passwordSecretRef (a Secret in the
// agent's namespace) and from kube-router's peer.passwords annotation. A peer whose password
// cannot be had is skipped and reported, never planned without it; no message carries a value.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/agent/config.js';
import { annotationPasswords, passwordSecretNames, secretPassword, type SecretState } from '../../../src/agent/peer-passwords.js';
import { planRouting, viewFromObjects } from '../../../src/agent/routing-plan.js';
import { parseManifests } from '../../../src/k8s/manifests.js';

const cfg = (extra = '') => parseConfig(`nodeName: node-b\n${extra}`, { source: 't', env: { POD_NAMESPACE: 'net' }, hostname: 'h' });

function node(name: string, v4: string, annotations: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations }, spec: { podCIDRs: [`10.244.${v4.split('.')[3]}.0/24`] }, status: { addresses: [{ type: 'InternalIP', address: v4 }] } };
}

function bgpPeer(name: string, peerIP: string, ref?: { name: string; key: string }) {
  return { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name }, spec: { peerIP, asNumber: 65001, ...(ref !== undefined ? { passwordSecretRef: ref } : {}) } };
}

function objects(docs: unknown[]) {
  const r = parseManifests(docs.map((d) => JSON.stringify(d)).join('\n---\n'), 'test');
  expect(r.problems).toEqual([]);
  return r.objects;
}

const found = (data: Record<string, string>): SecretState => ({ found: true, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) });
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('BGPPeer passwordSecretRef', () => {
  const docs = [
    node('node-a', '192.0.2.1'),
    node('node-b', '192.0.2.2'),
    bgpPeer('tor', '198.51.100.1', { name: 'bgp-secrets', key: 'tor' }),
    bgpPeer('no-key', '198.51.100.2', { name: 'bgp-secrets', key: 'absent' }),
    bgpPeer('no-secret', '198.51.100.3', { name: 'missing', key: 'k' }),
    bgpPeer('unreadable', '198.51.100.4', { name: 'forbidden', key: 'k' }),
    bgpPeer('plain', '198.51.100.5'),
  ];
  const secrets = new Map<string, SecretState>([
    ['bgp-secrets', found({ tor: 'tor-s3cret', other: 'x' })],
    ['missing', { found: false, reason: 'not found' }],
    ['forbidden', { found: false, reason: 'could not be read (HTTP 403)' }],
  ]);

  it('names the Secrets to read, once each', () => {
    const peers = viewFromObjects(objects(docs)).bgpPeers;
    expect(passwordSecretNames(peers)).toEqual(['bgp-secrets', 'forbidden', 'missing']);
  });

  it('plans the peer with its password, skips each peer whose password cannot be had, and says why', () => {
    const p = planRouting(cfg('bgp: {nodeMesh: false}'), { ...viewFromObjects(objects(docs)), secrets });
    expect(p.peers.map((x) => [x.address, x.password])).toEqual([
      ['198.51.100.1', 'tor-s3cret'],
      ['198.51.100.5', undefined],
    ]);
    expect(p.problems).toEqual([
      'BGPPeer no-key: password Secret net/bgp-secrets has no key "absent"; peer skipped rather than run without the authentication it asks for',
      'BGPPeer no-secret: password Secret net/missing: not found; peer skipped rather than run without the authentication it asks for',
      'BGPPeer unreadable: password Secret net/forbidden: could not be read (HTTP 403); peer skipped rather than run without the authentication it asks for',
    ]);
    expect(p.problems.join('\n')).not.toContain('s3cret');
  });

  it('skips a peer whose Secret was never read (no secrets in the view)', () => {
    const p = planRouting(cfg('bgp: {nodeMesh: false}'), viewFromObjects(objects([node('node-b', '192.0.2.2'), docs[2]])));
    expect(p.peers).toEqual([]);
    expect(p.problems).toEqual(['BGPPeer tor: password Secret net/bgp-secrets has not been read; peer skipped rather than run without the authentication it asks for']);
  });

  it('refuses values the kernel or the speaker cannot take as they are', () => {
    const ref = { name: 's', key: 'k' };
    const one = (v: Buffer) => secretPassword(ref, 'net', new Map([['s', { found: true, data: { k: v } }]]));
    expect(one(Buffer.from('ok'))).toEqual({ password: 'ok' });
    expect(one(Buffer.from('x'.repeat(80)))).toEqual({ password: 'x'.repeat(80) });
    expect(one(Buffer.alloc(0))).toEqual({ problem: expect.stringMatching(/key "k" is empty; peer skipped/) as unknown });
    expect(one(Buffer.from('x'.repeat(81)))).toEqual({ problem: expect.stringMatching(/is 81 bytes; TCP MD5 keys have at most 80/) as unknown });
    expect(one(Buffer.from([0xff, 0xfe]))).toEqual({ problem: expect.stringMatching(/is not UTF-8 text/) as unknown });
  });
});

describe('kube-router.io/peer.passwords', () => {
  const annotated = (passwords: string) =>
    node('node-b', '192.0.2.2', {
      'kube-router.io/peer.ips': '198.51.100.9,198.51.100.10',
      'kube-router.io/peer.asns': '65009,65010',
      'kube-router.io/peer.passwords': passwords,
    });

  it('gives each annotation peer the base64-decoded password in peer.ips order; an empty entry is none', () => {
    const p = planRouting(cfg('bgp: {nodeMesh: false}'), viewFromObjects(objects([annotated(`${b64('first')}, ${b64('second pw')}`)])));
    expect(p.problems).toEqual([]);
    expect(p.peers.map((x) => [x.address, x.password])).toEqual([
      ['198.51.100.9', 'first'],
      ['198.51.100.10', 'second pw'],
    ]);
    const some = planRouting(cfg('bgp: {nodeMesh: false}'), viewFromObjects(objects([annotated(`,${b64('second')}`)])));
    expect(some.peers.map((x) => x.password)).toEqual([undefined, 'second']);
  });

  it('skips every annotation peer when the list does not fit, rather than run some unsigned', () => {
    const p = planRouting(cfg('bgp: {nodeMesh: false}'), viewFromObjects(objects([annotated(b64('only-one'))])));
    expect(p.peers).toEqual([]);
    expect(p.problems).toEqual(['node node-b: kube-router.io/peer.passwords: lists 1 passwords for 2 peers (one per entry of kube-router.io/peer.ips); annotation peers skipped']);
    expect(annotationPasswords('not base64!,', 2)).toEqual({ problem: 'entry 1 is not base64' });
    expect(annotationPasswords(`${b64('x'.repeat(81))},`, 2)).toEqual({ problem: 'entry 1 is 81 bytes; TCP MD5 keys have at most 80' });
  });
});

describe('secrets in the files datastore', () => {
  it('reads kind: Secret apart from the objects, data (base64) and stringData merged over it', () => {
    const r = parseManifests(
      [
        'apiVersion: v1\nkind: Secret\nmetadata: {name: bgp, namespace: net}\ndata: {a: ' + b64('from-data') + ', b: ' + b64('overridden') + '}\nstringData: {b: from-stringData}',
        'apiVersion: v1\nkind: Secret\nmetadata: {name: bad}\ndata: {k: "not base64!"}',
      ].join('\n---\n'),
      'secrets.yaml',
    );
    expect(r.objects).toEqual([]);
    expect(r.secrets.map((s) => [s.namespace, s.name, Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, v.toString()]))])).toEqual([
      ['net', 'bgp', { a: 'from-data', b: 'from-stringData' }],
    ]);
    // The problem names the key, never the value.
    expect(r.problems).toEqual([{ source: 'secrets.yaml', index: 1, kind: 'Secret', name: 'bad', reason: 'data.k: must be base64' }]);
  });
});
