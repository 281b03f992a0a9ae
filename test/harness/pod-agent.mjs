// One process per test pod, run inside the pod's network namespace: it serves TCP and UDP on the
// given ports (IPv4 and IPv6, as upstream's agnhost `serve-hostname` does) and makes probes on
// request, so a whole truth table is probed by a few long-lived processes instead of thousands of
// `nc` execs.
//
// Control is a Unix socket (filesystem, not network: the test in the root namespace talks to it
// without any traffic outside the pod namespaces). One JSON object per line each way:
//   -> {"id": 1, "host": "10.244.1.2", "port": 80, "proto": "TCP", "timeoutMs": 400}
//   <- {"id": 1, "ok": true, "why": "connected"}
// A TCP probe succeeds when the connection is established; a UDP probe when "pong" comes back
// (sent twice, so one lost datagram does not read as a denial).
//
// usage: node pod-agent.mjs SOCKET PORTS(80,81)
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { clearTimeout, setTimeout } from 'node:timers';

const [sockPath, portList = '80,81'] = process.argv.slice(2);
if (sockPath === undefined) throw new Error('usage: pod-agent.mjs SOCKET PORTS');
const ports = portList.split(',').map(Number);

function listenTcp(host, port, ipv6Only) {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => {
      c.on('error', () => {});
      c.end('pong\n');
    });
    s.on('error', reject);
    s.listen({ host, port, ipv6Only }, () => resolve(s));
  });
}

function listenUdp(type, port) {
  return new Promise((resolve, reject) => {
    const u = createSocket({ type, ipv6Only: type === 'udp6' });
    u.on('error', reject);
    u.on('message', (_m, r) => u.send('pong\n', r.port, r.address));
    u.bind(port, () => resolve(u));
  });
}

function probeTcp(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const c = connect({ host, port });
    const done = (ok, why) => {
      clearTimeout(timer);
      c.destroy();
      resolve({ ok, why });
    };
    const timer = setTimeout(() => done(false, 'timeout'), timeoutMs);
    c.on('connect', () => done(true, 'connected'));
    c.on('error', (e) => done(false, e.code ?? e.message));
  });
}

// UDP probes use fresh source ports in order, below the kernel's ephemeral range: a random port
// that repeats an earlier probe's 5-tuple would ride on that flow's conntrack entry (still
// ESTABLISHED for 30-120 s) and get through a policy that now denies it, which is the kernel
// being right and the probe being wrong. TCP needs no such care: a new SYN on a closed flow's
// entry is tracked as NEW again.
let nextUdpPort = 10000;
function udpSourcePort() {
  const p = nextUdpPort;
  nextUdpPort = nextUdpPort >= 30000 ? 10000 : nextUdpPort + 1;
  return p;
}

function probeUdp(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const u = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    u.bind(udpSourcePort());
    const timers = [];
    const done = (ok, why) => {
      for (const t of timers) clearTimeout(t);
      u.close();
      resolve({ ok, why });
    };
    u.on('message', (m) => {
      if (m.toString().startsWith('pong')) done(true, 'pong');
    });
    u.on('error', (e) => done(false, e.code ?? e.message));
    const send = () => u.send('ping\n', port, host, () => {});
    send();
    timers.push(setTimeout(send, timeoutMs / 2));
    timers.push(setTimeout(() => done(false, 'timeout'), timeoutMs));
  });
}

async function probe(req) {
  if (req.proto === 'TCP') return probeTcp(req.host, req.port, req.timeoutMs);
  if (req.proto === 'UDP') return probeUdp(req.host, req.port, req.timeoutMs);
  return { ok: false, why: `unsupported protocol ${req.proto}` };
}

for (const port of ports) {
  await listenTcp('0.0.0.0', port, false);
  await listenTcp('::', port, true);
  await listenUdp('udp4', port);
  await listenUdp('udp6', port);
}

rmSync(sockPath, { force: true });
const control = createServer((c) => {
  let buf = '';
  c.on('error', () => {});
  c.on('data', (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const req = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      void probe(req).then((r) => c.write(JSON.stringify({ id: req.id, ...r }) + '\n'));
    }
  });
});
control.listen(sockPath, () => console.log('ready'));
process.on('SIGTERM', () => {
  rmSync(sockPath, { force: true });
  process.exit(0);
});
