// FQDN (hostname) capability (73), draft-walton-bgp-hostname-capability §3: a length-prefixed
// host name and domain name. FRR sends its `hostname`, GoBGP the system host name; both with an
// empty domain.

export interface FqdnCapability {
  readonly type: 'fqdn';
  readonly hostname: string;
  readonly domain: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeFqdn(value: Buffer): FqdnCapability | undefined {
  const hl = value[0];
  if (hl === undefined || value.length < 2 + hl) return undefined;
  const dl = value[1 + hl] ?? 0;
  if (value.length !== 2 + hl + dl) return undefined;
  try {
    return {
      type: 'fqdn',
      hostname: utf8.decode(value.subarray(1, 1 + hl)),
      domain: utf8.decode(value.subarray(2 + hl)),
    };
  } catch {
    return undefined; // not UTF-8: keep it raw rather than lose bytes
  }
}

export function encodeFqdn(c: FqdnCapability): Buffer {
  const h = Buffer.from(c.hostname, 'utf8').subarray(0, 255);
  const d = Buffer.from(c.domain, 'utf8').subarray(0, 255);
  return Buffer.concat([Buffer.from([h.length]), h, Buffer.from([d.length]), d]);
}
