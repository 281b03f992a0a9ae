import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../src/net/iptables.js';
import { natHookSpec, renderNatRestore, renderNatSets } from '../../../src/routes/masquerade.js';

const n = { enabled: true, podCidrs: ['10.244.2.0/24', 'fd00:10:244:2::/64'], nonMasquerade: ['10.244.1.0/24', '10.244.2.0/24', 'fd00:10:244::/56', '192.168.0.0/16'] };

const saved = (post: string[], ours = false) =>
  parseIptablesSave(['*nat', ':POSTROUTING ACCEPT [0:0]', ...(ours ? [':MERIDIAN-POSTROUTING - [0:0]'] : []), ...post.map((r) => `-A POSTROUTING ${r}`), 'COMMIT'].join('\n')).get('nat');

describe('outbound NAT rendering', () => {
  it('refills the non-masquerade sets through a swap, never leaving them empty', () => {
    expect(renderNatSets(n)).toEqual([
      'create mrd-nomasq4 hash:net family inet -exist',
      'create mrd-nomasq4-tmp hash:net family inet -exist',
      'flush mrd-nomasq4-tmp',
      'add mrd-nomasq4-tmp 10.244.1.0/24',
      'add mrd-nomasq4-tmp 10.244.2.0/24',
      'add mrd-nomasq4-tmp 192.168.0.0/16',
      'swap mrd-nomasq4-tmp mrd-nomasq4',
      'destroy mrd-nomasq4-tmp',
      'create mrd-nomasq6 hash:net family inet6 -exist',
      'create mrd-nomasq6-tmp hash:net family inet6 -exist',
      'flush mrd-nomasq6-tmp',
      'add mrd-nomasq6-tmp fd00:10:244::/56',
      'swap mrd-nomasq6-tmp mrd-nomasq6',
      'destroy mrd-nomasq6-tmp',
    ]);
  });

  it('installs our chain and one hook first in POSTROUTING, keeping foreign rules', () => {
    const kube = '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING';
    expect(renderNatRestore(n, 4, saved([kube]))).toBe(
      [
        '*nat',
        ':MERIDIAN-POSTROUTING - [0:0]',
        '-A MERIDIAN-POSTROUTING -s 10.244.2.0/24 -m set ! --match-set mrd-nomasq4 dst -m addrtype ! --dst-type LOCAL -j MASQUERADE --random-fully',
        `-I POSTROUTING 1 ${natHookSpec()}`,
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('leaves a correct hook alone and repairs a moved or duplicated one', () => {
    const ok = renderNatRestore(n, 4, saved([natHookSpec(), '-j KUBE-POSTROUTING'], true));
    expect(ok).not.toContain('POSTROUTING 1');
    expect(ok).not.toContain('-D POSTROUTING');
    const moved = renderNatRestore(n, 4, saved(['-j KUBE-POSTROUTING', natHookSpec(), natHookSpec()], true));
    expect(moved.match(/-D POSTROUTING/g)).toHaveLength(2);
    expect(moved).toContain(`-I POSTROUTING 1 ${natHookSpec()}`);
  });

  it('removes hook and chain when disabled, and does nothing when there is nothing of ours', () => {
    const off = { ...n, enabled: false };
    expect(renderNatRestore(off, 4, saved([natHookSpec()], true))).toBe(
      ['*nat', ':MERIDIAN-POSTROUTING - [0:0]', `-D POSTROUTING ${natHookSpec()}`, '-X MERIDIAN-POSTROUTING', 'COMMIT', ''].join('\n'),
    );
    expect(renderNatRestore(off, 4, saved([]))).toBe('');
    expect(renderNatSets(off)).toEqual([]);
  });
});
