// Each malformed env var and config field -> the spec's code and a message naming it, through the
// real skeleton and handler table (with a fake kernel runner and in-memory IPAM, so nothing here
// touches the kernel; bad input fails before any wiring).

import { describe, expect, it } from 'vitest';
import { cniHandlers } from '../../src/cni/handlers.js';
import { memoryStore } from '../../src/cni/ipam/store.js';
import { runSkel } from '../../src/cni/skel.js';
import { fakeRunner } from '../../src/net/fake-runner.js';

const ENV = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/nonexistent/netns', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' };
const CONF = { cniVersion: '1.1.0', name: 'meridian', type: 'meridian-cni', ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: '/nonexistent' } };

async function run(env: Record<string, string | undefined>, stdin: string): Promise<{ status: number; out: Record<string, unknown> }> {
  const fake = fakeRunner();
  let stdout = '';
  const status = await runSkel(cniHandlers({ run: fake.run, now: () => 0, store: () => memoryStore() }), {
    env,
    readStdin: () => stdin,
    writeStdout: (s) => (stdout += s),
    writeStderr: () => undefined,
  });
  expect(fake.calls).toEqual([]);
  return { status, out: stdout === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>) };
}

const conf = (patch: Record<string, unknown>): string => JSON.stringify({ ...CONF, ...patch });

describe('error codes', () => {
  it.each([
    ['no CNI_COMMAND', { ...ENV, CNI_COMMAND: undefined }, JSON.stringify(CONF), 4, /CNI_COMMAND/],
    ['unknown CNI_COMMAND', { ...ENV, CNI_COMMAND: 'FROB' }, JSON.stringify(CONF), 4, /FROB/],
    // pkg/skel and Debian's plugins: code 4 (missing env variables), not 3 (unknown container).
    ['no CNI_CONTAINERID', { ...ENV, CNI_CONTAINERID: undefined }, JSON.stringify(CONF), 4, /CNI_CONTAINERID/],
    ['no CNI_CONTAINERID on DEL', { ...ENV, CNI_COMMAND: 'DEL', CNI_CONTAINERID: undefined }, JSON.stringify(CONF), 4, /CNI_CONTAINERID/],
    // Env variables are checked before stdin, as skel does: bad stdin does not hide them.
    ['no CNI_CONTAINERID and garbage stdin', { ...ENV, CNI_CONTAINERID: undefined }, '{not json', 4, /\[CNI_CONTAINERID\] missing/],
    ['every missing variable named', { CNI_COMMAND: 'CHECK' }, '{not json', 4, /\[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME\] missing/],
    ['bad CNI_CONTAINERID', { ...ENV, CNI_CONTAINERID: 'a/b' }, JSON.stringify(CONF), 4, /CNI_CONTAINERID/],
    ['no CNI_NETNS on ADD', { ...ENV, CNI_NETNS: undefined }, JSON.stringify(CONF), 4, /CNI_NETNS/],
    ['no CNI_IFNAME', { ...ENV, CNI_IFNAME: undefined }, JSON.stringify(CONF), 4, /CNI_IFNAME/],
    ['CNI_IFNAME too long', { ...ENV, CNI_IFNAME: 'a-very-long-ifname' }, JSON.stringify(CONF), 4, /CNI_IFNAME/],
    ['CNI_IFNAME with /', { ...ENV, CNI_IFNAME: 'et/h0' }, JSON.stringify(CONF), 4, /CNI_IFNAME/],
    ['CNI_ARGS not K=V', { ...ENV, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME' }, JSON.stringify(CONF), 4, /CNI_ARGS .*invalid pair/],
    ['CNI_ARGS unknown key', { ...ENV, CNI_ARGS: 'K8S_POD_NAME=a;FOO=1' }, JSON.stringify(CONF), 4, /CNI_ARGS .*FOO/],
    ['garbage stdin', ENV, '{not json', 6, /not valid JSON/],
    ['stdin not an object', ENV, '[1]', 6, /object/],
    ['no cniVersion', ENV, conf({ cniVersion: undefined }), 7, /cniVersion/],
    ['unknown cniVersion', ENV, conf({ cniVersion: '0.3.1' }), 1, /0\.3\.1/],
    ['bad network name', ENV, conf({ name: 'bad name' }), 7, /name/],
    ['no ipam', ENV, conf({ ipam: undefined }), 7, /ipam/],
    ['delegated ipam', ENV, conf({ ipam: { type: 'host-local', ranges: [] } }), 2, /ipam\.type.*host-local/],
    ['ipMasq', ENV, conf({ ipMasq: true }), 2, /ipMasq=true/],
    ['mtu not a number', ENV, conf({ mtu: 'big' }), 7, /mtu/],
    ['mtu too small', ENV, conf({ mtu: 100 }), 7, /mtu/],
    ['empty ranges', ENV, conf({ ipam: { ranges: [] } }), 7, /ipam\.ranges/],
    ['subnet with host bits', ENV, conf({ ipam: { ranges: [[{ subnet: '10.0.0.1/24' }]] } }), 7, /ipam\.ranges\[0\]\[0\]\.subnet/],
    ['rangeStart outside', ENV, conf({ ipam: { ranges: [[{ subnet: '10.0.0.0/24', rangeStart: '10.1.0.1' }]] } }), 7, /rangeStart/],
    ['two IPv4 range sets', ENV, conf({ ipam: { ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.1.0.0/24' }]] } }), 7, /one range set per address family/],
    ['bad runtimeConfig.mac', ENV, conf({ runtimeConfig: { mac: '01:00:5e:00:00:01' } }), 7, /runtimeConfig\.mac/],
    ['missing netns', ENV, JSON.stringify(CONF), 3, /does not exist/],
    ['CHECK without prevResult', { ...ENV, CNI_COMMAND: 'CHECK' }, JSON.stringify(CONF), 7, /prevResult/],
    ['GC at 1.0.0', { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, conf({ cniVersion: '1.0.0' }), 1, /GC needs cniVersion 1\.1\.0/],
    ['STATUS at 0.4.0', { CNI_COMMAND: 'STATUS' }, conf({ cniVersion: '0.4.0' }), 1, /STATUS/],
    ['GC without the attachment list', { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, JSON.stringify(CONF), 7, /valid-attachments/],
  ])('%s', async (_what, env, stdin, code, msg) => {
    const r = await run(env, stdin);
    expect(r.status).toBe(1);
    expect(r.out['code']).toBe(code);
    expect(String(r.out['msg'])).toMatch(msg);
    expect(typeof r.out['cniVersion']).toBe('string');
  });

  it('VERSION answers without stdin', async () => {
    const r = await run({ CNI_COMMAND: 'VERSION' }, '');
    expect(r).toEqual({ status: 0, out: { cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] } });
  });

  it('the error JSON carries the config version', async () => {
    const r = await run({ ...ENV, CNI_IFNAME: undefined }, conf({ cniVersion: '0.4.0' }));
    expect(r.out['cniVersion']).toBe('0.4.0');
  });
});
