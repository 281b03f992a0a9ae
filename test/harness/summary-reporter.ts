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
    if (t.tasks !== undefined) count(t.tasks, acc);
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
    // A file that failed to load has no tests but must not read as success.
    const failed = c.failed + files.filter((f) => f.result?.state === 'fail' && (f.tasks ?? []).length === 0).length + errors.length;
    process.stdout.write(`\nvitest: ${c.passed} passed, ${failed} failed${c.skipped > 0 ? `, ${c.skipped} skipped` : ''}\n`);
  }
}
