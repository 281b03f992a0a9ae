// IR -> iptables-restore text. Pure; equal IR gives byte-identical text.
//
// Every rule carries `-m comment --comment "mrd:<hash> <text>"`. The hash covers the chain name,
// the rule's position and its rendered body: the planner compares the hashes it reads back with
// iptables-save against the desired ones and rewrites only chains that differ. Rule bodies are
// never parsed back, because iptables does not print rules the way they were written (Felix
// learned the same; see its iptables/table.go).

import { assertNever } from '../errors.js';
import type { Action, Chain, Hook, Match, Rule, Table } from './ir.js';
import { RULE_TAG, shortHash } from './names.js';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function renderMatch(m: Match, proto: string | undefined): string[] {
  switch (m.type) {
    case 'in-iface':
      return ['-i', m.name];
    case 'out-iface':
      return ['-o', m.name];
    case 'ctstate':
      return ['-m', 'conntrack', '--ctstate', m.states.join(',')];
    case 'set':
      return ['-m', 'set', '--match-set', m.set, m.dir];
    case 'proto':
      return ['-p', m.proto];
    case 'dport':
      if (proto === undefined) throw new Error('dport match without a protocol match before it');
      return ['-m', proto, '--dport', m.from === m.to ? String(m.from) : `${m.from}:${m.to}`];
    case 'mark':
      return ['-m', 'mark', '--mark', `${hex(m.value)}/${hex(m.mask)}`];
    default:
      return assertNever(m, 'match');
  }
}

function renderAction(a: Action): string[] {
  switch (a.type) {
    case 'jump':
      return ['-j', a.chain];
    case 'goto':
      return ['-g', a.chain];
    case 'return':
      return ['-j', 'RETURN'];
    case 'accept':
      return ['-j', 'ACCEPT'];
    case 'drop':
      return ['-j', 'DROP'];
    case 'set-mark':
      return ['-j', 'MARK', '--set-xmark', `${hex(a.value)}/${hex(a.mask)}`];
    default:
      return assertNever(a, 'action');
  }
}

/** Matches of a rule, without comment or target. */
export function renderMatches(rule: Rule): string {
  let proto: string | undefined;
  const out: string[] = [];
  for (const m of rule.matches) {
    if (m.type === 'proto') proto = m.proto;
    out.push(...renderMatch(m, proto));
  }
  return out.join(' ');
}

/** iptables comments are at most 256 bytes and are printed in double quotes. */
function commentText(tag: string, text: string): string {
  const clean = text.replace(/["\\\n\r]/g, '_');
  return `${tag} ${clean}`.slice(0, 255).trimEnd();
}

function hashOf(chain: string, index: number, matches: string, action: string, comment: string): string {
  return shortHash('rule', chain, String(index), matches, action, comment);
}

/** The tag that identifies a rule of ours: chain, position and body. */
export function ruleHash(chain: string, index: number, rule: Rule): string {
  return hashOf(chain, index, renderMatches(rule), renderAction(rule.action).join(' '), rule.comment);
}

/** A rule's spec as it follows "-A CHAIN " (or "-I CHAIN 1 "). */
export function renderRuleSpec(chain: string, index: number, rule: Rule): string {
  const matches = renderMatches(rule);
  const action = renderAction(rule.action).join(' ');
  const comment = `-m comment --comment "${commentText(`${RULE_TAG}${hashOf(chain, index, matches, action, rule.comment)}`, rule.comment)}"`;
  return [matches, comment, action].filter((s) => s !== '').join(' ');
}

export function hookRule(hook: Hook): Rule {
  return { matches: [], action: { type: 'jump', chain: hook.to }, comment: hook.comment };
}

/** Rule lines of one chain, "-A CHAIN ..." each. */
export function renderChainRules(chain: Chain): string[] {
  return chain.rules.map((r, i) => `-A ${chain.name} ${renderRuleSpec(chain.name, i, r)}`);
}

// Chains are immutable values, and the incremental compile hands back the same chain objects
// while their inputs are unchanged: caching their tags saves a SHA-256 per rule per plan.
const tagCache = new WeakMap<Chain, readonly string[]>();

/** The desired tags of a chain, in order (what the planner compares). */
export function chainTags(chain: Chain): readonly string[] {
  let tags = tagCache.get(chain);
  if (tags === undefined) {
    tags = chain.rules.map((r, i) => ruleHash(chain.name, i, r));
    tagCache.set(chain, tags);
  }
  return tags;
}

export function hookTag(hook: Hook): string {
  return ruleHash(hook.from, 0, hookRule(hook));
}

/**
 * The whole table as a fresh node gets it: every chain declared (with --noflush a declaration
 * flushes only that chain), its rules, and the hook inserted first in FORWARD.
 */
export function renderTable(table: Table): string {
  const lines = ['*filter'];
  for (const c of table.chains) lines.push(`:${c.name} - [0:0]`);
  for (const c of table.chains) lines.push(...renderChainRules(c));
  for (const h of table.hooks) lines.push(`-I ${h.from} 1 ${renderRuleSpec(h.from, 0, hookRule(h))}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}
