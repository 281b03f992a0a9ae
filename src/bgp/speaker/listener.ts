// The speaker's BGP listener, and the TCP MD5 keys (RFC 2385) on it.
//
// Plain until a peer has a password: a net.Server like any other. When the first key is wanted,
// the listener is replaced by a socket made through libc (src/net/tcp-md5.ts) and handed to Node
// with server.listen({fd}); its descriptor is kept so keys can be added and deleted as peers come
// and go. A key on a listening socket is the key for connections from that address: the kernel
// drops SYNs from it that are unsigned or signed with another key, and the accepted socket
// inherits the key. Connections from peers without a password still work on it unsigned.
//
// The switch closes the plain listener and binds the keyed one to the same address and port (a
// second listener on the port is refused without SO_REUSEPORT, which would split connections
// between the two). A peer dialling in that instant is refused and retries. It happens once per
// run; the listener then stays keyed, with no keys once no peer has a password.
//
// Changes run one at a time, in order (a promise chain), because the switch awaits Node.

import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { TcpMd5Sockets } from '../../net/tcp-md5.js';
import type { SocketFamily } from '../../net/tcp-md5-struct.js';
import type { SpeakerLog } from './speaker.js';

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly onConnection: (s: Socket) => void;
  readonly log: SpeakerLog;
  /** The libc socket calls; called only when the first key is wanted. Throws if unavailable. */
  readonly md5: () => TcpMd5Sockets;
}

interface Keyed {
  readonly md5: TcpMd5Sockets;
  readonly fd: number;
  readonly family: SocketFamily;
  /** Peer address -> the key set on fd for it now. */
  readonly keys: Map<string, string>;
}

export class BgpListener {
  private readonly opts: ListenerOptions;
  private server: Server | undefined;
  private keyed: Keyed | undefined;
  private port = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: ListenerOptions) {
    this.opts = opts;
  }

  /** Listen (plain). Resolves with the bound port. */
  async start(): Promise<number> {
    this.server = await this.listen({ port: this.opts.port, host: this.opts.host, ipv6Only: false });
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    return this.port;
  }

  /** Make the keys on the listener exactly `want` (peer address -> password). */
  setKeys(want: ReadonlyMap<string, string>): Promise<void> {
    this.chain = this.chain.then(() => this.applyKeys(want)).catch((e: unknown) => this.opts.log('error', 'BGP listener: TCP MD5 keys not applied', { err: String(e) }));
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    const s = this.server;
    this.server = undefined;
    this.keyed = undefined;
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async applyKeys(want: ReadonlyMap<string, string>): Promise<void> {
    if (this.closed || this.server === undefined) return;
    if (this.keyed === undefined) {
      if (want.size === 0) return;
      await this.switchToKeyed(want);
      return;
    }
    const k = this.keyed;
    for (const addr of [...k.keys.keys()]) if (!want.has(addr)) this.setKey(k, addr, undefined);
    for (const [addr, key] of want) if (k.keys.get(addr) !== key) this.setKey(k, addr, key);
  }

  private setKey(k: Keyed, addr: string, key: string | undefined): void {
    if (k.family === 4 && isIP(addr) === 6) {
      // An IPv4 listener never sees this peer; its sessions are dialled only.
      this.opts.log('debug', 'BGP listener is IPv4: no TCP MD5 key for an IPv6 peer', { peer: addr });
      return;
    }
    try {
      k.md5.setKey(k.fd, k.family, addr, key);
      if (key === undefined) k.keys.delete(addr);
      else k.keys.set(addr, key);
    } catch (e) {
      this.opts.log('error', 'BGP listener: TCP MD5 key not set', { peer: addr, err: String(e) });
    }
  }

  private async switchToKeyed(want: ReadonlyMap<string, string>): Promise<void> {
    const md5 = this.opts.md5();
    const family: SocketFamily = isIP(this.opts.host) === 4 ? 4 : 6;
    const fd = md5.socket(family);
    const k: Keyed = { md5, fd, family, keys: new Map() };
    try {
      md5.reuseAddress(fd);
      if (family === 6) md5.dualStack(fd);
      // Keys before listen(2): the first SYN from a peer is already checked.
      for (const [addr, key] of want) this.setKey(k, addr, key);
    } catch (e) {
      md5.close(fd);
      throw e;
    }
    // close() frees the port at once (the listening descriptor is closed synchronously); its
    // callback would wait for every connection it accepted to end, i.e. for the BGP sessions that
    // must stay up, so it is not awaited.
    this.server?.close();
    this.server = undefined;
    try {
      try {
        md5.bind(fd, family, this.opts.host, this.port);
      } catch (e) {
        md5.close(fd);
        throw e;
      }
      // From here Node owns fd: it closes it with the server, or itself if listen(2) fails.
      this.server = await this.listen({ fd });
    } catch (e) {
      // Never stay deaf: back to a plain listener; keyed peers can still be dialled.
      this.server = await this.listen({ port: this.port, host: this.opts.host, ipv6Only: false });
      throw e;
    }
    this.keyed = k;
    this.opts.log('info', 'BGP listener now carries TCP MD5 keys', { port: this.port, peers: k.keys.size });
  }

  private async listen(how: { port: number; host: string; ipv6Only: boolean } | { fd: number }): Promise<Server> {
    const server = createServer((socket) => this.opts.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        // An accept error later (EMFILE) must not crash the process.
        server.on('error', (e) => this.opts.log('error', 'BGP listener error', { err: String(e) }));
        resolve();
      });
      server.listen(how);
    });
    return server;
  }
}
