// Entry point of the `meridian` binary.

import { buildProgram } from './program.js';
import { exitCodeFor, messageFor } from './exit.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  const msg = messageFor(e);
  if (msg !== undefined) process.stderr.write(msg + '\n');
  process.exitCode = exitCodeFor(e);
}
