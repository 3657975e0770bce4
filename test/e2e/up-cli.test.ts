/**
 * `tlsdock up` as users run it (the built CLI, stopped by PID), with HOME and TLSDOCK_HOME in temp
 * folders and trust limited to the NSS store under that HOME (`--store nss`), so the machine's real
 * stores are never touched (checked before and after). Then Chromium, reading that same HOME, opens
 * the proxy with no certificate error: the whole one-minute path, for real.
 *
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/up-cli.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { interfaceAddresses } from '../../src/integrations/local-names.js';
import { BIN, runCli } from '../helpers/cli.js';
import { openChromium } from '../helpers/chromium.js';
import { freePort, start, type Running } from '../helpers/jupyter.js';
import { httpsRequest } from '../helpers/proxy.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let dir: string;
let home: string;
let env: NodeJS.ProcessEnv;
let realBefore: string;
let backendPort: number;
let port: number;
const running: Running[] = [];

interface UpJson {
  ok: boolean;
  event: string;
  ca: { created: boolean; fingerprintSha256: string; path: string };
  trust: { ok: boolean; stores: { id: string; outcome: string }[] };
  backend: { url: string; listening: boolean; hint: string };
  urls: string[];
  skippedNames: { name: string }[];
  listen: { host: string; port: number }[];
}

function up(args: string[]): Running {
  const p = start(process.execPath, [BIN, 'up', ...args], { env });
  running.push(p);
  return p;
}

async function upJson(p: Running): Promise<UpJson> {
  const m = await p.waitFor(/^\{"ok":true,"event":"(listening|already-running)".*$/m, 30_000);
  return JSON.parse(m[0]) as UpJson;
}

before(async () => {
  realBefore = realStoresSnapshot();
  dir = makeTmpDir('tlsdock-up-');
  home = join(dir, 'home');
  // Chromium uses ~/.pki/nssdb when that folder exists; `up` must put the CA where Chromium looks.
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
  env = { ...process.env, HOME: home, TLSDOCK_HOME: join(dir, 'tlsdock'), XDG_DATA_HOME: '', XDG_CONFIG_HOME: '', NO_COLOR: '1' };
  backendPort = await freePort();
  port = await freePort();
});

after(async () => {
  await Promise.allSettled(running.map((p) => p.stop(5000)));
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

test('first run: CA created, trusted in the NSS db, proxy up, a waiting page until the backend listens, then the backend', { timeout: 60_000 }, async () => {
  const p = up(['--to', `http://127.0.0.1:${backendPort}`, '--listen', String(port), '--store', 'nss', '--json']);
  const r = await upJson(p);
  assert.equal(r.event, 'listening');
  assert.equal(r.ca.created, true);
  assert.equal(r.trust.ok, true, JSON.stringify(r.trust));
  assert.deepEqual(r.trust.stores.map((s) => [s.id, s.outcome]), [['nss:chromium', 'installed']]);
  assert.equal(r.backend.listening, false);
  assert.equal(r.backend.hint, `jupyter lab --no-browser --ip=127.0.0.1 --port=${backendPort} --ServerApp.allow_remote_access=True`);
  assert.ok(r.urls.includes(`https://localhost:${port}/`));
  assert.ok(r.urls.includes(`https://[::1]:${port}/`));
  // Every LAN address of this machine is either offered or reported as left out (a CA constrained to private ranges skips public ones).
  for (const a of interfaceAddresses()) {
    const shown = a.includes(':') ? `[${a}]` : a;
    assert.ok(r.urls.includes(`https://${shown}:${port}/`) || r.skippedNames.some((s) => s.name === a), `LAN address ${a} is neither served nor reported`);
  }
  const ca = readFileSync(r.ca.path, 'utf8');

  const waiting = await httpsRequest(`https://localhost:${port}/lab`, { ca, headers: { accept: 'text/html' } });
  assert.equal(waiting.status, 502);
  assert.match(waiting.body.toString(), /Waiting for the server/);
  assert.match(waiting.body.toString(), new RegExp(`jupyter lab --no-browser --ip=127\\.0\\.0\\.1 --port=${backendPort}`));

  const backend = http.createServer((_req, res) => res.end('<!doctype html><title>the backend</title><p>hello'));
  await new Promise<void>((resolve) => backend.listen(backendPort, '127.0.0.1', resolve));
  try {
    const ok = await httpsRequest(`https://localhost:${port}/lab`, { ca });
    assert.equal(ok.status, 200);
    // The browser, reading trust from the same HOME that `up` wrote to, sees no certificate error.
    const browser = await openChromium({ home });
    try {
      const page = await browser.page(`https://localhost:${port}/`);
      assert.equal(page.title, 'the backend');
    } finally {
      await browser.close();
    }

    // Again, while it runs: it says so instead of failing on the busy port.
    const again = runCli(['up', '--to', `http://127.0.0.1:${backendPort}`, '--listen', String(port), '--store', 'nss'], { env });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already running on this port/);
    assert.match(again.stdout, /CA +.*\(existing\)/);
    assert.match(again.stdout, /trust +.*already trusted/);
    // …and lists the same URLs as the running proxy did (read from the certificate it serves).
    const againJson = runCli(['up', '--to', `http://127.0.0.1:${backendPort}`, '--listen', String(port), '--store', 'nss', '--json'], { env });
    assert.equal(againJson.status, 0, againJson.stderr);
    const j = JSON.parse(againJson.stdout) as { event: string; alreadyRunning: { urls: string[] } };
    assert.equal(j.event, 'already-running');
    assert.deepEqual([...j.alreadyRunning.urls].sort(), [...r.urls].sort());
  } finally {
    backend.closeAllConnections();
    backend.close();
  }
  assert.equal(await p.stop(10_000), 0);

  // After a stop: the same CA, trust already there, a proxy again.
  const second = up(['--to', `http://127.0.0.1:${backendPort}`, '--listen', String(port), '--store', 'nss', '--json']);
  const r2 = await upJson(second);
  assert.equal(r2.ca.created, false);
  assert.equal(r2.ca.fingerprintSha256, r.ca.fingerprintSha256);
  assert.deepEqual(r2.trust.stores.map((s) => [s.id, s.outcome]), [['nss:chromium', 'already-present']]);
  assert.equal(await second.stop(10_000), 0);
});

test('human output says what happened and how to start Jupyter', { timeout: 30_000 }, async () => {
  const p = up(['--to', `http://127.0.0.1:${backendPort}`, '--listen', '127.0.0.1:0', '--no-trust']);
  await p.waitFor(/Stop with Ctrl-C/, 20_000);
  const out = p.out();
  assert.match(out, /✓ CA +.*\(existing\)/);
  assert.match(out, /- trust +skipped \(--no-trust\)/);
  assert.match(out, /open +https:\/\/localhost:\d+\//);
  assert.match(out, new RegExp(`nothing listens on http://127\\.0\\.0\\.1:${backendPort} yet`));
  assert.match(out, new RegExp(`jupyter lab --no-browser --ip=127\\.0\\.0\\.1 --port=${backendPort}`));
  assert.equal(await p.stop(10_000), 0);
});

test('already running on a specific address ([::1]:PORT): up probes that address and lists its URLs', { timeout: 30_000 }, async () => {
  const v6 = await freePort();
  const p = up(['--to', `http://127.0.0.1:${backendPort}`, '--listen', `[::1]:${v6}`, '--no-trust', '--json']);
  const first = await upJson(p);
  assert.deepEqual(first.listen, [{ host: '::1', port: v6 }]);
  const again = runCli(['up', '--to', `http://127.0.0.1:${backendPort}`, '--listen', `[::1]:${v6}`, '--no-trust', '--json'], { env });
  assert.equal(again.status, 0, again.stderr);
  const j = JSON.parse(again.stdout) as { event: string; alreadyRunning: { urls: string[] } };
  assert.equal(j.event, 'already-running');
  assert.deepEqual([...j.alreadyRunning.urls].sort(), [...first.urls].sort());
  assert.deepEqual(first.urls.sort(), [`https://[::1]:${v6}/`, `https://localhost:${v6}/`].sort());
  assert.equal(await p.stop(10_000), 0);
});
