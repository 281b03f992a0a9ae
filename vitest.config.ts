import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not threads: netns tests spawn processes and install signal handlers per process.
    pool: 'forks',
    globalSetup: ['test/harness/global-setup.ts'],
    // Every file in test/netns, interop, lab and e2e: the root namespace is unchanged after it.
    setupFiles: ['test/harness/kernel-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test/harness/summary-reporter.ts'],
  },
});
