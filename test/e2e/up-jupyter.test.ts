/**
 * The one-minute path with the real Jupyter, in the mode `tlsdock up` uses: the local CA and its
 * short-lived certificate (not --cert/--key files). `up` (the built CLI; HOME, TLSDOCK_HOME and the
 * NSS store in temp folders, the machine's real stores checked unchanged) starts first, Debian's
 * jupyter-server is then started with the options `up` told us to use, and, only through HTTPS
 * with the CA trusted:
 *   every URL `up` printed reaches Jupyter's REST API (host name and LAN IPs included, each dialled
 *   on loopback with its own Host, SNI and name check), a kernel runs code over wss at a LAN URL,
 *   Chromium reading the NSS db `up` wrote opens Jupyter by name, and testssl.sh judges the proxy.
 *
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/up-jupyter.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli } from '../helpers/cli.js';
import { openChromium } from '../helpers/chromium.js';
import { freePort, jupyterAvailable, jupyterBaseArgs, JUPYTER_SERVER, sandboxEnv, start, type Running } from '../helpers/jupyter.js';
import { executeOverWss } from '../helpers/jupyter-kernel.js';
import { httpsRequest, viaLoopback } from '../helpers/proxy.js';
import { runTestssl, seriousFindings, type TestsslResult } from '../helpers/testssl.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

const TOKEN = 'e2e-' + randomBytes(12).toString('hex');
const auth = { authorization: `token ${TOKEN}` };

let dir: string;
let home: string;
let env: NodeJS.ProcessEnv;
let realBefore: string;
let up: Running;
let jupyter: Running;
let port: number;
let jupyterPort: number;
let ca: string;
let urls: string[];
let hint: string;
let testssl: Promise<TestsslResult>;

before(async () => {
  assert.ok(jupyterAvailable(), `${JUPYTER_SERVER} is missing: apt-get install jupyter-server python3-ipykernel`);
  realBefore = realStoresSnapshot();
  dir = makeTmpDir('tlsdock-upj-');
  env = { ...sandboxEnv(dir), TLSDOCK_HOME: join(dir, 'tlsdock'), XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' };
  home = env.HOME!;
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true }); // where Chromium reads trust
  mkdirSync(join(dir, 'notebooks'));
  jupyterPort = await freePort();
  port = await freePort();

  // What the README says to run: `up` first, then Jupyter as `up` says.
  up = start(process.execPath, [BIN, 'up', '--to', `http://127.0.0.1:${jupyterPort}`, '--listen', String(port), '--store', 'nss', '--json'], { env });
  const m = await up.waitFor(/^\{"ok":true,"event":"listening".*$/m, 30_000);
  const r = JSON.parse(m[0]) as { urls: string[]; ca: { path: string }; trust: { ok: boolean }; backend: { listening: boolean; hint: string }; certificates: { source: string }[] };
  assert.equal(r.trust.ok, true);
  assert.equal(r.backend.listening, false);
  assert.deepEqual(r.certificates.map((c) => c.source), ['local-ca']);
  urls = r.urls;
  hint = r.backend.hint;
  ca = readFileSync(r.ca.path, 'utf8');

  // `jupyter lab …` is what users run; Debian's package is jupyter-server, which takes the same options.
  const [cmd, sub, ...hinted] = hint.split(' ');
  assert.deepEqual([cmd, sub], ['jupyter', 'lab']);
  const extra = ['--port-retries=0', `--ServerApp.root_dir=${join(dir, 'notebooks')}`, `--ServerApp.token=${TOKEN}`, ...(process.getuid?.() === 0 ? ['--allow-root'] : [])];
  jupyter = start(JUPYTER_SERVER, [...hinted, ...extra], { env });
  await jupyter.waitFor(/is running at/, 30_000);
  // The certificate lives 7 days and is replaced after 2/3 of that: in service it always has more
  // than 2 days left, unless renewals have been failing. Those are the thresholds that mean something.
  testssl = runTestssl({ url: `https://localhost:${port}`, caFile: r.ca.path, dir, env, expiryWarnDays: { medium: 2, high: 1 } });
});

after(async () => {
  await Promise.allSettled([up?.stop(5000), jupyter?.stop(10_000)]);
  await testssl;
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

test('every URL `up` printed reaches Jupyter through HTTPS, the host name and LAN IPs included', { timeout: 60_000 }, async () => {
  const host = hostname().toLowerCase();
  assert.ok(urls.includes(`https://localhost:${port}/`) && urls.includes(`https://[::1]:${port}/`));
  assert.ok(urls.includes(`https://${host}:${port}/`), `the host name is offered: ${urls.join(' ')}`);
  for (const u of urls) {
    const via = viaLoopback(`${u}api/kernels`);
    const r = await httpsRequest(via.url, { ca, headers: { ...auth, ...via.headers }, identityHost: via.identityHost, ...(via.servername ? { servername: via.servername } : {}) });
    assert.equal(r.status, 200, `${u}: ${r.status} ${r.body.toString().slice(0, 200)}`);
  }
});

test('a kernel runs code over wss at a LAN URL (or the host name), as a colleague\'s browser would', { timeout: 60_000 }, async () => {
  const lan = urls.find((u) => !/localhost|127\.0\.0\.1|\[::1\]/.test(u))!;
  const started = await httpsRequest(`https://localhost:${port}/api/kernels`, { ca, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'python3' }) });
  assert.equal(started.status, 201, started.body.toString());
  const kernel = started.json<{ id: string }>();
  const via = viaLoopback(lan);
  assert.equal(await executeOverWss({ baseUrl: via.url, kernelId: kernel.id, ca, headers: { ...auth, ...via.headers }, identityHost: via.identityHost, code: '6 * 7', ...(via.servername ? { servername: via.servername } : {}) }), '42');
  const del = await httpsRequest(`https://localhost:${port}/api/kernels/${kernel.id}`, { ca, method: 'DELETE', headers: auth });
  assert.equal(del.status, 204);
});

test('Chromium, reading the NSS db `up` installed the CA into, opens Jupyter by localhost and by host name', { timeout: 60_000 }, async () => {
  const browser = await openChromium({ home });
  try {
    for (const name of ['localhost', hostname().toLowerCase()]) {
      const page = await browser.page(`https://${name}:${port}/?token=${TOKEN}`);
      assert.equal(page.status, 200, name);
      assert.equal(page.title, 'Jupyter Server', name);
    }
  } finally {
    await browser.close();
  }
});

test('testssl.sh against the local-CA certificate (expiry thresholds set to its 7-day life): nothing HIGH or CRITICAL besides the missing CRL/OCSP', { timeout: 150_000 }, async () => {
  const r = await testssl;
  assert.ok(r.findings.length > 20, `testssl.sh produced no findings (exit ${r.status}):\n${r.out.slice(-2000)}`);
  assert.ok(r.findings.some((f) => f.id === 'cert_chain_of_trust' && /passed/i.test(f.finding)), 'the chain is judged with our CA');
  assert.deepEqual(seriousFindings(r.findings), []);
  assert.match(r.findings.find((f) => f.id === 'cert_keySize')?.finding ?? '', /EC/, 'the short-lived certificate has an ECDSA key');
  const expiry = r.findings.find((f) => f.id === 'cert_expirationStatus');
  assert.equal(expiry?.severity, 'OK', JSON.stringify(expiry));
  assert.ok(Number(/^(\d+) >=/.exec(expiry?.finding ?? '')?.[1]) >= 2, `a fresh 7-day certificate: ${expiry?.finding}`);
});

test('up tells a Jupyter that refuses non-local Host headers (started the usual way) from one that does not', { timeout: 90_000 }, async () => {
  // Run again while the proxy runs: the Jupyter started as `up` said accepts every URL.
  const again = runCli(['up', '--to', `http://127.0.0.1:${jupyterPort}`, '--listen', String(port), '--store', 'nss', '--json'], { env });
  assert.equal(again.status, 0, again.stderr);
  const a = JSON.parse(again.stdout) as { event: string; backend: { listening: boolean; refusesOtherHosts: boolean | null } };
  assert.equal(a.event, 'already-running');
  assert.deepEqual([a.backend.listening, a.backend.refusesOtherHosts], [true, false]);

  // `jupyter lab --no-browser --port=N` as most people start it: 403 for the host-name and LAN URLs.
  const plainPort = await freePort();
  const plain = start(JUPYTER_SERVER, [...jupyterBaseArgs(plainPort, join(dir, 'notebooks')), `--ServerApp.token=${TOKEN}`], { env });
  try {
    await plain.waitFor(/is running at/, 30_000);
    const j = start(process.execPath, [BIN, 'up', '--to', `http://127.0.0.1:${plainPort}`, '--listen', '127.0.0.1:0', '--no-trust', '--json'], { env });
    try {
      const m = await j.waitFor(/^\{"ok":true,"event":"listening".*$/m, 30_000);
      const r = JSON.parse(m[0]) as { backend: { listening: boolean; refusesOtherHosts: boolean | null } };
      assert.deepEqual([r.backend.listening, r.backend.refusesOtherHosts], [true, true]);
    } finally {
      await j.stop(5000);
    }
    const p = start(process.execPath, [BIN, 'up', '--to', `http://127.0.0.1:${plainPort}`, '--listen', '127.0.0.1:0', '--no-trust'], { env });
    try {
      await p.waitFor(/Stop with Ctrl-C/, 30_000);
      assert.match(p.out(), /Jupyter on http:\/\/127\.0\.0\.1:\d+ answers 403 to every URL above but localhost's/);
      assert.match(p.out(), /--ServerApp\.allow_remote_access=True/);
    } finally {
      await p.stop(5000);
    }
  } finally {
    await plain.stop(10_000);
  }
});
