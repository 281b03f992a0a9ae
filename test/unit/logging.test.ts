import { describe, expect, it } from 'vitest';
import { resolveLogLevel } from '../../src/logging/logger.js';

describe('resolveLogLevel', () => {
  it('prefers the environment, then config, then info', () => {
    expect(resolveLogLevel({ env: {} })).toBe('info');
    expect(resolveLogLevel({ configLevel: 'warn', env: {} })).toBe('warn');
    expect(resolveLogLevel({ configLevel: 'warn', env: { MERIDIAN_LOG_LEVEL: 'DEBUG ' } })).toBe('debug');
  });
  it('ignores an unknown environment value instead of failing', () => {
    expect(resolveLogLevel({ configLevel: 'error', env: { MERIDIAN_LOG_LEVEL: 'loud' } })).toBe('error');
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line at or above the level', async () => {
    const { mkdtempSync, openSync, closeSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createLogger } = await import('../../src/logging/logger.js');
    const file = join(mkdtempSync(join(tmpdir(), 'mrd-log-')), 'log');
    const fd = openSync(file, 'w');
    const log = createLogger({ level: 'warn', name: 'test', destination: fd });
    log.info('hidden');
    log.warn({ peer: '192.0.2.1' }, 'session down');
    closeSync(fd);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, name: 'test', peer: '192.0.2.1', msg: 'session down' });
    expect(typeof lines[0]?.['time']).toBe('string');
  });
});
