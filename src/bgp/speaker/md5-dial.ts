// Outbound BGP connections signed with TCP MD5 (RFC 2385): the Session's `connect` hook for a peer
// with a password. The socket is made and keyed through libc (src/net/tcp-md5.ts), bound to the
// source address, then adopted by Node (new net.Socket({fd})) and connected by it, so the Session
// sees an ordinary net.Socket that emits 'connect', 'timeout' and 'close' as a plain dial does.
//
// Node reuses the handle it adopted when connect() is called on it (net.js only makes a new handle
// when there is none), so libuv runs the non-blocking connect on our keyed descriptor. That is
// what makes the signature apply; on 'connect' the local port is compared with the one our bind
// got, and a mismatch (a Node that connected some other socket, unsigned) is destroyed rather
// than used. test/integration/speaker-md5.test.ts shows the signature applies (a dial keyed
// differently from the listener never connects).

import { isIP, Socket } from 'node:net';
import type { TcpMd5Sockets } from '../../net/tcp-md5.js';
import { TcpMd5Error } from '../../net/tcp-md5.js';

export interface Md5DialOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string | undefined;
  readonly password: string;
}

/** A socket that fails at once, as a refused dial does: 'error' then 'close' on the next tick. */
function failed(err: unknown): Socket {
  const s = new Socket();
  process.nextTick(() => s.destroy(err instanceof Error ? err : new Error(String(err))));
  return s;
}

/** Dial `host:port` with every segment signed with `password`. Never throws: failures close the socket. */
export function dialMd5(md5: TcpMd5Sockets, o: Md5DialOptions): Socket {
  const family = isIP(o.host) === 6 ? 6 : 4;
  let fd: number;
  try {
    fd = md5.socket(family);
  } catch (e) {
    return failed(e);
  }
  let boundPort: number;
  try {
    md5.setKey(fd, family, o.host, o.password);
    // Port 0 now, so the kernel picks our port at bind and the check on 'connect' can see it.
    md5.bind(fd, family, o.localAddress ?? (family === 4 ? '0.0.0.0' : '::'), 0);
    boundPort = md5.localPort(fd);
  } catch (e) {
    md5.close(fd);
    return failed(e);
  }
  const socket = new Socket({ fd, readable: true, writable: true });
  // Registered before the Session's own listener, so a socket that fails the check is destroyed
  // before the Session attaches it; the Session then sees it close and retries.
  socket.once('connect', () => {
    if (socket.localPort !== boundPort) {
      socket.destroy(new TcpMd5Error('connect', `connected from port ${socket.localPort ?? '?'}, not the keyed socket's ${boundPort}: refusing an unsigned session`));
    }
  });
  socket.connect({ host: o.host, port: o.port });
  return socket;
}
