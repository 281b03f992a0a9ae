// Attributes this codec does not know (EXTENDED_COMMUNITIES, OTC, AIGP, ... included), kept raw
// with their flags. RFC 4271 §5 / §9: an unrecognised optional transitive attribute is passed on
// with the Partial bit set; an optional non-transitive one is quietly dropped. propagate.ts does
// that for the sender; decoding keeps both so nothing is lost.

export interface UnknownAttribute {
  /** Flags as received. On encode Extended Length is set when needed, and kept if it was set. */
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Uint8Array;
}
