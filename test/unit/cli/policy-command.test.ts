// `meridian policy ...` in-process: output shapes, and exit code 2 for bad input.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { exitCodeFor } from '../../../src/cli/exit.js';

const DIR = new URL('../../fixtures/policy/e2e', import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    await buildProgram().configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) }).parseAsync(['node', 'meridian', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: exitCodeFor(e), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('meridian policy', () => {
  it('explain --json prints the contract shape and exits 0 on a denial', async () => {
    const r = await run(['policy', 'explain', '--objects', DIR, '--from', 'z/a', '--to', 'x/a', '--port', '80/tcp', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { allowed: boolean; egress: { allowed: boolean; policies: unknown[] }; ingress: { allowed: boolean; policies: unknown[] } };
    expect(j.allowed).toBe(false);
    expect(j.egress).toMatchObject({ allowed: true, policies: [] });
    expect(j.ingress).toMatchObject({ allowed: false, policies: [{ namespace: 'x', name: 'allow-y-to-a', rule: null }] });
    expect(r.stderr).toContain('skipped broken.yaml document 2 Gadget nope: kind Gadget: not supported');
  });

  it('a NetworkPolicy with a rule it cannot use still isolates the pods it selects (fail closed)', async () => {
    const r = await run(['policy', 'explain', '--objects', DIR, '--from', 'x/b', '--to', 'y/a', '--port', '81/tcp', '--json']);
    const j = JSON.parse(r.stdout) as { allowed: boolean; ingress: { allowed: boolean; policies: unknown[] } };
    expect(j.allowed).toBe(false);
    expect(j.ingress).toMatchObject({ allowed: false, policies: [{ namespace: 'y', name: 'bad-except', rule: null }] });
    expect(r.stderr).toContain('used in part broken.yaml document 1 NetworkPolicy bad-except: used fail-closed: spec.ingress[0].from[0].ipBlock.except[0]');
    expect(r.stderr).toContain('used in part broken.yaml document 0 NetworkPolicy bad-operator: used fail-closed: spec.podSelector');
    // Its neighbour, which no policy selects, stays reachable.
    const open = await run(['policy', 'explain', '--objects', DIR, '--from', 'x/b', '--to', 'y/c', '--port', '81/tcp', '--json']);
    expect((JSON.parse(open.stdout) as { allowed: boolean }).allowed).toBe(true);
  });

  it('explain names the allowing rule', async () => {
    const r = await run(['policy', 'explain', '--objects', DIR, '--from', 'x/b', '--to', 'y/c', '--port', '81', '--json']);
    const j = JSON.parse(r.stdout) as { allowed: boolean; egress: { policies: unknown[] } };
    expect(j.allowed).toBe(true);
    expect(j.egress.policies).toEqual([{ namespace: 'x', name: 'egress-z-and-dns', rule: 2 }]);
  });

  it('matrix --json has one result per ordered pair, port and protocol', async () => {
    const r = await run(['policy', 'matrix', '--objects', DIR, '--ports', '80,81', '--protocols', 'TCP,UDP', '--json']);
    const m = JSON.parse(r.stdout) as { pods: string[]; results: { from: string; to: string; port: number; protocol: string; allowed: boolean }[] };
    expect(m.pods).toEqual(['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c']);
    expect(m.results).toHaveLength(9 * 8 * 2 * 2);
    expect(m.results[0]).toEqual({ from: 'x/a', to: 'x/b', port: 80, protocol: 'TCP', allowed: false });
  });

  it('compile prints ipset then iptables and ip6tables restore text, identical on every run', async () => {
    const a = await run(['policy', 'compile', '--objects', DIR, '--node', 'node-1']);
    const b = await run(['policy', 'compile', '--objects', DIR, '--node', 'node-1']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.indexOf('create mrd-')).toBeLessThan(a.stdout.indexOf('# iptables-restore'));
    expect(a.stdout).toContain('# ip6tables-restore');
    const j = await run(['policy', 'compile', '--objects', DIR, '--node', 'node-1', '--format', 'json']);
    expect(JSON.parse(j.stdout)).toHaveProperty('v4.chains');
  });

  const bad: string[][] = [
    ['policy', 'explain', '--objects', DIR, '--from', 'x/a', '--to', 'x/nope', '--port', '80'],
    ['policy', 'explain', '--objects', DIR, '--from', 'xa', '--to', 'x/b', '--port', '80'],
    ['policy', 'explain', '--objects', DIR, '--from', 'x/a', '--to', 'x/b', '--port', '80/icmp'],
    ['policy', 'explain', '--objects', DIR, '--from', 'x/a', '--to', 'x/b', '--port', '0'],
    ['policy', 'explain', '--objects', DIR, '--from', 'x/a', '--to', 'x/b'],
    ['policy', 'matrix', '--objects', DIR, '--ports', '80,eighty'],
    ['policy', 'matrix', '--objects', '/nonexistent/dir'],
    ['policy', 'compile', '--objects', DIR, '--node', 'node-1', '--format', 'xml'],
    ['policy', 'compile', '--objects', DIR],
  ];
  for (const args of bad) {
    it(`exits 2 on bad input: ${args.slice(1).join(' ').replace(DIR, 'DIR')}`, async () => {
      expect((await run(args)).code).toBe(2);
    });
  }
});
