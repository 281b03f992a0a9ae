// The bytes setsockopt(TCP_MD5SIG) and bind() get (src/net/tcp-md5-struct.ts), against the Linux
// layouts in <linux/tcp.h> and <netinet/in.h>. Host byte order is little-endian on the machines
// Meridian runs on (x86-64, arm64); the test says so rather than assume it silently.

import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { encodeSockaddr, encodeTcpMd5Sig, md5KeyLength, sockaddrPort, TCP_MD5SIG_LEN } from '../../../src/net/tcp-md5-struct.js';

const hex = (b: Buffer) => b.toString('hex');

describe('tcp-md5-struct', () => {
  it('runs on a little-endian host (sa_family and tcpm_keylen are host order)', () => {
    expect(endianness()).toBe('LE');
  });

  it('encodes sockaddr_in: family LE, port and address in network order, 8 zero bytes', () => {
    expect(hex(encodeSockaddr('192.0.2.1', 179, 4))).toBe(
      [
        '0200', // sin_family AF_INET = 2
        '00b3', // sin_port 179
        'c0000201', // sin_addr 192.0.2.1
        '0000000000000000', // sin_zero
      ].join(''),
    );
  });

  it('encodes sockaddr_in6, and an IPv4 peer in its IPv4-mapped form for a dual-stack socket', () => {
    expect(hex(encodeSockaddr('2001:db8::1', 179, 6))).toBe(
      [
        '0a00', // sin6_family AF_INET6 = 10
        '00b3', // sin6_port 179
        '00000000', // sin6_flowinfo
        '20010db8000000000000000000000001', // sin6_addr
        '00000000', // sin6_scope_id
      ].join(''),
    );
    expect(hex(encodeSockaddr('10.0.0.1', 0, 6)).slice(16, 48)).toBe('00000000000000000000ffff0a000001');
    expect(() => encodeSockaddr('2001:db8::1', 0, 4)).toThrow(/IPv6 address/);
    expect(() => encodeSockaddr('not-an-ip', 0, 4)).toThrow(/not an IP address/);
  });

  it('encodes struct tcp_md5sig: 216 bytes, address, keylen at 130 (LE), key at 136', () => {
    const b = encodeTcpMd5Sig('192.0.2.1', 4, 'abc');
    expect(b.length).toBe(TCP_MD5SIG_LEN);
    expect(hex(b.subarray(0, 16))).toBe('02000000c00002010000000000000000'); // tcpm_addr (port 0)
    expect(hex(b.subarray(16, 128))).toBe('00'.repeat(112)); // rest of sockaddr_storage
    expect(b[128]).toBe(0); // tcpm_flags
    expect(b[129]).toBe(0); // tcpm_prefixlen
    expect(hex(b.subarray(130, 132))).toBe('0300'); // tcpm_keylen 3
    expect(hex(b.subarray(132, 136))).toBe('00000000'); // tcpm_ifindex
    expect(b.subarray(136, 139).toString()).toBe('abc'); // tcpm_key
    expect(hex(b.subarray(139))).toBe('00'.repeat(77));
  });

  it('deletes a key with keylen 0, and refuses keys the kernel would (empty, over 80 bytes)', () => {
    const del = encodeTcpMd5Sig('2001:db8::2', 6, undefined);
    expect(hex(del.subarray(0, 2))).toBe('0a00');
    expect(hex(del.subarray(128))).toBe('00'.repeat(88));
    expect(encodeTcpMd5Sig('192.0.2.1', 4, 'x'.repeat(80)).readUInt16LE(130)).toBe(80);
    expect(() => encodeTcpMd5Sig('192.0.2.1', 4, 'x'.repeat(81))).toThrow(/1 to 80 bytes, not 81/);
    expect(() => encodeTcpMd5Sig('192.0.2.1', 4, '')).toThrow(/1 to 80 bytes, not 0/);
    // UTF-8 bytes count, not characters.
    expect(md5KeyLength('é'.repeat(40))).toBe(80);
    expect(() => encodeTcpMd5Sig('192.0.2.1', 4, 'é'.repeat(41))).toThrow(/not 82/);
  });

  it('reads the port back from a sockaddr', () => {
    expect(sockaddrPort(encodeSockaddr('::1', 40179, 6))).toBe(40179);
  });
});
