/**
 * `eval "$(tlsdock trust env)"` with the real clients against a local HTTPS server whose certificate comes
 * from a tlsdock CA that no store trusts: Python requests (Debian's python3-requests), curl, Node, git.
 * Each must fail without the variables and get past TLS with them.
 *   npm run build && node --import tsx --test test/e2e/trust-env.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { runAsync } from '../helpers/run-async.js';
import { startTlsServer, type TestServer } from '../helpers/tls-server.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

let server: TestServer;
let tlsHome: string;
let script: string;
let baseEnv: NodeJS.ProcessEnv;

const VARS = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'PIP_CERT', 'NODE_OPTIONS'];
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

before(async () => {
  tlsHome = makeTmpDir('tlsdock-env-home-');
  const out = makeTmpDir('tlsdock-env-certs-');
  assert.equal(runCli(['ca', 'init'], { env: { TLSDOCK_HOME: tlsHome } }).status, 0);
  const issued = runCli(['issue', 'localhost', '127.0.0.1', '--out', out, '--json'], { env: { TLSDOCK_HOME: tlsHome } });
  const files = (issued.json() as { files: { fullchain: string; key: string } }).files;
  server = await startTlsServer({ cert: readFileSync(files.fullchain), key: readFileSync(files.key) });
  baseEnv = { ...process.env, HOME: makeTmpDir('tlsdock-env-user-'), GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' };
  for (const v of VARS) delete baseEnv[v];
  const r = runCli(['trust', 'env', '--shell', 'sh'], { env: { ...baseEnv, TLSDOCK_HOME: tlsHome } });
  assert.equal(r.status, 0, r.stderr);
  script = r.stdout;
});

after(async () => {
  await server?.close();
  cleanupTmpDirs();
});

/** Run a client as is, and after evaluating the printed script in sh. */
async function both(cmd: string, args: string[]) {
  const without = await runAsync(cmd, args, { env: baseEnv });
  const withEnv = await runAsync('sh', ['-c', `${script}\nexec "$@"`, 'sh', cmd, ...args], { env: baseEnv });
  return { without, withEnv };
}

test('the script: six exports and the conda advice, pointing into $TLSDOCK_HOME/env', () => {
  const exports = script.split('\n').filter((l) => l.startsWith('export '));
  assert.deepEqual(exports.map((l) => l.split('=')[0]), ['export NODE_EXTRA_CA_CERTS', 'export SSL_CERT_FILE', 'export REQUESTS_CA_BUNDLE', 'export CURL_CA_BUNDLE', 'export GIT_SSL_CAINFO', 'export PIP_CERT']);
  assert.ok(exports.every((l) => l.includes(`${tlsHome}/env/`)));
  assert.match(script, /conda config --set ssl_verify \S+\/env\/ca-bundle\.pem/);
  // the bundle keeps the system roots: public sites keep working for tools that replace their roots with it
  assert.match(readFileSync(`${tlsHome}/env/ca-bundle.pem`, 'utf8'), /# tlsdock: /);
  assert.ok(readFileSync(`${tlsHome}/env/ca-bundle.pem`, 'utf8').split('BEGIN CERTIFICATE').length > 100);
});

test('Python requests: CERTIFICATE_VERIFY_FAILED without, 200 with', async () => {
  const code = 'import requests, sys; print(requests.get(sys.argv[1], timeout=10).status_code)';
  const r = await both(PYTHON, ['-c', code, server.url('localhost')]);
  assert.notEqual(r.without.status, 0);
  assert.match(r.without.stderr, /CERTIFICATE_VERIFY_FAILED/);
  assert.equal(r.withEnv.status, 0, r.withEnv.stderr);
  assert.equal(r.withEnv.stdout.trim(), '200');
});

test('curl: exit 60 without, 200 with', async () => {
  const r = await both('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', server.url('localhost')]);
  assert.equal(r.without.status, 60, r.without.stderr);
  assert.equal(r.withEnv.status, 0, r.withEnv.stderr);
  assert.equal(r.withEnv.stdout, '200');
});

test('Node https.get: UNABLE_TO_VERIFY_LEAF_SIGNATURE without, 200 with NODE_EXTRA_CA_CERTS', async () => {
  const code = "require('https').get(process.argv[1], (r) => { console.log(r.statusCode); r.resume(); }).on('error', (e) => { console.error(e.code); process.exit(1); })";
  const r = await both(process.execPath, ['-e', code, server.url('127.0.0.1')]);
  assert.equal(r.without.status, 1);
  assert.match(r.without.stderr, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/);
  assert.equal(r.withEnv.status, 0, r.withEnv.stderr);
  assert.equal(r.withEnv.stdout.trim(), '200');
});

test('git ls-remote: a certificate error without; past TLS (to HTTP) with', async () => {
  const r = await both('git', ['ls-remote', `${server.url('localhost')}x`]);
  assert.notEqual(r.without.status, 0);
  assert.match(r.without.stderr, /SSL certificate problem|certificate verification failed/); // OpenSSL or GnuTLS (Debian) builds
  // Past TLS: the test server answers every path with a 200 HTML page, which git 2.39 takes for an
  // empty "dumb HTTP" repository (exit 0, no refs); a real non-git server gives an HTTP-level error.
  assert.doesNotMatch(r.withEnv.stderr, /SSL|certificate/i);
  assert.ok(server.requests.some((q) => q.url.startsWith('/x/info/refs')), 'git reached the HTTP layer');
});

test('--json and other shells', () => {
  const env = { ...baseEnv, TLSDOCK_HOME: tlsHome };
  const j = runCli(['trust', 'env', '--json'], { env }).json() as { ok: boolean; variables: Record<string, string>; bundle: string; systemBundle: string };
  assert.equal(j.ok, true);
  assert.equal(j.variables.SSL_CERT_FILE, j.bundle);
  assert.equal(j.systemBundle, '/etc/ssl/certs/ca-certificates.crt');
  assert.match(runCli(['trust', 'env', '--shell', 'fish'], { env }).stdout, /^set -gx SSL_CERT_FILE '/m);
  assert.match(runCli(['trust', 'env', '--shell', 'powershell'], { env }).stdout, /^\$env:SSL_CERT_FILE = '/m);
  assert.equal(runCli(['trust', 'env', '--shell', 'tcsh'], { env }).status, 2);
});
