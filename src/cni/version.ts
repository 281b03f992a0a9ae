// CNI spec versions this plugin speaks. 0.4.0 is the oldest with CHECK and prevResult on DEL;
// older configs are refused with code 1 rather than half-supported.

export const CURRENT_CNI_VERSION = '1.1.0';
export const SUPPORTED_CNI_VERSIONS: readonly string[] = ['0.4.0', '1.0.0', '1.1.0'];

export function versionInfo(): { cniVersion: string; supportedVersions: readonly string[] } {
  return { cniVersion: CURRENT_CNI_VERSION, supportedVersions: SUPPORTED_CNI_VERSIONS };
}

/** Compare dotted versions numerically ("1.1.0" > "0.4.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
