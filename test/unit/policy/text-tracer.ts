// An independent tracer over the *rendered* restore text (IPv4 only): it parses the `ipset
// restore` and `iptables-restore` lines the kernel would get and walks them with its own small
// netfilter model. It shares no code with src/policy/evaluate.ts, so when explain (which walks
// the IR) and this tracer agree, the renderer and the evaluator agree on what the rules mean.

function ip4(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not IPv4: ${s}`);
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

function inNet(addr: number, net: string): { hit: boolean; len: number } {
  const [base = '', lenText] = net.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { hit: ((addr & mask) >>> 0) === ((ip4(base) & mask) >>> 0), len };
}

interface TextSet {
  type: string;
  entries: { entry: string; nomatch: boolean }[];
}

function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

export interface TextPacket {
  src: string;
  dst: string;
  proto: string;
  dport: number;
  inIface: string;
  outIface: string;
}

export class TextTracer {
  private readonly sets = new Map<string, TextSet>();
  private readonly chains = new Map<string, string[][]>();

  constructor(restore: string) {
    let table = '';
    for (const raw of restore.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) {
        if (line.startsWith('# ip6tables')) table = 'v6';
        else if (line.startsWith('# iptables')) table = 'v4';
        continue;
      }
      const t = tokenize(line);
      if (table === '') {
        if (t[0] === 'create') this.sets.set(t[1] ?? '', { type: t[2] ?? '', entries: [] });
        if (t[0] === 'add') this.sets.get(t[1] ?? '')?.entries.push({ entry: t[2] ?? '', nomatch: t[3] === 'nomatch' });
        continue;
      }
      if (table !== 'v4') continue;
      if (t[0] === '-A') this.rules(t[1] ?? '').push(t.slice(2));
      if (t[0] === '-I') this.rules(t[1] ?? '').unshift(t.slice(3));
    }
  }

  private rules(chain: string): string[][] {
    let r = this.chains.get(chain);
    if (r === undefined) this.chains.set(chain, (r = []));
    return r;
  }

  private inSet(name: string, p: TextPacket, dir: string): boolean {
    const s = this.sets.get(name);
    if (s === undefined) throw new Error(`no set ${name}`);
    const addr = dir === 'src' ? p.src : p.dst;
    if (s.type === 'hash:ip') return s.entries.some((e) => e.entry === addr);
    if (s.type === 'hash:ip,port') return s.entries.some((e) => e.entry === `${p.dst},${p.proto}:${p.dport}`);
    let best: { len: number; nomatch: boolean } | undefined;
    for (const e of s.entries) {
      const r = inNet(ip4(addr), e.entry);
      if (r.hit && (best === undefined || r.len > best.len)) best = { len: r.len, nomatch: e.nomatch };
    }
    return best !== undefined && !best.nomatch;
  }

  /** 'accept' | 'drop' | 'continue' (our chains returned to FORWARD). */
  trace(p: TextPacket): string {
    let mark = 0;
    const stack: { chain: string; i: number }[] = [{ chain: 'FORWARD', i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const rule = this.chains.get(top.chain)?.[top.i];
      if (rule === undefined) {
        stack.pop();
        continue;
      }
      top.i++;
      let ok = true;
      let target: string[] = [];
      for (let k = 0; k < rule.length && ok; k++) {
        const tok = rule[k];
        const arg = rule[k + 1] ?? '';
        switch (tok) {
          case '-i':
            ok = arg.endsWith('+') ? p.inIface.startsWith(arg.slice(0, -1)) : p.inIface === arg;
            k++;
            break;
          case '-o':
            ok = arg.endsWith('+') ? p.outIface.startsWith(arg.slice(0, -1)) : p.outIface === arg;
            k++;
            break;
          case '-p':
            ok = p.proto === arg;
            k++;
            break;
          case '--dport': {
            const [lo = '0', hi] = arg.split(':');
            ok = p.dport >= Number(lo) && p.dport <= Number(hi ?? lo);
            k++;
            break;
          }
          case '--match-set':
            ok = this.inSet(arg, p, rule[k + 2] ?? '');
            k += 2;
            break;
          case '--mark': {
            const [v = '0', m = '0'] = arg.split('/');
            ok = (mark & Number(m)) === Number(v);
            k++;
            break;
          }
          case '--ctstate':
            ok = arg.split(',').includes('NEW');
            k++;
            break;
          case '--comment':
          case '-m':
            k++;
            break;
          case '-j':
          case '-g':
            target = rule.slice(k);
            k = rule.length;
            break;
          default:
            throw new Error(`tracer does not know ${tok} in ${rule.join(' ')}`);
        }
      }
      if (!ok) continue;
      const [how, name = '', ...rest] = target;
      if (name === 'ACCEPT') return 'accept';
      if (name === 'DROP') return 'drop';
      if (name === 'RETURN') stack.pop();
      else if (name === 'MARK') {
        const [v = '0', m = '0'] = (rest[1] ?? '').split('/');
        mark = ((mark & ~Number(m)) ^ Number(v)) >>> 0;
      } else if (how === '-g') stack[stack.length - 1] = { chain: name, i: 0 };
      else stack.push({ chain: name, i: 0 });
    }
    return 'continue';
  }
}
