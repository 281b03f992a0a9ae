// CNI errors as the spec defines them (SPEC.md "Error" section, 1.1.0). The code is data: the
// skeleton prints it as the error JSON on stdout, which is what libcni parses.

export const CNI_CODES = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidNetworkConfig: 7,
  tryAgainLater: 11,
  pluginNotAvailable: 50,
  pluginLimitedConnectivity: 51,
  // Codes 100 and up are the plugin's own (SPEC.md "Error": 0-99 are reserved for the spec).
  poolExhausted: 100,
  /** A kernel tool (ip, nsenter) failed while wiring or unwiring; details carry argv and stderr. */
  wiringFailed: 101,
  /** CHECK found the attachment missing or different from prevResult. */
  checkFailed: 102,
  /** ADD found CNI_IFNAME already present in the container (SPEC.md ADD: "must" error). */
  interfaceExists: 103,
  /**
   * The IPAM state file is not a valid document. Not 5, which the spec defines for stdin I/O: this
   * is the plugin's own state. ADD and CHECK fail with it; DEL and GC move the file aside and
   * rebuild it (attachment.ts readOrRecover).
   */
  ipamStateCorrupt: 104,
  /** The agent's node file exists but is unreadable or not the expected JSON (ipam/node-file.ts). */
  nodeFileInvalid: 105,
  /** Anything unexpected; the same number pkg/skel uses (types.ErrInternal). */
  internal: 999,
} as const;

export type CniCode = (typeof CNI_CODES)[keyof typeof CNI_CODES];

// Not a MeridianError: this module sits on the plugin's start-up path and must import nothing
// beyond what it needs. Its stable code is the CNI code itself.
export class CniError extends Error {
  readonly cniCode: CniCode;
  readonly details: string;

  constructor(cniCode: CniCode, msg: string, details = '') {
    super(msg);
    this.name = 'CniError';
    this.cniCode = cniCode;
    this.details = details;
  }

  toJSON(cniVersion: string): Record<string, unknown> {
    return { cniVersion, code: this.cniCode, msg: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}
