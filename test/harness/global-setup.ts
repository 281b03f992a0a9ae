// Runs once before the suite. Namespaces left by an earlier run that was killed outright (SIGKILL
// skips every handler) are removed by their dead owner's PID. Root is not required here: unit tests
// need nothing, and each kernel test asks for root when it builds its world (World, requireRoot).
// Without root there is nothing to sweep: only root can have made those namespaces.

import { sweepStale } from './netns.js';

export default function setup(): void {
  if (process.getuid?.() !== 0) return;
  const swept = sweepStale();
  if (swept.length > 0) console.warn(`removed ${swept.length} namespaces left by earlier test runs: ${swept.join(', ')}`);
}
