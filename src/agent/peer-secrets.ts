// The Secrets that BGPPeers name for their TCP MD5 passwords, kept for the routing planner
// (peer-passwords.ts). They are read through a SecretReader (one GET each from the API server, or
// the files datastore's directory), in the agent's own namespace only:
// - a name seen for the first time is read before the plan that needs it;
// - every name is read again when the BGPPeers change (a new ref may point at a rotated Secret)
//   and every `refreshMs` (Secrets are not watched), and `onChange` fires when anything differs,
//   so the agent plans again and the speaker restarts the sessions whose password changed;
// - a read that fails keeps the last good value (fail static, as for the datastore); with none,
//   the Secret counts as unreadable and its peers are skipped.
// Time is injected (setTimer), so tests drive the refresh without waiting.

import type { SecretReader } from '../k8s/secrets.js';
import type { SecretState } from './peer-passwords.js';
import type { Timer } from './view.js';

export interface PeerSecretsOptions {
  readonly reader: SecretReader;
  readonly namespace: string;
  readonly refreshMs?: number;
  readonly setTimer: (ms: number, fn: () => void) => Timer;
  /** A Secret read periodically differs from the one planned with. */
  readonly onChange: () => void;
  /** A read failed (the name and why; never a value). */
  readonly onError?: (name: string, err: unknown) => void;
}

/** Comparable text of a state; only compared, never shown (it holds the values). */
function fingerprint(s: SecretState | undefined): string {
  if (s === undefined) return '';
  if (!s.found) return `!${s.reason}`;
  return JSON.stringify(Object.entries(s.data).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString('base64')]));
}

export class PeerSecrets {
  private readonly opts: PeerSecretsOptions;
  private readonly states = new Map<string, SecretState>();
  private wanted: readonly string[] = [];
  private timer: Timer | undefined;
  private stopped = false;

  constructor(opts: PeerSecretsOptions) {
    this.opts = opts;
  }

  /**
   * The Secrets `names` as the planner needs them. Names never read are read now; with `reread`
   * (the BGPPeers changed) all of them are.
   */
  async resolve(names: readonly string[], opts: { reread: boolean }): Promise<ReadonlyMap<string, SecretState>> {
    this.wanted = names;
    const toRead = opts.reread ? names : names.filter((n) => !this.states.has(n));
    await Promise.all(toRead.map((n) => this.read(n)));
    for (const n of [...this.states.keys()]) if (!names.includes(n)) this.states.delete(n);
    this.arm();
    return new Map(names.flatMap((n) => {
      const s = this.states.get(n);
      return s === undefined ? [] : [[n, s] as const];
    }));
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Read one Secret into `states`; true when it differs from what was there. */
  private async read(name: string): Promise<boolean> {
    const before = fingerprint(this.states.get(name));
    let next: SecretState;
    try {
      const s = await this.opts.reader.read(this.opts.namespace, name);
      next = s === undefined ? { found: false, reason: 'not found' } : { found: true, data: s.data };
    } catch (e) {
      this.opts.onError?.(name, e);
      const kept = this.states.get(name);
      if (kept !== undefined) return false;
      next = { found: false, reason: `could not be read (${e instanceof Error ? e.message : String(e)})` };
    }
    this.states.set(name, next);
    return fingerprint(next) !== before;
  }

  private arm(): void {
    if (this.stopped || this.timer !== undefined || this.wanted.length === 0) return;
    this.timer = this.opts.setTimer(this.opts.refreshMs ?? 30_000, () => {
      this.timer = undefined;
      void this.refresh();
    });
  }

  private async refresh(): Promise<void> {
    const changed = await Promise.all(this.wanted.map((n) => this.read(n)));
    if (this.stopped) return;
    if (changed.some((c) => c)) this.opts.onChange();
    this.arm();
  }
}
