/**
 * `tlsdock jupyter config` verified with Debian's real jupyter-server 1.23: HTTPS trusted by our CA
 * when the pair is usable; plain HTTP and a loud warning naming the problem when it is not.
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/jupyter-config.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { freePort, httpGet, httpsGet, jupyterAvailable, jupyterBaseArgs, JUPYTER_SERVER, sandboxEnv, start, type Running } from '../helpers/jupyter.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const running: Running[] = [];
after(async () => {
  await Promise.all(running.map((r) => r.stop()));
  cleanupTmpDirs();
});

const skip = !jupyterAvailable() && 'jupyter-server is not installed (Debian package jupyter-server)';
const dir = makeTmpDir('tlsdock-jupyter-config-');
const home = join(dir, 'tlsdock');
const configFile = join(dir, 'etc', 'jupyter_server_config.py');
const pair = { cert: join(dir, 'certs', 'jupyter.pem'), key: join(dir, 'certs', 'jupyter-key.pem') };
const TOKEN = 'tlsdock-test-token-0123456789';
let caPem: string;

before(() => {
  const w = runCli(['jupyter', 'config', '--out', configFile], { env: { TLSDOCK_HOME: home } });
  assert.equal(w.status, 0, w.stderr);
  const e = runCli(['ensure', '--cert', pair.cert, '--key', pair.key], { env: { TLSDOCK_HOME: home, TLSDOCK_NAMES: '' } });
  assert.equal(e.status, 0, e.stderr);
  caPem = readFileSync(join(home, 'ca.pem'), 'utf8');
});

async function jupyter(env: NodeJS.ProcessEnv): Promise<{ server: Running; port: number }> {
  const port = await freePort();
  const server = start(JUPYTER_SERVER, [`--config=${configFile}`, ...jupyterBaseArgs(port, dir)], { env: sandboxEnv(makeTmpDir(), { JUPYTER_TOKEN: TOKEN, ...env }) });
  running.push(server);
  await server.waitFor(new RegExp(`https?://127\\.0\\.0\\.1:${port}/`));
  return { server, port };
}

test('config: printed without --out; written with --out, never over an existing file without --force', { timeout: 45_000 }, () => {
  const printed = runCli(['jupyter', 'config']);
  assert.equal(printed.status, 0);
  assert.equal(printed.stdout, readFileSync(configFile, 'utf8'));
  const again = runCli(['jupyter', 'config', '--out', configFile]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists; refusing to overwrite/);
  const json = runCli(['jupyter', 'config', '--classic', '--out', configFile, '--force', '--json']);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(json.json(), { ok: true, path: configFile, app: 'NotebookApp' });
  assert.match(readFileSync(configFile, 'utf8'), /_tlsdock_tls\(c\.NotebookApp\)/);
  assert.equal(runCli(['jupyter', 'config', '--out', configFile, '--force']).status, 0);
  assert.match(readFileSync(configFile, 'utf8'), /_tlsdock_tls\(c\.ServerApp\)/);
});

test('a usable pair: jupyter-server serves HTTPS that a client trusting only our CA accepts', { timeout: 45_000, skip }, async () => {
  const { server, port } = await jupyter({ JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: pair.key });
  assert.match(server.err(), new RegExp(`https://127\\.0\\.0\\.1:${port}/`));
  assert.doesNotMatch(server.err(), /WITHOUT TLS/);
  for (const host of ['localhost', '127.0.0.1']) {
    const r = await httpsGet(`https://${host}:${port}/api/status?token=${TOKEN}`, caPem);
    assert.equal(r.status, 200, host);
    assert.ok('started' in (JSON.parse(r.body) as object));
  }
  assert.equal((await httpsGet(`https://localhost:${port}/api/status?token=wrong`, caPem)).status, 403);
  await assert.rejects(httpsGet(`https://localhost:${port}/api`, readFileSync('/etc/ssl/certs/ca-certificates.crt')), /self-signed|unable to (get|verify)/i, 'public roots alone do not trust it');
  assert.equal(await server.stop(), 0);
});

test('the defaults: with no variables the file finds $TLSDOCK_HOME/jupyter/{cert,key}.pem', { timeout: 45_000, skip }, async () => {
  const e = runCli(['ensure', '--cert', join(home, 'jupyter', 'cert.pem'), '--key', join(home, 'jupyter', 'key.pem')], { env: { TLSDOCK_HOME: home, TLSDOCK_NAMES: '' } });
  assert.equal(e.status, 0, e.stderr);
  const { server, port } = await jupyter({ TLSDOCK_HOME: home });
  assert.equal((await httpsGet(`https://localhost:${port}/api`, caPem)).status, 200);
  await server.stop();
});

test('a missing key: plain HTTP, and a loud warning that names the missing file', { timeout: 45_000, skip }, async () => {
  const missing = join(dir, 'certs', 'not-there-key.pem');
  const { server, port } = await jupyter({ JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: missing });
  const r = await httpGet(`http://127.0.0.1:${port}/api`);
  assert.equal(r.status, 200);
  assert.match(r.body, /"version"/);
  assert.match(server.err(), new RegExp(`http://127\\.0\\.0\\.1:${port}/`));
  assert.match(server.err(), /!{78}\n!! WARNING: Jupyter is starting on plain HTTP, WITHOUT TLS, because\n!! the key file .*not-there-key\.pem does not exist\./);
  assert.match(server.err(), new RegExp(`Fix: tlsdock ensure --cert ${pair.cert} --key ${missing}`));
  await server.stop();
});

test('a mismatched pair: where jupyter-server alone would fail every handshake, the config says why and serves HTTP', { timeout: 45_000, skip }, async () => {
  const other = join(dir, 'other');
  assert.equal(runCli(['ensure', '--cert', join(other, 'c.pem'), '--key', join(other, 'k.pem')], { env: { TLSDOCK_HOME: home, TLSDOCK_NAMES: '' } }).status, 0);
  const { server, port } = await jupyter({ JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: join(other, 'k.pem') });
  assert.match(server.err(), /cannot be used together \(\[X509: KEY_VALUES_MISMATCH\]/);
  assert.equal((await httpGet(`http://127.0.0.1:${port}/api`)).status, 200);
  await server.stop();
});

test('JUPYTER_TLS=require: no usable pair, no server', { timeout: 45_000, skip }, async () => {
  const port = await freePort();
  const server = start(JUPYTER_SERVER, [`--config=${configFile}`, ...jupyterBaseArgs(port, dir)], { env: sandboxEnv(makeTmpDir(), { JUPYTER_TLS: 'require', JUPYTER_CERTFILE: join(dir, 'nothing.pem'), JUPYTER_KEYFILE: pair.key }) });
  running.push(server);
  assert.equal(await server.exited, 2);
  assert.match(server.err(), /Jupyter will not start: JUPYTER_TLS=require, but the certificate file .*nothing\.pem does not exist/);
  assert.doesNotMatch(server.err(), /is running at/);
});

test('why the config checks first (fact): jupyter-server 1.23 alone starts with a mismatched pair, then every handshake fails', { timeout: 45_000, skip }, async () => {
  const port = await freePort();
  const bad = join(dir, 'bad-key.pem');
  writeFileSync(bad, readFileSync(join(dir, 'other', 'k.pem')), { mode: 0o600 });
  const server = start(JUPYTER_SERVER, [...jupyterBaseArgs(port, dir), `--certfile=${pair.cert}`, `--keyfile=${bad}`], { env: sandboxEnv(makeTmpDir(), { JUPYTER_TOKEN: TOKEN }) });
  running.push(server);
  await server.waitFor(new RegExp(`https://127\\.0\\.0\\.1:${port}/`)); // it advertises https
  await assert.rejects(httpsGet(`https://localhost:${port}/api`, caPem, 3000));
  await server.waitFor(/KEY_VALUES_MISMATCH/, 10_000);
  await server.stop();
});
