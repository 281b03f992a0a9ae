import { describe, expect, it } from 'vitest';
import { CniError } from '../../../src/cni/errors.js';
import { parseRequest } from '../../../src/cni/request.js';
import { runSkel } from '../../../src/cni/skel.js';

const conf = (v = '1.1.0', extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: v, name: 'meridian', type: 'meridian-cni', ...extra });
const addEnv = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '/var/run/netns/cni-1', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };

function codeOf(env: Record<string, string>, stdin: string): number {
  try {
    parseRequest(env, () => stdin);
  } catch (e) {
    if (e instanceof CniError) return e.cniCode;
    throw e;
  }
  return 0;
}

describe('parseRequest', () => {
  it('answers VERSION without reading stdin', () => {
    expect(parseRequest({ CNI_COMMAND: 'VERSION' }, () => { throw new Error('stdin read'); })).toEqual({ verb: 'VERSION' });
  });

  it('parses a valid ADD', () => {
    const r = parseRequest(addEnv, () => conf('1.0.0'));
    expect(r).toMatchObject({ verb: 'ADD', containerId: 'abc123', netns: '/var/run/netns/cni-1', ifname: 'eth0', conf: { cniVersion: '1.0.0' } });
  });

  it('does not read stdin when a required env variable is missing', () => {
    const env = { ...addEnv, CNI_NETNS: '' };
    expect(() => parseRequest(env, () => { throw new Error('stdin read'); })).toThrow('required env variables [CNI_NETNS] missing');
  });

  it('lets DEL run without a netns', () => {
    const { CNI_NETNS: _gone, ...env } = addEnv;
    expect(parseRequest({ ...env, CNI_COMMAND: 'DEL' }, () => conf())).toMatchObject({ verb: 'DEL', netns: undefined });
  });

  it.each([
    ['missing CNI_COMMAND', {}, conf(), 4],
    ['unknown CNI_COMMAND', { ...addEnv, CNI_COMMAND: 'FROB' }, conf(), 4],
    ['stdin not JSON', addEnv, '{nope', 6],
    ['stdin not an object', addEnv, '[1]', 6],
    ['unsupported version', addEnv, conf('0.3.1'), 1],
    ['missing cniVersion', addEnv, JSON.stringify({ name: 'n', type: 't' }), 7],
    ['bad network name', addEnv, JSON.stringify({ cniVersion: '1.0.0', name: '-bad', type: 't' }), 7],
    ['missing container id', { ...addEnv, CNI_CONTAINERID: '' }, conf(), 4],
    ['missing container id, stdin not JSON', { ...addEnv, CNI_CONTAINERID: '' }, '{nope', 4],
    ['missing ifname on DEL, stdin not JSON', { ...addEnv, CNI_COMMAND: 'DEL', CNI_IFNAME: '' }, '{nope', 4],
    ['bad container id, stdin not JSON (the config is read first, as skel does)', { ...addEnv, CNI_CONTAINERID: 'a/b' }, '{nope', 6],
    ['bad container id', { ...addEnv, CNI_CONTAINERID: 'a/b' }, conf(), 4],
    ['missing netns on ADD', { ...addEnv, CNI_NETNS: '' }, conf(), 4],
    ['ifname too long', { ...addEnv, CNI_IFNAME: 'a-very-long-ifname' }, conf(), 4],
    ['ifname with slash', { ...addEnv, CNI_IFNAME: 'eth/0' }, conf(), 4],
    ['GC on an old config', { CNI_COMMAND: 'GC' }, conf('1.0.0'), 1],
    ['STATUS on 1.1.0', { CNI_COMMAND: 'STATUS' }, conf('1.1.0'), 0],
  ] as [string, Record<string, string>, string, number][])('%s -> code %i', (_name, env, stdin, code) => {
    expect(codeOf(env, stdin)).toBe(code);
  });
});

describe('runSkel', () => {
  async function run(env: Record<string, string>, stdin: string) {
    let out = '';
    let err = '';
    const status = await runSkel({}, { env, readStdin: () => stdin, writeStdout: (s) => (out += s), writeStderr: (s) => (err += s) });
    return { status, out, err };
  }

  it('prints version info for VERSION', async () => {
    const r = await run({ CNI_COMMAND: 'VERSION' }, '');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
  });

  it('prints the error JSON on stdout in the config version, and a line on stderr', async () => {
    const r = await run({ ...addEnv, CNI_IFNAME: '' }, conf('1.0.0'));
    expect(r.status).toBe(1);
    expect(JSON.parse(r.out)).toEqual({ cniVersion: '1.0.0', code: 4, msg: 'required env variables [CNI_IFNAME] missing' });
    expect(r.err).toContain('required env variables [CNI_IFNAME] missing');
  });
});
