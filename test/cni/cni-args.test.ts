// CNI_ARGS parsing as libcni's LoadArgs does it: K=V pairs, unknown keys only with IgnoreUnknown.

import { describe, expect, it } from 'vitest';
import { parseCniArgs } from '../../src/cni/cni-args.js';
import { CniError } from '../../src/cni/errors.js';

describe('parseCniArgs', () => {
  it.each([
    ['absent', undefined, undefined],
    ['empty', '', undefined],
    ['what kubelet sends', 'IgnoreUnknown=1;K8S_POD_NAMESPACE=x;K8S_POD_NAME=a;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1', { namespace: 'x', name: 'a' }],
    ['known keys without IgnoreUnknown', 'K8S_POD_NAMESPACE=x;K8S_POD_NAME=a', { namespace: 'x', name: 'a' }],
    ['unknown keys with IgnoreUnknown=true', 'IgnoreUnknown=true;FOO=bar;K8S_POD_NAME=a;K8S_POD_NAMESPACE=x', { namespace: 'x', name: 'a' }],
    ['namespace only', 'K8S_POD_NAMESPACE=x', undefined],
    ['empty name', 'K8S_POD_NAMESPACE=x;K8S_POD_NAME=', undefined],
  ])('%s', (_what, text, pod) => {
    expect(parseCniArgs(text).pod).toEqual(pod);
  });

  it.each([
    ['a pair without =', 'K8S_POD_NAME', /invalid pair "K8S_POD_NAME"/],
    ['a pair with two =', 'K8S_POD_NAME=a=b', /invalid pair/],
    ['a trailing ;', 'K8S_POD_NAME=a;', /invalid pair ""/],
    ['an empty key', '=a', /invalid pair/],
    ['an unknown key', 'K8S_POD_NAME=a;FOO=bar', /unknown keys FOO/],
    ['IgnoreUnknown=0 with an unknown key', 'IgnoreUnknown=0;FOO=bar', /unknown keys FOO/],
    ['IgnoreUnknown not a boolean', 'IgnoreUnknown=yes', /IgnoreUnknown="yes"/],
  ])('refuses %s with code 4 naming CNI_ARGS', (_what, text, msg) => {
    const e = (() => {
      try {
        parseCniArgs(text);
        return undefined;
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(CniError);
    expect((e as CniError).cniCode).toBe(4);
    expect((e as CniError).message).toMatch(/^CNI_ARGS /);
    expect((e as CniError).message).toMatch(msg);
  });
});
