// Lines for the batch modes of ip and ipset (`ip -batch -`, `ipset restore`). Both split a line on
// whitespace, and ip also reads `#` as a comment and honours quotes, so a token holding any of
// these could change the meaning of a line or inject another one. Tokens come from cluster objects
// (interface names, CIDRs, labels turned into names); refuse anything that is not a plain word.

const UNSAFE = /[\s#"'\\]/;

export function batchLine(tokens: readonly (string | number)[]): string {
  return tokens
    .map((t) => {
      const s = String(t);
      if (s.length === 0 || UNSAFE.test(s)) {
        throw new Error(`unsafe token ${JSON.stringify(s)} in batch line: ${tokens.join(' ')}`);
      }
      return s;
    })
    .join(' ');
}
