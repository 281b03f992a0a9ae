// Prints one plain closing line, "vitest: N passed, N failed[, N skipped]", after vitest's own
// summary, so CI and any log reader can count results without parsing vitest's layout.

import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

function count(tasks: readonly TaskLike[], acc = { passed: 0, failed: 0, skipped: 0 }) {
  for (const t of tasks) {
    if (t.tasks !== undefined) {
      const failedBefore = acc.failed;
      count(t.tasks, acc);
      // A file or suite that failed while none of its tests did: it failed to load, or a
      // beforeAll/afterAll hook failed (the root namespace guard's among them). It must not read
      // as success.
      if (t.result?.state === 'fail' && acc.failed === failedBefore) acc.failed++;
    }
    if (t.type !== 'test') continue;
    const state = t.result?.state;
    if (state === 'pass') acc.passed++;
    else if (state === 'fail') acc.failed++;
    else acc.skipped++;
  }
  return acc;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: readonly TaskLike[] = [], errors: readonly unknown[] = []): void {
    const c = count(files);
    const failed = c.failed + errors.length;
    process.stdout.write(`\nvitest: ${c.passed} passed, ${failed} failed${c.skipped > 0 ? `, ${c.skipped} skipped` : ''}\n`);
  }
}
