// Entry of dist/meridian-lab-pod.cjs: `meridian-lab-pod SOCKET PORTS` (PORTS: "80,81"). Prints
// "ready" once every port and the control socket listen.

import { servePod } from './pod-server.js';

const [socketPath, portList = '80,81'] = process.argv.slice(2);
if (socketPath === undefined) {
  process.stderr.write('usage: meridian-lab-pod SOCKET PORTS\n');
  process.exit(2);
}
const ports = portList === '' ? [] : portList.split(',').map(Number);
servePod(socketPath, ports).then(
  () => process.stdout.write('ready\n'),
  (e: unknown) => {
    process.stderr.write(`meridian-lab-pod: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
