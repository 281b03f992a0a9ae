// The C structures the TCP MD5 socket calls take (tcp-md5.ts), as bytes. Pure, so the layout is
// golden-tested without loading libc.
//
// Linux, <linux/tcp.h> and <netinet/in.h>:
//   struct tcp_md5sig {                          // 216 bytes
//     struct __kernel_sockaddr_storage tcpm_addr;   //   0: 128 bytes, a sockaddr_in or _in6
//     __u8  tcpm_flags;                             // 128: TCP_MD5SIG_FLAG_* (only with TCP_MD5SIG_EXT)
//     __u8  tcpm_prefixlen;                         // 129: (only with TCP_MD5SIG_EXT)
//     __u16 tcpm_keylen;                            // 130: host byte order; 0 deletes the key
//     int   tcpm_ifindex;                           // 132: (only with TCP_MD5SIG_EXT)
//     __u8  tcpm_key[TCP_MD5SIG_MAXKEYLEN];         // 136: 80 bytes
//   };
//   struct sockaddr_in  { sa_family_t family; in_port_t port; struct in_addr addr; char zero[8]; }  // 16
//   struct sockaddr_in6 { sa_family_t family; in_port_t port; u32 flowinfo; struct in6_addr addr; u32 scope_id; }  // 28
// sa_family_t is host byte order, ports and addresses network byte order.

import { endianness } from 'node:os';
import { bytesFromValue, parseIpValue } from '../ip/address.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
/** Plain TCP_MD5SIG: one key per exact peer address (no prefix, no interface). */
export const TCP_MD5SIG = 14;
export const TCP_MD5SIG_MAXKEYLEN = 80;
export const SOCKADDR_IN_LEN = 16;
export const SOCKADDR_IN6_LEN = 28;
export const TCP_MD5SIG_LEN = 216;
const SOCKADDR_STORAGE_LEN = 128;

const littleEndian = endianness() === 'LE';

function writeU16Host(b: Buffer, v: number, at: number): void {
  if (littleEndian) b.writeUInt16LE(v, at);
  else b.writeUInt16BE(v, at);
}

export type SocketFamily = 4 | 6;

/**
 * A sockaddr for `address` (IPv4 or IPv6 text) and `port`. `family` 6 with an IPv4 address gives
 * the IPv4-mapped form (::ffff:a.b.c.d), which is how a dual-stack IPv6 socket names IPv4 peers.
 */
export function encodeSockaddr(address: string, port: number, family: SocketFamily): Buffer {
  const ip = parseIpValue(address);
  if (ip === undefined) throw new Error(`not an IP address: ${JSON.stringify(address)}`);
  if (family === 4) {
    if (ip.family !== 4) throw new Error(`IPv6 address ${address} on an IPv4 socket`);
    const b = Buffer.alloc(SOCKADDR_IN_LEN);
    writeU16Host(b, AF_INET, 0);
    b.writeUInt16BE(port, 2);
    bytesFromValue(ip.value, 4).copy(b, 4);
    return b;
  }
  const b = Buffer.alloc(SOCKADDR_IN6_LEN);
  writeU16Host(b, AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  const v6 = ip.family === 6 ? ip.value : (0xffffn << 32n) | ip.value;
  bytesFromValue(v6, 16).copy(b, 8);
  return b;
}

/** The byte length of a password as a TCP MD5 key (UTF-8), for validation before it reaches the kernel. */
export function md5KeyLength(password: string): number {
  return Buffer.byteLength(password, 'utf8');
}

/**
 * struct tcp_md5sig for the peer `address` on a socket of `family`: `key` sets the key (RFC 2385
 * signs every segment with it), undefined deletes it (keylen 0).
 */
export function encodeTcpMd5Sig(address: string, family: SocketFamily, key: string | undefined): Buffer {
  const b = Buffer.alloc(TCP_MD5SIG_LEN);
  const sa = encodeSockaddr(address, 0, family);
  if (sa.length > SOCKADDR_STORAGE_LEN) throw new Error('sockaddr does not fit sockaddr_storage');
  sa.copy(b, 0);
  if (key !== undefined) {
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length === 0 || bytes.length > TCP_MD5SIG_MAXKEYLEN) throw new Error(`a TCP MD5 key has 1 to ${TCP_MD5SIG_MAXKEYLEN} bytes, not ${bytes.length}`);
    writeU16Host(b, bytes.length, 130);
    bytes.copy(b, 136);
  }
  return b;
}

/** The port of a sockaddr_in/_in6 that getsockname filled in. */
export function sockaddrPort(b: Buffer): number {
  return b.readUInt16BE(2);
}
