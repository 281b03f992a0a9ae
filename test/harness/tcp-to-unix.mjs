// Forward TCP connections on HOST:PORT to a unix socket path. Started inside a node namespace
// (listening on that namespace's own 127.0.0.1), it lets a process there reach a server in the
// root namespace: path-based unix sockets are shared by every network namespace.
// Usage: node tcp-to-unix.mjs HOST PORT SOCKET_PATH. Prints "ready" once listening.
import { createServer, connect } from 'node:net';

const [host, port, socketPath] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(Number(port), host, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
