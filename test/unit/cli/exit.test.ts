// Exit code 2 (bad input): the errors src/cli/exit.ts maps to it, and docs/architecture.md's list of
// them, kept in step in both directions.

import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/agent/config.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeFor } from '../../../src/cli/exit.js';
import { ManifestDirError } from '../../../src/k8s/manifests-dir.js';
import { LabError, LabInputError } from '../../../src/lab/errors.js';
import { ExecError } from '../../../src/net/runner.js';
import { PolicyQueryError } from '../../../src/policy/explain.js';

const source = readFileSync(new URL('../../../src/cli/exit.ts', import.meta.url), 'utf8');
const doc = readFileSync(new URL('../../../docs/architecture.md', import.meta.url), 'utf8');

/** Class names on the lines of exitCodeFor that return EXIT_USAGE. */
const mapped = source
  .split('\n')
  .filter((l) => l.includes('EXIT_USAGE') && l.includes('instanceof'))
  .flatMap((l) => [...l.matchAll(/instanceof (\w+)/g)].map((m) => m[1] ?? ''));

/** Error names in the first column of the exit-2 table of docs/architecture.md. */
const section = doc.slice(doc.indexOf('## Errors and exit codes'));
const documented = [...section.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1] ?? '');

describe('exit code 2', () => {
  it('docs/architecture.md lists exactly the errors exit.ts maps to 2', () => {
    expect(mapped.length).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual([...new Set(mapped)].sort());
  });

  it('maps each of them to 2, and others to 1', () => {
    const usage = [
      new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"),
      new ConfigError('c.yaml', [{ field: 'bgp.asn', message: 'bad' }]),
      new PolicyQueryError('pod x/a not found'),
      new ManifestDirError('/nope', 'cannot read manifests directory', undefined),
      new LabInputError('--nodes: 1 to 50'),
    ];
    expect(usage.map((e) => e.constructor.name).sort()).toEqual([...documented].sort());
    for (const e of usage) expect(exitCodeFor(e), e.constructor.name).toBe(EXIT_USAGE);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(EXIT_OK);
    expect(exitCodeFor(new ExecError({ argv: ['ip'], exitCode: 1, stderr: '' }))).toBe(EXIT_FAILURE);
    expect(exitCodeFor(new LabError('x'))).toBe(EXIT_FAILURE);
    expect(exitCodeFor(new Error('x'))).toBe(EXIT_FAILURE);
  });
});
