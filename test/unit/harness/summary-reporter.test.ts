// The closing "vitest: N passed, N failed" line counts every failure, including files whose tests
// all passed but whose afterAll failed (the root namespace guard fails a file that way).

import { afterEach, describe, expect, it, vi } from 'vitest';
import SummaryReporter from '../../harness/summary-reporter.js';

type State = 'pass' | 'fail' | 'skip';
const test = (state: State) => ({ type: 'test', result: { state } });
const suite = (state: State, tasks: object[]) => ({ type: 'suite', result: { state }, tasks });

function line(files: object[], errors: unknown[] = []): string {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  new SummaryReporter().onFinished(files as never, errors);
  return out.trim();
}

afterEach(() => vi.restoreAllMocks());

describe('summary reporter', () => {
  it('counts tests', () => {
    expect(line([suite('fail', [test('pass'), test('fail'), suite('pass', [test('pass'), test('skip')])])])).toBe('vitest: 2 passed, 1 failed, 1 skipped');
  });

  it('counts a file whose tests passed but whose afterAll failed, once', () => {
    expect(line([suite('fail', [test('pass'), test('pass')]), suite('pass', [test('pass')])])).toBe('vitest: 3 passed, 1 failed');
  });

  it('counts a describe whose hook failed, and not its file again', () => {
    expect(line([suite('fail', [suite('fail', [test('pass')]), test('pass')])])).toBe('vitest: 2 passed, 1 failed');
  });

  it('counts a file that failed to load, and unhandled errors', () => {
    expect(line([suite('fail', [])], [new Error('x')])).toBe('vitest: 0 passed, 2 failed');
  });
});
