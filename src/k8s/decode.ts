// Field readers for manifests: each checks one value and throws Invalid naming the field path,
// so a bad document is reported precisely and skipped (manifests.ts). Pure.

import type { LabelSelector, LabelSelectorRequirement, Protocol } from './objects.js';

export class Invalid extends Error {}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, path: string, optional = false): Obj | undefined {
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new Invalid(`${path}: required`);
  }
  if (!isObj(v)) throw new Invalid(`${path}: must be an object`);
  return v;
}

export function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Invalid(`${path}: must be a list`);
  return v;
}

export function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') throw new Invalid(`${path}: must be a non-empty string`);
  return v;
}

export function optStr(v: unknown, path: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, path);
}

export function labels(v: unknown, path: string): Record<string, string> {
  const o = obj(v, path, true) ?? {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== 'string') throw new Invalid(`${path}.${k}: label values must be strings`);
    out[k] = val;
  }
  return out;
}

export function port(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw new Invalid(`${path}: must be a port number 1-65535`);
  return v;
}

export function protocol(v: unknown, path: string): Protocol {
  if (v === undefined || v === null) return 'TCP';
  if (v === 'TCP' || v === 'UDP' || v === 'SCTP') return v;
  throw new Invalid(`${path}: must be TCP, UDP or SCTP`);
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

export function selector(v: unknown, path: string): LabelSelector {
  const o = obj(v, path, true) ?? {};
  const matchExpressions = list(o['matchExpressions'], `${path}.matchExpressions`).map((e, i): LabelSelectorRequirement => {
    const p = `${path}.matchExpressions[${i}]`;
    const r = obj(e, p) as Obj;
    const operator = r['operator'];
    if (typeof operator !== 'string' || !OPERATORS.has(operator)) throw new Invalid(`${p}.operator: must be In, NotIn, Exists or DoesNotExist`);
    const values = list(r['values'], `${p}.values`).map((x, j) => {
      if (typeof x !== 'string') throw new Invalid(`${p}.values[${j}]: must be a string`);
      return x;
    });
    const needsValues = operator === 'In' || operator === 'NotIn';
    if (needsValues && values.length === 0) throw new Invalid(`${p}.values: must be non-empty for ${operator}`);
    if (!needsValues && values.length > 0) throw new Invalid(`${p}.values: must be empty for ${operator}`);
    return { key: str(r['key'], `${p}.key`), operator: operator as LabelSelectorRequirement['operator'], values };
  });
  return { matchLabels: labels(o['matchLabels'], `${path}.matchLabels`), matchExpressions };
}

