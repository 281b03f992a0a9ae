// Numbers the BGP wire format is made of, named once. IANA registries: "BGP Message Types",
// "BGP Path Attributes", "Capability Codes", "Address Family Numbers", "SAFI Values".

/** RFC 4271 §4.1: 16-octet marker (all ones), 2-octet length, 1-octet type. */
export const HEADER_LENGTH = 19;
/** RFC 4271 §4.1: the largest message without the Extended Message capability. */
export const MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654 §4: the largest message once both sides advertised Extended Message (6). */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;

export const MessageType = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5, // RFC 2918
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** Smallest legal whole message per type (RFC 4271 §4.2-4.4, RFC 2918 §3). */
export const MIN_MESSAGE_LENGTH: Readonly<Record<MessageTypeCode, number>> = {
  [MessageType.OPEN]: 29,
  [MessageType.UPDATE]: 23,
  [MessageType.NOTIFICATION]: 21,
  [MessageType.KEEPALIVE]: 19,
  [MessageType.ROUTE_REFRESH]: 23,
};

export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export type Afi = typeof AFI_IPV4 | typeof AFI_IPV6;
export const SAFI_UNICAST = 1;
export const SAFI_MULTICAST = 2;

/** An address family as capabilities and MP attributes name it; any numbers, not only ours. */
export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

/** RFC 6793 §9: the 2-octet placeholder for a 4-octet AS number. */
export const AS_TRANS = 23456;

/** Attribute type codes (RFC 4271 §5, 1997, 4456, 4760, 6793, 8092). */
export const AttrType = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITIES: 32,
} as const;

/** RFC 4271 §4.3 attribute flag bits. */
export const AttrFlag = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

/** IANA capability codes (RFC 5492 §4 registry). */
export const CapabilityCode = {
  MULTIPROTOCOL: 1, // RFC 4760
  ROUTE_REFRESH: 2, // RFC 2918
  EXTENDED_NEXT_HOP: 5, // RFC 8950
  EXTENDED_MESSAGE: 6, // RFC 8654
  ROLE: 9, // RFC 9234
  GRACEFUL_RESTART: 64, // RFC 4724
  FOUR_OCTET_AS: 65, // RFC 6793
  ADD_PATH: 69, // RFC 7911
  ENHANCED_ROUTE_REFRESH: 70, // RFC 7313
  LONG_LIVED_GRACEFUL_RESTART: 71, // draft-ietf-idr-long-lived-gr
  FQDN: 73, // draft-walton-bgp-hostname-capability
  ROUTE_REFRESH_CISCO: 128, // pre-standard route refresh; FRR still sends it
} as const;

/** RFC 5492 §4: the Optional Parameter type that carries capabilities. */
export const OPT_PARAM_CAPABILITIES = 2;
/** RFC 9072 §2: Non-Ext OP Type value that announces extended optional parameters. */
export const OPT_PARAM_EXTENDED = 255;
