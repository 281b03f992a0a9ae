// The network config list `meridian install-cni` writes. Pure. cniVersion defaults to 1.0.0:
// libcni injects the list's version into every plugin, and Debian-era portmap/bandwidth (< 1.6)
// refuse 1.1.0 with code 1, so a 1.1.0 list only works with new chained plugins. Pass
// cniVersion "1.1.0" when they are new enough, to get GC and STATUS from the runtime.

import { DEFAULT_IPAM_DIR, DEFAULT_NODE_FILE, USE_POD_CIDR } from './names.js';

export interface ConflistOptions {
  readonly name?: string;
  readonly cniVersion?: string;
  readonly mtu?: number;
  readonly nodeFile?: string;
  readonly dataDir?: string;
  readonly portmap?: boolean;
  readonly bandwidth?: boolean;
}

export const DEFAULT_CONFLIST_NAME = '00-meridian.conflist';

export function renderConflist(o: ConflistOptions = {}): Record<string, unknown> {
  return {
    cniVersion: o.cniVersion ?? '1.0.0',
    name: o.name ?? 'meridian',
    plugins: [
      {
        type: 'meridian-cni',
        ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
        nodeFile: o.nodeFile ?? DEFAULT_NODE_FILE,
        ipam: { ranges: [[{ subnet: USE_POD_CIDR }]], dataDir: o.dataDir ?? DEFAULT_IPAM_DIR },
      },
      ...(o.portmap !== false ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
      ...(o.bandwidth !== false ? [{ type: 'bandwidth', capabilities: { bandwidth: true } }] : []),
    ],
  };
}
