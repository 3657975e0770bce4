/**
 * `tlsdock proxy` (the built CLI, a child process) in front of Debian's real jupyter-server, used
 * only through HTTPS with our CA trusted (never rejectUnauthorized: false):
 *   REST, a kernel over wss (execute_request → execute_result), 50 MB up and down through the
 *   contents API, a bigger raw stream both ways with the proxy's RSS watched, Chromium with the CA
 *   in a sandbox NSS db, testssl.sh; then Jupyter stopped (502 page, proxy alive) and back, and a
 *   broken certificate written over the watched file (the old one keeps serving).
 *
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/proxy-jupyter.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Readable } from 'node:stream';
import { BIN, runCli } from '../helpers/cli.js';
import { makeNssHome, openChromium } from '../helpers/chromium.js';
import { childPids, eventually, freePort, jupyterAvailable, jupyterBaseArgs, JUPYTER_SERVER, sandboxEnv, start, type Running } from '../helpers/jupyter.js';
import { executeOverWss } from '../helpers/jupyter-kernel.js';
import { httpsRequest, type HttpsAnswer } from '../helpers/proxy.js';
import { runTestssl, seriousFindings, type TestsslResult } from '../helpers/testssl.js';
import { JUPYTER_BEHIND_PROXY } from '../../src/proxy/error-page.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const TOKEN = 'e2e-' + randomBytes(12).toString('hex');
const auth = { authorization: `token ${TOKEN}` };

let dir: string;
let env: NodeJS.ProcessEnv;
let caPem: string;
let caFile: string;
let certFile: string;
let keyFile: string;
let jupyterPort: number;
let jupyter: Running | undefined;
let proxy: Running;
let port: number;
let raw: http.Server;
let testssl: Promise<TestsslResult> | undefined;

function startJupyter(): Running {
  const root = join(dir, 'notebooks');
  // Started as the proxy's hint tells users to (jupyterHint): the names other than localhost need it.
  return start(JUPYTER_SERVER, [...jupyterBaseArgs(jupyterPort, root), `--ServerApp.token=${TOKEN}`, JUPYTER_BEHIND_PROXY], { env });
}

function url(path: string): string {
  return `https://localhost:${port}${path}`;
}

function get(path: string, headers: http.OutgoingHttpHeaders = {}): Promise<HttpsAnswer> {
  return httpsRequest(url(path), { ca: caPem, headers: { ...auth, ...headers } });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** RSS of the proxy and its worker processes together. */
function treeRssMb(pid: number): number {
  return rssMb(pid) + childPids(pid).reduce((sum, c) => sum + rssMb(c), 0);
}

/** Sample a process's RSS every 25 ms while `fn` runs; returns the peak. */
async function peakRss<T>(pid: number, fn: () => Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = treeRssMb(pid);
  const timer = setInterval(() => { peak = Math.max(peak, treeRssMb(pid)); }, 25);
  try {
    const result = await fn();
    return { peak: Math.max(peak, treeRssMb(pid)), result };
  } finally {
    clearInterval(timer);
  }
}

function servedFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: caPem }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

before(async () => {
  assert.ok(jupyterAvailable(), `${JUPYTER_SERVER} is missing: apt-get install jupyter-server python3-ipykernel`);
  dir = makeTmpDir('tlsdock-pj-');
  env = { ...sandboxEnv(dir), TLSDOCK_HOME: join(dir, 'tlsdock'), NO_COLOR: '1' };
  mkdirSync(join(dir, 'notebooks'), { recursive: true });
  const issued = runCli(['issue', 'localhost', 'raw.localhost', '127.0.0.1', '::1', '--cert-file', join(dir, 'tls.crt'), '--key-file', join(dir, 'tls.key'), '--json'], { env });
  assert.equal(issued.status, 0, issued.stderr);
  certFile = join(dir, 'tls.crt');
  keyFile = join(dir, 'tls.key');
  caFile = join(dir, 'tlsdock', 'ca.pem');
  caPem = readFileSync(caFile, 'utf8');

  // A raw streaming backend, routed by host name, for the big-body test.
  raw = http.createServer((req, res) => {
    if (req.url === '/upload') {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (d: Buffer) => { h.update(d); n += d.length; });
      req.on('end', () => res.end(JSON.stringify({ bytes: n, sha256: h.digest('hex') })));
      return;
    }
    const size = Number(new URL(req.url!, 'http://x').searchParams.get('mb')) * 1024 * 1024;
    const block = createHash('sha256').update('block').digest();
    const chunk = Buffer.concat(Array.from({ length: 2048 }, () => block)); // 64 KiB
    res.writeHead(200, { 'content-length': size });
    let sent = 0;
    const pump = () => { while (sent < size) { sent += chunk.length; if (!res.write(chunk)) return void res.once('drain', pump); } res.end(); };
    pump();
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));

  jupyterPort = await freePort();
  jupyter = startJupyter();
  proxy = start(process.execPath, [BIN, 'proxy', '--to', `http://127.0.0.1:${jupyterPort}`, '--route', `raw.localhost=http://127.0.0.1:${(raw.address() as AddressInfo).port}`,
    '--listen', '127.0.0.1:0', '--cert', certFile, '--key', keyFile, '--json'], { env });
  const line = await proxy.waitFor(/^\{"ok":true,"event":"listening".*$/m, 20_000);
  port = JSON.parse(line[0]).listen[0].port;
  await jupyter.waitFor(/is running at/, 30_000);
  // testssl.sh takes ~30 s: let it run while the Jupyter tests do their work.
  testssl = runTestssl({ url: `https://localhost:${port}`, caFile, dir, env: { ...env, HOME: join(dir, 'home') } });
});

after(async () => {
  await Promise.allSettled([proxy?.stop(5000), jupyter?.stop(10_000)]);
  await testssl;
  raw?.closeAllConnections();
  await new Promise((r) => raw?.close(r));
  cleanupTmpDirs();
});

test('GET /api through HTTPS', async () => {
  const r = await get('/api');
  assert.equal(r.status, 200);
  assert.match(r.json<{ version: string }>().version, /^\d+\.\d+/);
  await proxy.waitFor(/"method":"GET","host":"localhost:\d+","path":"\/api","status":200/, 5000); // the access log (JSON, implied by --json)
});

test('the URLs `up` prints for the host name and LAN IPs reach Jupyter too (the Host header is kept)', async () => {
  // Jupyter answers 403 to a request from loopback whose Host is not local, unless started as the hint says.
  for (const host of [`192.168.1.20:${port}`, `box.example.internal:${port}`, `[fd00::20]:${port}`]) {
    const r = await httpsRequest(`https://127.0.0.1:${port}/api/kernels`, { ca: caPem, servername: 'localhost', headers: { ...auth, host } });
    assert.equal(r.status, 200, `Host ${host}: ${r.body.toString().slice(0, 200)}`);
  }
});

test('a kernel started by REST runs code over wss: execute_request → execute_result on iopub', { timeout: 60_000 }, async () => {
  const started = await httpsRequest(url('/api/kernels'), { ca: caPem, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'python3' }) });
  assert.equal(started.status, 201, started.body.toString());
  const kernel = started.json<{ id: string }>();
  assert.equal(await executeOverWss({ baseUrl: `https://localhost:${port}`, kernelId: kernel.id, ca: caPem, headers: auth, code: 'sum(range(10)) * 6 + 12' }), '282');
  await proxy.waitFor(new RegExp(`"path":"/api/kernels/${kernel.id}/channels[^"]*","status":101`), 5000);
  const del = await httpsRequest(url(`/api/kernels/${kernel.id}`), { ca: caPem, method: 'DELETE', headers: auth });
  assert.equal(del.status, 204);
});

test('50 MB up (contents API, chunked base64) and down (/files) with matching checksums', { timeout: 90_000 }, async (t) => {
  const data = randomBytes(50 * 1024 * 1024);
  const chunk = 10 * 1024 * 1024;
  const count = data.length / chunk;
  const rssBefore = treeRssMb(proxy.pid);
  const { peak } = await peakRss(proxy.pid, async () => {
    for (let i = 0; i < count; i++) {
      const body = JSON.stringify({ type: 'file', format: 'base64', name: 'big.bin', path: 'big.bin', chunk: i === count - 1 ? -1 : i + 1, content: data.subarray(i * chunk, (i + 1) * chunk).toString('base64') });
      const r = await httpsRequest(url('/api/contents/big.bin'), { ca: caPem, method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body });
      assert.ok(r.status === 200 || r.status === 201, `chunk ${i + 1}: ${r.status} ${r.body.toString().slice(0, 200)}`);
    }
    const down = await get('/files/big.bin');
    assert.equal(down.status, 200);
    assert.equal(down.body.length, data.length);
    assert.equal(createHash('sha256').update(down.body).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });
  // Streaming: the proxy never holds a whole body (each request body here is 13 MB of JSON, the download 50 MB).
  t.diagnostic(`proxy RSS ${rssBefore.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak`);
  assert.ok(peak - rssBefore < 100, `proxy RSS grew from ${rssBefore.toFixed(0)} to ${peak.toFixed(0)} MB`);
});

test('a 512 MB raw stream up and down goes through with bounded proxy memory', { timeout: 120_000 }, async (t) => {
  const mb = 512;
  const rssBefore = treeRssMb(proxy.pid);
  const { peak, result } = await peakRss(proxy.pid, async () => {
    const block = randomBytes(1024 * 1024);
    const upload = await httpsRequest(url('/upload'), {
      ca: caPem, method: 'POST', servername: 'localhost', headers: { host: `raw.localhost:${port}` },
      body: Readable.from((function* () { for (let i = 0; i < mb; i++) yield block; })()),
      timeoutMs: 120_000,
    });
    const expect = createHash('sha256');
    for (let i = 0; i < mb; i++) expect.update(block);
    assert.deepEqual(upload.json(), { bytes: mb * 1024 * 1024, sha256: expect.digest('hex') });
    // Download without keeping it: hash as it arrives.
    return new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
      const h = createHash('sha256');
      let n = 0;
      const req = https.get({ host: '127.0.0.1', port, path: `/download?mb=${mb}`, servername: 'localhost', headers: { host: `raw.localhost:${port}` }, ca: caPem, agent: false }, (res) => {
        res.on('data', (d: Buffer) => { h.update(d); n += d.length; });
        res.on('end', () => resolve({ bytes: n, sha256: h.digest('hex') }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  });
  const block = createHash('sha256').update('block').digest();
  const expect = createHash('sha256');
  const chunk = Buffer.concat(Array.from({ length: 2048 }, () => block));
  for (let i = 0; i < mb * 16; i++) expect.update(chunk);
  assert.deepEqual(result, { bytes: mb * 1024 * 1024, sha256: expect.digest('hex') });
  t.diagnostic(`proxy RSS ${rssBefore.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak`);
  assert.ok(peak - rssBefore < 150, `proxy RSS grew from ${rssBefore.toFixed(0)} to ${peak.toFixed(0)} MB while ${mb} MB went each way`);
});

test('Chromium, with the CA in its (sandboxed) NSS db, loads the Jupyter page with no certificate error', { timeout: 60_000 }, async () => {
  const nss = makeNssHome();
  nss.trust(caFile);
  const browser = await openChromium({ home: nss.home });
  try {
    const page = await browser.page(url(`/?token=${TOKEN}`));
    assert.equal(page.status, 200);
    assert.equal(page.title, 'Jupyter Server');
  } finally {
    await browser.close();
  }
  // And without the CA the same browser setup refuses: the check above can fail.
  const bare = await openChromium({ home: makeNssHome().home });
  try {
    assert.equal(await bare.verdict(url('/')), 'ERR_CERT_AUTHORITY_INVALID');
  } finally {
    await bare.close();
  }
});

test('testssl.sh (CA given with --add-ca) finds nothing HIGH or CRITICAL besides the missing CRL/OCSP', { timeout: 150_000 }, async () => {
  const r = await testssl!;
  assert.ok(r.findings.length > 20, `testssl.sh produced no findings (exit ${r.status}):\n${r.out.slice(-2000)}`);
  assert.ok(r.findings.some((f) => f.id === 'cert_chain_of_trust' && /passed/i.test(f.finding)), 'the chain is judged with our CA');
  const bad = seriousFindings(r.findings);
  assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
  for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) assert.match(r.findings.find((f) => f.id === id)?.finding ?? '', /not offered/, id);
});

test('Jupyter stopped: a 502 page that names the backend; the proxy stays up; Jupyter back: it works again', { timeout: 90_000 }, async () => {
  await jupyter!.stop(15_000);
  const down = await get('/api', { accept: 'text/html' });
  assert.equal(down.status, 502);
  const page = down.body.toString();
  assert.match(page, new RegExp(`http://127\\.0\\.0\\.1:${jupyterPort}`));
  assert.match(page, /jupyter lab --no-browser/);
  const api = await get('/api/status', { accept: 'application/json' });
  assert.equal(api.status, 502);
  process.kill(proxy.pid, 0); // still running
  jupyter = startJupyter();
  await jupyter.waitFor(/is running at/, 30_000);
  const back = await eventually(async () => {
    const r = await get('/api');
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    return r;
  }, 20_000);
  assert.equal(back.status, 200);
});

test('a broken certificate written over the watched file: the old one keeps serving, and the log says why', { timeout: 30_000 }, async () => {
  const before = await servedFingerprint();
  const good = readFileSync(certFile, 'utf8');
  writeFileSync(certFile, good.slice(0, Math.floor(good.length / 2)));
  await proxy.waitFor(/cert-reload-rejected/, 15_000);
  await new Promise((r) => setTimeout(r, 300)); // what a worker would have applied by now
  assert.equal(await servedFingerprint(), before);
  assert.equal((await get('/api')).status, 200);
  // A good pair again (a renewal): taken without a restart.
  const renewed = runCli(['issue', 'localhost', 'raw.localhost', '127.0.0.1', '::1', '--cert-file', certFile, '--key-file', keyFile, '--force', '--json'], { env });
  assert.equal(renewed.status, 0, renewed.stderr);
  await proxy.waitFor(/"event":"cert-reloaded"/, 15_000);
  // The primary reloaded; its worker serves the new pair a few milliseconds later.
  await eventually(async () => assert.notEqual(await servedFingerprint(), before), 5000, 50);
});
