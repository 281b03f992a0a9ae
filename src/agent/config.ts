// The agent config (DESIGN.md "meridian agent --config FILE"): its schema, its defaults and the
// errors for bad input. Parsing is pure: the environment and hostname are arguments, the file is
// read by config-file.ts. Every default lives in CONFIG_DEFAULTS below and nowhere else;
// docs/configuration.md lists the same values and a unit test keeps the two in step.
// Objects are strict: an unknown key is an error naming it, so a typo never silently falls back
// to a default.

import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { isCanonicalCidr, parseIpValue } from '../ip/address.js';
import { MeridianError } from '../errors.js';
import { LOG_LEVELS } from '../logging/logger.js';
import { DEFAULT_NODE_FILE } from '../cni/names.js';
import { md5KeyLength, TCP_MD5SIG_MAXKEYLEN } from '../net/tcp-md5-struct.js';

export const CONFIG_DEFAULTS = {
  datastore: { type: 'kubernetes' },
  bgp: {
    // Calico's default AS; any private ASN works for an iBGP-only cluster.
    asn: 64512,
    listenAddress: '::',
    listenPort: 179,
    nodeMesh: true,
    peer: {
      port: 179,
      passive: false,
      routeReflectorClient: false,
      // RFC 4271 suggests 90 s; BIRD defaults to 240 and FRR to 180.
      holdTime: 90,
      gracefulRestart: true,
      nextHopSelf: false,
    },
    // RFC 4724 allows up to 4095 s; 120 s is what BIRD and FRR default to.
    gracefulRestartTime: 120,
  },
  routes: {
    // Our own route protocol number, so every route we install is recognisable after a restart.
    // Unassigned in iproute2's rt_protos (BIRD is 12, zebra 11, FRR's bgp 186, babel 42).
    protocol: 180,
    table: 254,
    // Our own metric, so `ip route replace` never matches (and overwrites) a foreign route to the
    // same prefix: the kernel keys routes by destination, table and metric.
    metric: 20,
  },
  policy: { enabled: true },
  // The file meridian-cni reads for "usePodCidr" (DESIGN.md: the plugin never calls the API server).
  cni: { nodeFile: DEFAULT_NODE_FILE },
  clusterCIDRs: [] as string[],
  natOutgoing: { enabled: true, nonMasqueradeCIDRs: [] as string[] },
  statusSocket: '/var/run/meridian/meridian.sock',
  metrics: { listen: '0.0.0.0:9493' },
  logLevel: 'info',
  // Where deploy/ runs the agent; env POD_NAMESPACE (the DaemonSet sets it) comes first.
  namespace: 'kube-system',
} as const;

const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: 'must be an IPv4 or IPv6 address' });
const ipv4Address = z.string().refine((s) => isIP(s) === 4, { message: 'must be an IPv4 address' });
const cidr = z.string().refine(isCidr, { message: 'must be a CIDR without host bits, such as 10.244.0.0/16 or fd00:10:244::/56' });
const port = z.number().int().min(1).max(65535);
// RFC 6793: four-octet AS numbers; 0 is reserved (RFC 7607).
const asn = z.number().int().min(1).max(4294967295);
// RFC 4271 4.2: hold time is 0 or at least 3 seconds.
const holdTime = z
  .number()
  .int()
  .max(65535)
  .refine((v) => v === 0 || v >= 3, { message: 'must be 0 or between 3 and 65535 seconds' });
// RFC 4724 3: the restart time field is 12 bits.
const restartTime = z.number().int().min(1).max(4095);
// A TCP MD5 key (RFC 2385) as the kernel takes it: 1 to 80 bytes (TCP_MD5SIG_MAXKEYLEN).
const md5Password = z.string().refine((s) => md5KeyLength(s) >= 1 && md5KeyLength(s) <= TCP_MD5SIG_MAXKEYLEN, {
  message: `must be 1 to ${TCP_MD5SIG_MAXKEYLEN} bytes (a TCP MD5 key, RFC 2385)`,
});
// A namespace name is a DNS-1123 label.
const namespaceName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: 'must be a Kubernetes namespace name (DNS-1123 label)' });

/** A CIDR with no host bits set (10.244.0.0/16, not 10.244.0.1/16). */
export function isCidr(s: string): boolean {
  return isCanonicalCidr(s);
}

const D = CONFIG_DEFAULTS;

// A prefix list entry matches lengths ge..le (defaults in src/bgp/speaker/policy.ts); a range that
// is empty or runs past the family's width is a mistake, never a filter anyone means.
const prefixMatch = z
  .strictObject({
    cidr,
    ge: z.number().int().min(0).max(128).optional(),
    le: z.number().int().min(0).max(128).optional(),
  })
  .superRefine((m, ctx) => {
    if (!isCidr(m.cidr)) return;
    const length = Number(m.cidr.split('/')[1]);
    const width = m.cidr.includes(':') ? 128 : 32;
    const family = width === 32 ? 'IPv4' : 'IPv6';
    for (const k of ['ge', 'le'] as const) {
      const v = m[k];
      if (v !== undefined && v > width) ctx.addIssue({ code: 'custom', path: [k], message: `must be at most ${width} for an ${family} cidr` });
    }
    if (m.ge !== undefined && m.le !== undefined && m.ge > m.le) {
      ctx.addIssue({ code: 'custom', path: ['ge'], message: `must not be greater than le (${m.le}): the entry would match nothing` });
    }
    // Only prefixes inside cidr (at least its length) can match, whatever ge says.
    if (m.le !== undefined && m.le < length) {
      ctx.addIssue({ code: 'custom', path: ['le'], message: `must not be less than the cidr's length (${length}): the entry would match nothing` });
    }
  });
// RFC 1997: a standard community is two 16-bit halves.
const communityText = z
  .string()
  .regex(/^\d{1,5}:\d{1,5}$/, { message: 'must be ASN:VALUE, e.g. 65000:100' })
  .refine((s) => s.split(':').every((half) => Number(half) <= 65535), { message: 'must be ASN:VALUE with both parts 0..65535' });
const routePolicy = z.strictObject({
  rules: z
    .array(
      z.strictObject({
        match: z.strictObject({ prefixes: z.array(prefixMatch).optional(), communities: z.array(communityText).optional() }).optional(),
        action: z.enum(['accept', 'reject']),
        set: z
          .strictObject({
            localPref: z.number().int().min(0).max(4294967295).optional(),
            med: z.number().int().min(0).max(4294967295).optional(),
            addCommunities: z.array(communityText).optional(),
          })
          .optional(),
      }),
    )
    .default([]),
  defaultAction: z.enum(['accept', 'reject']),
});

// GTSM sends TTL 255 whatever ebgpMultihop says (src/routes/bgp-ttl.ts); FRR refuses the pair too.
function multihopOrGtsm(p: { readonly ebgpMultihop?: number | undefined; readonly ttlSecurity?: unknown }, ctx: z.RefinementCtx): void {
  if (p.ebgpMultihop !== undefined && p.ttlSecurity !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['ebgpMultihop'], message: 'cannot be combined with ttlSecurity, which sends TTL 255: choose one' });
  }
}

const peerSchema = z.strictObject({
  address: ipAddress,
  asn,
  port: port.default(D.bgp.peer.port),
  passive: z.boolean().default(D.bgp.peer.passive),
  routeReflectorClient: z.boolean().default(D.bgp.peer.routeReflectorClient),
  holdTime: holdTime.default(D.bgp.peer.holdTime),
  gracefulRestart: z
    .union([z.boolean(), z.strictObject({ restartTime })])
    .default(D.bgp.peer.gracefulRestart),
  nextHopSelf: z.boolean().default(D.bgp.peer.nextHopSelf),
  /** Source address for the session (outbound connections). */
  sourceAddress: ipAddress.optional(),
  maxPrefix: z.strictObject({ limit: z.number().int().min(1), action: z.enum(['warn', 'drop', 'restart']) }).optional(),
  /** eBGP: TTL of our packets (1 = the peer must be one hop away, the default). */
  ebgpMultihop: z.number().int().min(1).max(255).optional(),
  /** GTSM (RFC 5082): accept the peer's packets only from within this many hops. */
  ttlSecurity: z.strictObject({ hops: z.number().int().min(1).max(254) }).optional(),
  /** TCP MD5 signature (RFC 2385) on the session; never logged or shown in status. */
  password: md5Password.optional(),
  importPolicy: routePolicy.optional(),
  exportPolicy: routePolicy.optional(),
}).superRefine(multihopOrGtsm);

const datastoreSchema = z
  .strictObject({
    type: z.enum(['kubernetes', 'files']).default(D.datastore.type),
    path: z.string().min(1).optional(),
    kubeconfig: z.string().min(1).optional(),
  })
  .superRefine((ds, ctx) => {
    if (ds.type === 'files' && ds.path === undefined) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'is required when type is "files"' });
    }
    // Each is read only by its own datastore: given to the other one it would be silently ignored.
    if (ds.type === 'kubernetes' && ds.path !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'is only used when type is "files" (the datastore is kubernetes)' });
    }
    if (ds.type === 'files' && ds.kubeconfig !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['kubeconfig'], message: 'is only used when type is "kubernetes" (the datastore is files)' });
    }
  });

// One session per peer address: a second entry would fight the first for it.
function uniquePeerAddresses(bgp: { readonly peers: readonly { readonly address: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  bgp.peers.forEach((p, i) => {
    const ip = parseIpValue(p.address);
    if (ip === undefined) return;
    const key = `${ip.family}/${ip.value}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else ctx.addIssue({ code: 'custom', path: ['peers', i, 'address'], message: `duplicates bgp.peers[${first}].address (${bgp.peers[first]?.address ?? ''})` });
  });
}

const bgpSchema = z.strictObject({
  asn: asn.default(D.bgp.asn),
  // RFC 6286 2.1: the BGP identifier is a non-zero 32-bit number; peers refuse 0.0.0.0.
  routerId: ipv4Address.refine((s) => s !== '0.0.0.0', { message: 'must not be 0.0.0.0 (RFC 6286: the BGP identifier is non-zero)' }).optional(),
  listenAddress: ipAddress.default(D.bgp.listenAddress),
  listenPort: port.default(D.bgp.listenPort),
  peers: z.array(peerSchema).default([]),
  nodeMesh: z.boolean().default(D.bgp.nodeMesh),
  gracefulRestartTime: restartTime.default(D.bgp.gracefulRestartTime),
  /** Route reflector cluster ID (RFC 4456); defaults to the router ID. */
  clusterId: ipv4Address.optional(),
  /** Prefixes to originate besides the node's podCIDRs. */
  advertise: z.array(cidr).default([]),
}).superRefine(uniquePeerAddresses);

const listenAddress = z.string().refine(isHostPort, { message: 'must be HOST:PORT, e.g. 0.0.0.0:9493 or [::1]:9493' });

export function isHostPort(s: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (m === null) return false;
  const host = m[1] ?? m[2] ?? '';
  const p = Number(m[3]);
  return isIP(host) !== 0 && p >= 1 && p <= 65535;
}

export function configSchema(ctx: { defaultNodeName: string; defaultNamespace: string }) {
  return z.strictObject({
    nodeName: z.string().min(1).default(ctx.defaultNodeName),
    /** The agent's own namespace: BGPPeer password Secrets are read from it. */
    namespace: namespaceName.default(ctx.defaultNamespace),
    datastore: datastoreSchema.prefault({}),
    bgp: bgpSchema.prefault({}),
    routes: z
      .strictObject({
        protocol: z.number().int().min(5).max(255).default(D.routes.protocol),
        table: z.number().int().min(1).max(4294967295).default(D.routes.table),
        metric: z.number().int().min(1).max(4294967295).default(D.routes.metric),
      })
      .prefault({}),
    policy: z.strictObject({ enabled: z.boolean().default(D.policy.enabled) }).prefault({}),
    cni: z.strictObject({ nodeFile: z.string().min(1).default(D.cni.nodeFile) }).prefault({}),
    clusterCIDRs: z.array(cidr).default([]),
    natOutgoing: z
      .strictObject({
        enabled: z.boolean().default(D.natOutgoing.enabled),
        nonMasqueradeCIDRs: z.array(cidr).default([]),
      })
      .prefault({}),
    statusSocket: z.string().min(1).default(D.statusSocket),
    metrics: z.strictObject({ listen: listenAddress.default(D.metrics.listen) }).prefault({}),
    logLevel: z.enum(LOG_LEVELS).default(D.logLevel),
  });
}

export type AgentConfig = z.infer<ReturnType<typeof configSchema>>;
export type PeerConfig = AgentConfig['bgp']['peers'][number];

export interface ConfigProblem {
  /** Dotted field path, e.g. "bgp.peers[0].asn"; "" for the document itself. */
  readonly field: string;
  readonly message: string;
}

export class ConfigError extends MeridianError {
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];
  readonly source: string;

  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(`invalid config ${source}:\n` + problems.map((p) => `  ${p.field || '(document)'}: ${p.message}`).join('\n'));
    this.source = source;
    this.problems = problems;
  }
}

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out;
}

export interface ParseContext {
  /** Where the text came from, for messages. */
  readonly source: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
}

/** The node name when the config has none: NODE_NAME (the DaemonSet sets it from spec.nodeName). */
export function defaultNodeName(ctx: Pick<ParseContext, 'env' | 'hostname'>): string {
  const fromEnv = ctx.env['NODE_NAME']?.trim();
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : ctx.hostname;
}

/** The namespace when the config has none: POD_NAMESPACE (the DaemonSet sets it from metadata.namespace). */
export function defaultNamespace(ctx: Pick<ParseContext, 'env'>): string {
  const fromEnv = ctx.env['POD_NAMESPACE']?.trim();
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : CONFIG_DEFAULTS.namespace;
}

/** Validate an already-parsed document (YAML or JSON) and fill in defaults. */
export function validateConfig(doc: unknown, ctx: ParseContext): AgentConfig {
  const r = configSchema({ defaultNodeName: defaultNodeName(ctx), defaultNamespace: defaultNamespace(ctx) }).safeParse(doc ?? {});
  if (r.success) return r.data;
  const problems: ConfigProblem[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: fieldPath([...issue.path, key]), message: 'unknown field' });
    } else {
      problems.push({ field: fieldPath(issue.path), message: issue.message });
    }
  }
  throw new ConfigError(ctx.source, problems);
}

/** The config to show (`meridian config check`): every peer password replaced, so it never lands in a terminal log. */
export function redactSecrets(cfg: AgentConfig): AgentConfig {
  return { ...cfg, bgp: { ...cfg.bgp, peers: cfg.bgp.peers.map((p) => (p.password === undefined ? p : { ...p, password: REDACTED })) } };
}

export const REDACTED = '(redacted)';

/** Parse YAML (JSON is YAML too) and validate it. */
export function parseConfig(text: string, ctx: ParseContext): AgentConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      ctx.source,
      doc.errors.map((e) => ({ field: '', message: (e.message.split('\n')[0] ?? e.message).replace(/:$/, '') })),
    );
  }
  return validateConfig(doc.toJS(), ctx);
}
