/**
 * `tlsdock proxy` as users run it (the built CLI, child processes stopped by PID): usage errors,
 * certificates from the local CA renewed with no restart and no dropped connection (one process and
 * --workers 2), SNI per --route host, SIGHUP reload of files, --redirect-http, graceful SIGTERM.
 *
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/proxy-cli.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { BIN, runCli } from '../helpers/cli.js';
import { childPids, eventually, start, type Running } from '../helpers/jupyter.js';
import { httpsRequest, startBackend, type TestBackend } from '../helpers/proxy.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let backend: TestBackend;
const running: Running[] = [];

function proxy(args: string[]): Running {
  const p = start(process.execPath, [BIN, 'proxy', ...args], { env });
  running.push(p);
  return p;
}

async function listening(p: Running): Promise<{ port: number; info: Record<string, unknown> }> {
  const m = await p.waitFor(/^\{"ok":true,"event":"listening".*$/m, 20_000);
  const info = JSON.parse(m[0]) as { listen: { port: number }[] } & Record<string, unknown>;
  return { port: info.listen[0]!.port, info };
}

function caPem(): string {
  return readFileSync(join(dir, 'tlsdock', 'ca.pem'), 'utf8');
}

function peer(port: number, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, ca: caPem() }, () => {
      const c = s.getPeerCertificate();
      s.destroy();
      resolve(c);
    });
    s.on('error', reject);
  });
}

before(async () => {
  dir = makeTmpDir('tlsdock-pcli-');
  env = { ...process.env, TLSDOCK_HOME: join(dir, 'tlsdock'), HOME: join(dir, 'home'), NO_COLOR: '1' };
  backend = await startBackend();
});

after(async () => {
  await Promise.allSettled(running.map((p) => p.stop(5000)));
  await backend?.close();
  cleanupTmpDirs();
});

describe('usage', () => {
  test('--help shows examples; mistakes exit 2 with one sentence', async () => {
    const help = runCli(['proxy', '--help'], { env });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Examples:[\s\S]*tlsdock proxy --to http:\/\/127\.0\.0\.1:8888/);
    const cases: [string[], RegExp][] = [
      [[], /Say where to forward: --to URL/],
      [['--to', 'ftp://x'], /must be http:\/\/ or https:\/\//],
      [['--to', 'http://127.0.0.1:1', '--listen', 'nope'], /expected \[HOST:\]PORT/],
      [['--to', 'http://127.0.0.1:1', '--cert', 'a.pem'], /Give one --key per --cert/],
      [['--to', 'http://127.0.0.1:1', '--workers', '999'], /whole number of processes/],
      [['--to', 'http://127.0.0.1:1', '--cert-lifetime', '9999d'], /more than browsers accept/],
      [['--to', 'http://127.0.0.1:1', '--name', 'example.com', '--listen', '127.0.0.1:0'], /may not sign for example\.com/],
      [['--to', 'http://127.0.0.1:1', '--cert', join(dir, 'missing.pem'), '--key', join(dir, 'missing-key.pem')], /missing\.pem does not exist/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(['proxy', ...args], { env });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
  });

  test('a worker process that dies before listening is an error, not a hang', async () => {
    const bad = join(dir, 'bad-worker.cjs');
    writeFileSync(bad, 'process.exit(3);\n');
    const r = runCli(['proxy', '--to', backend.url, '--listen', '127.0.0.1:0'], { env: { ...env, TLSDOCK_PROXY_WORKER_ENTRY: bad } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /A proxy worker process exited \(code 3\) before it could listen/);
  });

  test('a port in use is a clear error, with --json too', async () => {
    const busy = http.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const p = (busy.address() as AddressInfo).port;
      const r = runCli(['proxy', '--to', backend.url, '--listen', `127.0.0.1:${p}`, '--json'], { env });
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`Port ${p} is already in use on 127\\.0\\.0\\.1`));
      assert.equal((r.json().error as { code: string }).code, 'network');
    } finally {
      busy.close();
    }
  });
});

describe('local CA certificates', () => {
  for (const workers of [0, 2]) {
    test(`renewed ahead of expiry with no restart and no dropped connection (--workers ${workers}: ${workers === 0 ? 'served by the process that renews' : 'handed to worker processes'})`, { timeout: 60_000 }, async () => {
      const args = ['--to', backend.url, '--listen', '127.0.0.1:0', '--cert-lifetime', '6s', '--no-local-names', '--json', '--workers', String(workers)];
      const p = proxy(args);
      const { port, info } = await listening(p);
      assert.equal(info.workers, workers);
      const workerPids = workers > 1 ? childPids(p.pid) : [];
      if (workers > 1) assert.equal(workerPids.length, workers, 'worker processes');
      // The memory settings of src/proxy/worker-memory.ts reach the real worker processes.
      if (process.platform === 'linux') for (const pid of workerPids) {
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        assert.match(environ.find((e) => e.startsWith('GLIBC_TUNABLES=')) ?? '', /^GLIBC_TUNABLES=(.*:)?glibc\.malloc\.tcache_count=/, `worker ${pid}'s malloc setting`);
        assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--max-semi-space-size=8'), `worker ${pid}'s young generation flag`);
      }
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: caPem() });
      const seen = new Map<string, number>();
      const sockets = new Set<unknown>();
      const deadline = Date.now() + 9000;
      let requests = 0;
      while (Date.now() < deadline) {
        const c = await peer(port, 'localhost');
        assert.ok(new Date(c.valid_to).getTime() > Date.now(), `an expired certificate was served: ${c.valid_to}`);
        seen.set(c.fingerprint256, (seen.get(c.fingerprint256) ?? 0) + 1);
        await new Promise<void>((resolve, reject) => {
          https.get({ host: '127.0.0.1', port, path: '/', agent, servername: 'localhost' }, (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          }).on('error', reject);
        });
        requests++;
        await new Promise((r) => setTimeout(r, 200));
      }
      agent.destroy();
      assert.ok(seen.size >= 2, `expected a renewal within 9 s of a 6 s certificate; saw ${seen.size} certificate(s)`);
      assert.equal(sockets.size, 1, `the keep-alive connection was dropped across ${seen.size - 1} renewal(s) (${requests} requests)`);
      await p.waitFor(/"event":"cert-issued","reason":"renewal"/, 5000);
      assert.equal(await p.stop(10_000), 0, 'SIGTERM stops cleanly');
      for (const pid of workerPids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} outlived the primary`);
    });
  }

  test('a worker that dies is replaced and serving goes on; when they keep dying the proxy exits 2, not 0', { timeout: 60_000 }, async () => {
    const p = proxy(['--to', backend.url, '--listen', '127.0.0.1:0', '--no-local-names', '--json']);
    const { port } = await listening(p);
    const ok = async (): Promise<void> => {
      const r = await httpsRequest(`https://127.0.0.1:${port}/`, { ca: caPem(), servername: 'localhost' });
      assert.equal(r.status, 200);
    };
    await ok();
    const worker = (): number => {
      const pids = childPids(p.pid);
      assert.equal(pids.length, 1, 'one worker process');
      return pids[0]!;
    };
    const first = worker();
    process.kill(first, 'SIGKILL');
    await p.waitFor(/"event":"worker-exit".*"restarting":true/, 5000);
    await eventually(async () => { assert.notEqual(worker(), first); await ok(); }, 10_000);
    // Five more deaths within 30 s exhaust the restarts: the proxy must say so and fail, not exit 0 in silence.
    for (let i = 0; i < 5; i++) {
      const pid = await eventually(async () => worker(), 10_000);
      process.kill(pid, 'SIGKILL');
      await eventually(async () => assert.throws(() => process.kill(pid, 0), /ESRCH/), 5000);
      if (i < 4) await eventually(async () => assert.notEqual(worker(), pid), 10_000);
    }
    assert.equal(await p.exited, 2, p.err());
    assert.match(p.err(), /Every proxy worker process died .*--workers 0/s);
  });

  test('one certificate per --route host, chosen by SNI; the default one for the rest', { timeout: 30_000 }, async () => {
    const other = await startBackend();
    try {
      const p = proxy(['--to', backend.url, '--route', `lab.localhost=${other.url}`, '--route', `docs.localhost=${other.url}`, '--listen', '127.0.0.1:0', '--no-local-names', '--json']);
      const { port } = await listening(p);
      assert.equal((await peer(port, 'lab.localhost')).subjectaltname, 'DNS:lab.localhost');
      assert.equal((await peer(port, 'docs.localhost')).subjectaltname, 'DNS:docs.localhost');
      assert.match((await peer(port, 'localhost')).subjectaltname ?? '', /DNS:localhost/);
      const r = await httpsRequest(`https://127.0.0.1:${port}/x`, { ca: caPem(), servername: 'lab.localhost', headers: { host: `lab.localhost:${port}` } });
      assert.equal(r.status, 200);
      assert.equal(other.seen.length, 1, 'the route sent it to its own backend');
      assert.equal(backend.seen.filter((s) => s.url === '/x').length, 0);
    } finally {
      await other.close();
    }
  });
});

describe('operations', () => {
  test('files: SIGHUP reloads them; --redirect-http redirects; SIGTERM drains and exits 0', { timeout: 30_000 }, async () => {
    const certFile = join(dir, 'site.pem');
    const keyFile = join(dir, 'site-key.pem');
    const issue = () => {
      const r = runCli(['issue', 'localhost', '127.0.0.1', '--cert-file', certFile, '--key-file', keyFile, '--force', '--json'], { env });
      assert.equal(r.status, 0, r.stderr);
      return (r.json() as { fingerprintSha256: string }).fingerprintSha256;
    };
    issue();
    const p = proxy(['--to', backend.url, '--listen', '127.0.0.1:0', '--cert', certFile, '--key', keyFile, '--redirect-http', '127.0.0.1:0', '--log-format', 'json', '--json']);
    const { port, info } = await listening(p);
    const redirectPort = (info.redirect as { port: number }).port;
    const before = (await peer(port, 'localhost')).fingerprint256;

    const renewed = issue();
    // The file watcher may get there first; SIGHUP then finds nothing new. Either way it says what it did.
    process.kill(p.pid, 'SIGHUP');
    await p.waitFor(/"event":"reload","trigger":"signal"/, 10_000);
    assert.match(p.err(), /"event":"cert-reloaded"/);
    // The primary reloaded; the worker has it a few milliseconds later.
    const now = await eventually(async () => {
      const fp = (await peer(port, 'localhost')).fingerprint256;
      if (fp === before) throw new Error('still the old certificate');
      return fp;
    }, 5000, 50);
    assert.equal(now, renewed);

    const r = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: redirectPort, path: '/lab?x=1', headers: { host: `localhost:${redirectPort}` } }, resolve).on('error', reject);
    });
    r.resume();
    assert.equal(r.statusCode, 301);
    assert.equal(r.headers.location, `https://localhost:${port}/lab?x=1`);

    assert.equal(await p.stop(10_000), 0);
    assert.match(p.err(), /"event":"shutdown","signal":"SIGTERM","inFlight":null/); // the primary: its worker counts its own
    assert.match(p.err(), /"event":"shutdown","signal":"SIGTERM","inFlight":0/); // the worker, idle here
    assert.match(p.err(), /"event":"stopped"/);
  });

  test('human start-up output names the backend, the certificate and the URLs', { timeout: 30_000 }, async () => {
    const p = proxy(['--to', backend.url, '--listen', '0', '--name', 'lab.ai-lab.local']);
    const m = await p.waitFor(/Stop with Ctrl-C/, 20_000);
    assert.ok(m);
    const out = p.out();
    assert.match(out, new RegExp(`forwarding +https → ${backend.url.replace(/\./g, '\\.')}`));
    assert.match(out, /certificate +ECDSA P-256 from the local CA, for localhost, 127\.0\.0\.1, ::1, .*lab\.ai-lab\.local/);
    assert.match(out, /renewed by itself every 5 days/);
    assert.match(out, /open +https:\/\/localhost:\d+\//);
    assert.match(out, /https:\/\/\[::1\]:\d+\//);
    assert.match(out, /https:\/\/lab\.ai-lab\.local:\d+\//);
    // With the lean worker bundle built, the default is one worker process running it.
    if (existsSync(join(BIN, '..', '..', 'dist', 'proxy-worker.cjs'))) {
      const kids = childPids(p.pid);
      assert.equal(kids.length, 1);
      assert.match(readFileSync(`/proc/${kids[0]}/cmdline`, 'utf8'), /dist\/proxy-worker\.cjs/);
    }
    assert.equal(await p.stop(10_000), 0);
  });
});
