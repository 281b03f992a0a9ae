// Runs once before the suite: kernel tests need root, and namespaces left by an earlier run that
// was killed outright (SIGKILL skips every handler) are removed by their dead owner's PID.

import { requireRoot, sweepStale } from './netns.js';

export default function setup(): void {
  requireRoot();
  const swept = sweepStale();
  if (swept.length > 0) console.warn(`removed ${swept.length} namespaces left by earlier test runs: ${swept.join(', ')}`);
}
