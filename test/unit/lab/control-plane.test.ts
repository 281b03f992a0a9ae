// `meridian lab up --apiserver` without the test servers: the error says how to get them.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { k8sBinaries } from '../../../src/lab/control-plane.js';

const saved = process.env['MERIDIAN_K8S_BIN'];
afterEach(() => {
  if (saved === undefined) delete process.env['MERIDIAN_K8S_BIN'];
  else process.env['MERIDIAN_K8S_BIN'] = saved;
});

describe('k8sBinaries', () => {
  it('names the missing binaries and the command that builds them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-k8s-bin-'));
    process.env['MERIDIAN_K8S_BIN'] = dir;
    try {
      expect(() => k8sBinaries()).toThrow(
        new RegExp(`^${dir}/etcd and ${dir}/kube-apiserver not found: build them with \`bash test/servers/build.sh\` as root \\(it fetches a Go toolchain`),
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
