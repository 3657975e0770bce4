/**
 * docs/python.md, tested: Python clients trust a tlsdock-served endpoint through the CA bundle (or
 * `tlsdock trust env` when it exists), never verify=False. Debian's python3-requests, urllib and pip
 * against jupyter-server started with a pair from `tlsdock ensure`.
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/jupyter-python-clients.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.js';
import { DEBIAN_PYTHON, freePort, jupyterAvailable, jupyterBaseArgs, JUPYTER_SERVER, sandboxEnv, start, type Running } from '../helpers/jupyter.js';
import { startTlsServer, type TestServer } from '../helpers/tls-server.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const execFileP = promisify(execFile);
const skip = (!jupyterAvailable() || !existsSync(DEBIAN_PYTHON)) && 'needs jupyter-server and python3-requests (Debian)';
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const TOKEN = 'python-clients-token-0123456789';

const dir = makeTmpDir('tlsdock-python-');
const home = join(dir, 'tlsdock');
const pair = { cert: join(home, 'jupyter', 'cert.pem'), key: join(home, 'jupyter', 'key.pem') };
const bundle = join(dir, 'ca-bundle.pem');
let jupyter: Running | undefined;
let index: TestServer | undefined;
let port = 0;

before(async () => {
  if (skip) return;
  const e = runCli(['ensure', '--cert', pair.cert, '--key', pair.key], { env: { TLSDOCK_HOME: home, TLSDOCK_NAMES: '' } });
  assert.equal(e.status, 0, e.stderr);
  // docs/python.md: the public roots plus our CA, so the same settings work for PyPI and for our servers.
  writeFileSync(bundle, readFileSync(SYSTEM_BUNDLE, 'utf8') + readFileSync(join(home, 'ca.pem'), 'utf8'));
  port = await freePort();
  jupyter = start(JUPYTER_SERVER, [...jupyterBaseArgs(port, dir), `--certfile=${pair.cert}`, `--keyfile=${pair.key}`], { env: sandboxEnv(makeTmpDir(), { JUPYTER_TOKEN: TOKEN }) });
  await jupyter.waitFor(new RegExp(`https://127\\.0\\.0\\.1:${port}/`));
  index = await startTlsServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key), body: '<!-- an empty simple index -->' });
});

after(async () => {
  await jupyter?.stop();
  await index?.close();
  cleanupTmpDirs();
});

/** Run Debian's Python with a clean environment plus `env`; never blocks this process (the index server lives here). */
async function python(code: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  try {
    const r = await execFileP(DEBIAN_PYTHON, ['-c', code], { env: { PATH: '/usr/bin:/bin', HOME: join(dir, 'home'), ...env }, timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}

const REQUESTS = (url: string) => `
import requests
try:
    r = requests.get(${JSON.stringify(url)}, timeout=10)
    print("status", r.status_code, r.json().get("version"))
except requests.exceptions.SSLError as e:
    print("SSLError", e)
`;

test('requests without the CA: CERTIFICATE_VERIFY_FAILED (so the next test is about trust, not luck)', { timeout: 45_000, skip }, async () => {
  const r = await python(REQUESTS(`https://localhost:${port}/api`));
  assert.match(r.out, /^SSLError .*CERTIFICATE_VERIFY_FAILED/m);
});

test('requests with REQUESTS_CA_BUNDLE=<public roots + our CA>: 200, by name and by IP', { timeout: 45_000, skip }, async () => {
  for (const host of ['localhost', '127.0.0.1']) {
    const r = await python(REQUESTS(`https://${host}:${port}/api`), { REQUESTS_CA_BUNDLE: bundle });
    assert.match(r.out, /^status 200 1\.23\.\d+$/m, host);
  }
  const authed = await python(`import requests\nprint(requests.get("https://localhost:${port}/api/status", headers={"Authorization": "token ${TOKEN}"}, timeout=10).status_code)`, { REQUESTS_CA_BUNDLE: bundle });
  assert.equal(authed.out.trim(), '200');
});

test('requests ignores SSL_CERT_FILE (it reads REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE), which is why the guide sets both', { timeout: 45_000, skip }, async () => {
  assert.match((await python(REQUESTS(`https://localhost:${port}/api`), { SSL_CERT_FILE: bundle })).out, /^SSLError .*CERTIFICATE_VERIFY_FAILED/m);
  assert.match((await python(REQUESTS(`https://localhost:${port}/api`), { CURL_CA_BUNDLE: bundle })).out, /^status 200/m);
});

test('requests with verify=<our CA file> for one call', { timeout: 45_000, skip }, async () => {
  const r = await python(`import requests\nprint(requests.get("https://localhost:${port}/api", verify=${JSON.stringify(join(home, 'ca.pem'))}, timeout=10).status_code)`);
  assert.equal(r.out.trim(), '200');
});

const URLLIB = (url: string) => `
import json, ssl, urllib.request, urllib.error
try:
    with urllib.request.urlopen(${JSON.stringify(url)}, timeout=10) as r:
        print("status", r.status, json.load(r)["version"])
except urllib.error.URLError as e:
    print("URLError", e.reason)
`;

test('urllib: SSL_CERT_FILE points OpenSSL\'s default verify paths at the bundle', { timeout: 45_000, skip }, async () => {
  assert.match((await python(URLLIB(`https://localhost:${port}/api`))).out, /^URLError .*CERTIFICATE_VERIFY_FAILED/m);
  assert.match((await python(URLLIB(`https://localhost:${port}/api`), { SSL_CERT_FILE: bundle })).out, /^status 200 1\.23\.\d+$/m);
});

const PIP = (url: string) => ['-m', 'pip', 'download', '--no-deps', '--no-cache-dir', '--disable-pip-version-check', '--retries', '0', '--timeout', '10', '--index-url', url, '-d', join(dir, 'dl'), 'tlsdock-probe'];

async function pip(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const r = await execFileP(DEBIAN_PYTHON, PIP(`https://localhost:${index!.port}/simple/`), { env: { PATH: '/usr/bin:/bin', HOME: join(dir, 'home'), PIP_CONFIG_FILE: '/dev/null', ...env }, timeout: 120_000 });
    return r.stdout + r.stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return (err.stdout ?? '') + (err.stderr ?? '');
  }
}

const noPip = spawnSync(DEBIAN_PYTHON, ['-c', 'import pip']).status !== 0 && 'needs python3-pip (Debian)';

test('pip: a private index served with a tlsdock certificate, trusted through PIP_CERT or REQUESTS_CA_BUNDLE', { timeout: 45_000, skip: skip || noPip }, async () => {
  const seen = () => index!.requests.filter((r) => r.url === '/simple/tlsdock-probe/').length;
  const untrusted = await pip({});
  assert.match(untrusted, /CERTIFICATE_VERIFY_FAILED|certificate verify failed/);
  assert.equal(seen(), 0, 'no request got through');
  for (const env of [{ PIP_CERT: bundle }, { REQUESTS_CA_BUNDLE: bundle }]) {
    const before = seen();
    const out = await pip(env);
    assert.doesNotMatch(out, /SSLError|CERTIFICATE_VERIFY_FAILED/, JSON.stringify(env));
    assert.match(out, /No matching distribution found for tlsdock-probe/);
    assert.equal(seen(), before + 1, JSON.stringify(env));
  }
});

test('`tlsdock trust env` (when that command exists) gives requests and urllib what they need', { timeout: 45_000, skip }, async (t) => {
  const r = runCli(['trust', 'env'], { env: { TLSDOCK_HOME: home, HOME: join(dir, 'home') } });
  if (r.status !== 0 && /unknown command/.test(r.stderr)) {
    t.skip('tlsdock trust env is not built yet; the bundle path is used directly above');
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const env: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/^export ([A-Z_]+)=(['"]?)(.*)\2;?$/gm)) env[m[1]!] = m[3]!;
  assert.ok(env.REQUESTS_CA_BUNDLE || env.SSL_CERT_FILE, r.stdout);
  assert.match((await python(REQUESTS(`https://localhost:${port}/api`), env)).out, /^status 200/m);
  assert.match((await python(URLLIB(`https://localhost:${port}/api`), env)).out, /^status 200/m);
});
