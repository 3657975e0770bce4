/**
 * Doctor speed (a benchmark, not a test): run with `npx tsx bench/doctor.ts`.
 *  1. in-process `inspect` of a 100-certificate bundle (target: under 100 ms): a CA bundle, and a
 *     server certificate followed by 99 others; cold (first call) and warm (median of 20);
 *  2. `check` wall time against one bare TLS handshake to the same server (`openssl s_server`,
 *     a separate process), in-process and as a whole CLI process.
 * Numbers on a 2-core box are noisy: compare ratios within one run.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { check } from '../src/api/check.js';
import { loadTrustAnchors } from '../src/api/anchors.js';
import { inspect } from '../src/api/inspect.js';
import { observeServer } from '../src/net/observe.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsdock-bench-'));
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

async function series(n: number, fn: () => Promise<unknown>): Promise<{ first: number; median: number }> {
  const [first] = await time(fn);
  const rest: number[] = [];
  for (let i = 0; i < n; i++) rest.push((await time(fn))[0]);
  return { first, median: median(rest) };
}

/** A TCP relay adding `delayMs` each way: loopback with a network's round-trip time. */
async function delayedRelay(targetPort: number, delayMs: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const pipe = (from: net.Socket, to: net.Socket) => {
      from.on('data', (d) => setTimeout(() => to.write(d), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const home = join(dir, 'home');
  const env = { HOME: home, TLSDOCK_HOME: join(dir, 'tlsdock') };
  // A CA, a server certificate, and the system roots as filler.
  writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=bench CA', '-days', '30']);
  sh('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', '/CN=localhost']);
  sh('openssl', ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'leaf.pem', '-days', '20', '-extfile', 'ext.cnf']);
  const roots = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
  const leafPem = readFileSync(join(dir, 'leaf.pem'), 'utf8');
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  writeFileSync(join(dir, 'bundle100.pem'), roots.slice(0, 100).join('\n'));
  writeFileSync(join(dir, 'leaf+99.pem'), leafPem + caPem + roots.slice(0, 98).join('\n'));
  const lines: string[] = [`node ${process.version}, ${roots.length} system roots available; times are wall clock`];

  const [trustMs, trust] = await time(() => loadTrustAnchors({ env, caFiles: [join(dir, 'ca.pem')] }));
  lines.push(`loadTrustAnchors (empty NSS db, --ca, public roots parsed lazily): ${ms(trustMs)}`);
  for (const [name, files, hosts] of [['CA bundle, 100 certificates', ['bundle100.pem'], []], ['server certificate + 99 more', ['leaf+99.pem', 'key.pem'], ['localhost']]] as const) {
    const run = () => inspect({ files: files.map((f) => join(dir, f)), hosts: [...hosts], env, trust });
    const r = await series(20, run);
    const withTrust = await series(5, () => inspect({ files: files.map((f) => join(dir, f)), hosts: [...hosts], env, caFiles: [join(dir, 'ca.pem')] }));
    const out = await run();
    lines.push(`inspect ${name}: first ${ms(r.first)}, warm median ${ms(r.median)}; reading the trust anchors each time: median ${ms(withTrust.median)} (verdict ${out.browser.chromium}, ${out.findings.length} findings)`);
  }

  // A real server in another process.
  const port = await freePort();
  // A Node HTTPS server in its own process: unlike `openssl s_server`, it serves connections
  // concurrently, as real servers do (check's three handshakes would otherwise queue).
  const serverJs = `require('https').createServer({ cert: require('fs').readFileSync('leaf.pem'), key: require('fs').readFileSync('key.pem') }, (q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
  const server = spawn(process.execPath, ['-e', serverJs], { cwd: dir, stdio: 'ignore' });
  try {
    for (let i = 0; i < 50; i++) {
      const up = await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const bare = () => new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => { s.destroy(); resolve(); });
      s.once('error', reject);
    });
    const handshake = await series(20, bare);
    const checked = await series(20, () => check({ url: `https://localhost:${port}`, connectTo: '127.0.0.1', trust }));
    const checkedFull = await series(5, () => check({ url: `https://localhost:${port}`, connectTo: '127.0.0.1', env, caFiles: [join(dir, 'ca.pem')] }));
    lines.push(`one bare TLS handshake (Node tls.connect): median ${ms(handshake.median)}`);
    lines.push(`check in-process, anchors preloaded (3 handshakes in parallel): median ${ms(checked.median)} = ${(checked.median / handshake.median).toFixed(1)}× one handshake`);
    lines.push(`check in-process, reading anchors too: median ${ms(checkedFull.median)}`);
    const observed = await series(20, () => observeServer({ host: 'localhost', port, connectTo: '127.0.0.1' }));
    lines.push(`  of which the three handshakes (observeServer): median ${ms(observed.median)}`);
    const relay = await delayedRelay(port, 10);
    try {
      const bareFar = await series(5, () => new Promise<void>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: relay.port, servername: 'localhost', rejectUnauthorized: false }, () => { s.destroy(); resolve(); });
        s.once('error', reject);
      }));
      const checkFar = await series(5, () => check({ url: `https://localhost:${relay.port}`, connectTo: '127.0.0.1', trust }));
      lines.push(`with 20 ms round trips (a delaying relay): bare handshake median ${ms(bareFar.median)}, check median ${ms(checkFar.median)} = ${(checkFar.median / bareFar.median).toFixed(2)}×`);
    } finally {
      relay.close();
    }
    const cli = (args: string[]) => { const t = performance.now(); spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' }); return performance.now() - t; };
    const bin = join(import.meta.dirname ?? '.', '..', 'bin', 'tlsdock.cjs');
    const procs = { node: [] as number[], cli: [] as number[], sclient: [] as number[] };
    for (let i = 0; i < 7; i++) {
      procs.node.push(cli(['-e', '0']));
      procs.cli.push(cli([bin, 'check', `https://localhost:${port}`, '--connect-to', '127.0.0.1', '--ca', join(dir, 'ca.pem'), '--json']));
      const t = performance.now();
      spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'], { input: '', stdio: ['pipe', 'ignore', 'ignore'] });
      procs.sclient.push(performance.now() - t);
    }
    lines.push(`whole processes (median of 7): node -e 0 ${ms(median(procs.node))}; tlsdock check ${ms(median(procs.cli))}; openssl s_client ${ms(median(procs.sclient))}`);
  } finally {
    server.kill();
  }
  console.log(lines.join('\n'));
}

main().finally(() => rmSync(dir, { recursive: true, force: true }));
