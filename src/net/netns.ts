// Network namespaces and the links between them, for `meridian lab`: create, wire, list, delete.
// Only namespaces whose names the caller made are ever deleted; deleting one first ends what still
// runs inside it (by PID, from `ip netns pids`), since a namespace with live processes outlives
// `ip netns del` and keeps its interfaces.

import { ipBatch } from './ip.js';
import type { Runner } from './runner.js';

export async function listNetns(run: Runner): Promise<string[]> {
  const r = await run({ argv: ['ip', 'netns', 'list'] });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Create `name` with its loopback up; an existing namespace of that name is an error. */
export async function addNetns(run: Runner, name: string): Promise<void> {
  await run({ argv: ['ip', 'netns', 'add', name] });
  await ipBatch(run, ['link set lo up'], { netns: name });
}

export async function netnsPids(run: Runner, name: string): Promise<number[]> {
  const r = await run({ argv: ['ip', 'netns', 'pids', name], okExitCodes: [1] });
  return r.stdout
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
}

/** End every process inside `name` (SIGKILL, by PID) and delete it. Missing is fine. */
export async function deleteNetns(run: Runner, name: string): Promise<void> {
  if (!(await listNetns(run)).includes(name)) return;
  for (const pid of await netnsPids(run, name)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await run({ argv: ['ip', 'netns', 'del', name], okExitCodes: [1] });
}

function addrLines(dev: string, addrs: readonly string[]): string[] {
  return addrs.map((a) => `addr add ${a} dev ${dev}${a.includes(':') ? ' nodad' : ''}`);
}

export interface VethEnd {
  readonly netns: string;
  readonly name: string;
  readonly addrs?: readonly string[];
  /** Enslave this end to a bridge in its namespace. */
  readonly master?: string;
}

/** A veth pair between two namespaces, both ends up (bridge ports enslaved, addresses added). */
export async function addVeth(run: Runner, a: VethEnd, b: VethEnd): Promise<void> {
  const tail = (e: VethEnd): string[] => [
    ...addrLines(e.name, e.addrs ?? []),
    ...(e.master !== undefined ? [`link set ${e.name} master ${e.master}`] : []),
    `link set ${e.name} up`,
  ];
  await ipBatch(run, [`link add ${a.name} type veth peer name ${b.name} netns ${b.netns}`, ...tail(a)], { netns: a.netns });
  await ipBatch(run, tail(b), { netns: b.netns });
}

export async function addBridge(run: Runner, netns: string, name: string): Promise<void> {
  await ipBatch(run, [`link add ${name} type bridge`, `link set ${name} up`], { netns });
}
