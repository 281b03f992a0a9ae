// How the suite is set up around the test files: which files get the root-namespace guard
// (test/harness/kernel-setup.ts), and that unit tests run without root (global-setup.ts asks
// for nothing; a kernel test asks for root when it builds its world).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isGuarded, isKernelTestFile } from '../../harness/root-snapshot.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

describe('root namespace guard: which files', () => {
  it.each([
    ['test/netns/cni-blackbox.test.ts', true],
    ['test/netns/policy-updates.test.ts', true],
    ['test/interop/meridian-ibgp.test.ts', true],
    ['test/lab/lab-mesh.test.ts', true],
    ['test/e2e/agent.test.ts', true],
    ['test/unit/agent/config.test.ts', false],
    ['test/cni/allocator.test.ts', false],
    ['test/cli/binaries.test.ts', false],
    ['netns/elsewhere.test.ts', false],
  ])('%s: %s', (file, kernel) => {
    expect(isKernelTestFile(REPO + file)).toBe(kernel);
  });

  it('leaves unit test files alone', () => {
    expect(isGuarded(fileURLToPath(import.meta.url))).toBe(false);
  });
});

describe('unit tests without root', () => {
  // Only root can become another user; a run that is not root shows this by running at all.
  it.runIf(process.getuid?.() === 0)('run as nobody: global setup asks for no root', () => {
    const r = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'node_modules/vitest/vitest.mjs', 'run', '--configLoader', 'runner', 'test/unit/logging.test.ts'],
      // --configLoader runner: vite would write the bundled config into node_modules, which is root's.
      { cwd: REPO, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: '/tmp', CI: 'true' }, timeout: 60_000 },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/vitest: \d+ passed, 0 failed/);
  });
});
