// TCP MD5 signatures (RFC 2385) on BGP sockets: the few libc socket calls Node.js does not offer
// (it has no setsockopt), made through koffi's FFI. Thin: it creates, keys and binds sockets and
// hands their descriptors back; Node's net module does the connecting, accepting and I/O on them
// (src/bgp/speaker/md5-transport.ts).
//
// koffi ships a native module, so it is loaded only when the first peer with a password appears
// (loadTcpMd5), through require() at run time: the bundler leaves it out of dist/meridian.js
// (scripts/build.mjs marks it external) and a node without passwords never maps it.

import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type * as Koffi from 'koffi';
import { MeridianError } from '../errors.js';
import {
  AF_INET,
  AF_INET6,
  encodeSockaddr,
  encodeTcpMd5Sig,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  sockaddrPort,
  SOL_SOCKET,
  TCP_MD5SIG,
  type SocketFamily,
} from './tcp-md5-struct.js';

export class TcpMd5Error extends MeridianError {
  readonly code = 'TCP_MD5';
  /** The libc call that failed, or "load". */
  readonly call: string;
  /** errno name (ENOENT, ENOPROTOOPT, ...), when a call failed. */
  readonly errno: string | undefined;
  constructor(call: string, message: string, opts: { errno?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.call = call;
    this.errno = opts.errno;
  }
}

/** Socket calls on raw descriptors. Every failure throws TcpMd5Error. */
export interface TcpMd5Sockets {
  /** A new TCP socket of the family, close-on-exec (Node makes it non-blocking when it adopts it). */
  socket(family: SocketFamily): number;
  /** Set (key) or delete (undefined) the MD5 key for segments to and from `peer`. */
  setKey(fd: number, family: SocketFamily, peer: string, key: string | undefined): void;
  bind(fd: number, family: SocketFamily, address: string, port: number): void;
  /** SO_REUSEADDR, as Node sets it on its own listeners (a restart rebinds despite TIME_WAIT). */
  reuseAddress(fd: number): void;
  /** IPV6_V6ONLY off: an IPv6 listener on :: accepts IPv4 too, whatever net.ipv6.bindv6only says. */
  dualStack(fd: number): void;
  /** The bound local port (getsockname). */
  localPort(fd: number): number;
  close(fd: number): void;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function load(): TcpMd5Sockets {
  let koffi: typeof Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  } catch (e) {
    throw new TcpMd5Error('load', `TCP MD5 needs the koffi package next to meridian: ${(e as Error).message}`, { cause: e });
  }
  let libc: Koffi.LibraryHandle;
  try {
    // null: the symbols already in the process, i.e. the libc Node itself links (glibc or musl).
    libc = koffi.load(null);
  } catch (e) {
    throw new TcpMd5Error('load', `libc could not be opened through koffi: ${(e as Error).message}`, { cause: e });
  }
  // Prototypes as <sys/socket.h> has them (socklen_t is a u32); koffi passes a Buffer as a pointer
  // to its bytes, so the structures are the ones tcp-md5-struct.ts encodes.
  const socket = libc.func('int socket(int domain, int type, int protocol)') as (d: number, t: number, p: number) => number;
  const setsockopt = libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)') as (fd: number, l: number, n: number, v: Buffer, len: number) => number;
  const bind = libc.func('int bind(int fd, const void *addr, uint32_t len)') as (fd: number, a: Buffer, len: number) => number;
  const getsockname = libc.func('int getsockname(int fd, void *addr, void *len)') as (fd: number, a: Buffer, len: Buffer) => number;
  const close = libc.func('int close(int fd)') as (fd: number) => number;

  const check = (call: string, r: number, what: string): number => {
    if (r >= 0) return r;
    const n = koffi.errno();
    const name = ERRNO_NAMES.get(n) ?? `errno ${n}`;
    throw new TcpMd5Error(call, `${call} (${what}): ${name}`, { errno: name });
  };
  const int = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v, 0);
    return b;
  };
  return {
    socket: (family) => check('socket', socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP), `IPv${family}`),
    setKey(fd, family, peer, key) {
      const sig = encodeTcpMd5Sig(peer, family, key);
      // ENOENT when deleting a key the socket does not have; ENOPROTOOPT without CONFIG_TCP_MD5SIG.
      check('setsockopt', setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig, sig.length), `TCP_MD5SIG ${key === undefined ? 'delete' : 'set'} for ${peer}`);
    },
    bind(fd, family, address, port) {
      const sa = encodeSockaddr(address, port, family);
      check('bind', bind(fd, sa, sa.length), `${address} port ${port}`);
    },
    reuseAddress: (fd) => void check('setsockopt', setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, int(1), 4), 'SO_REUSEADDR'),
    dualStack: (fd) => void check('setsockopt', setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, int(0), 4), 'IPV6_V6ONLY'),
    localPort(fd) {
      const sa = Buffer.alloc(128);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(sa.length, 0);
      check('getsockname', getsockname(fd, sa, len), `fd ${fd}`);
      return sockaddrPort(sa);
    },
    close: (fd) => void close(fd),
  };
}

let loaded: TcpMd5Sockets | undefined;

/** The socket calls, loading koffi and libc on first use. Throws TcpMd5Error if they cannot load. */
export function loadTcpMd5(): TcpMd5Sockets {
  loaded ??= load();
  return loaded;
}
