/**
 * `tlsdock jupyter run` end to end with Debian's jupyter-server: ensure the certificate, start Jupyter
 * with it, print the https URL with the token once a client trusting only our CA gets through.
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/jupyter-run.test.ts
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BIN, runCli } from '../helpers/cli.js';
import { childPids, freePort, httpsGet, jupyterAvailable, sandboxEnv, start, type Running } from '../helpers/jupyter.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const running: Running[] = [];
after(async () => {
  await Promise.all(running.map((r) => r.stop()));
  cleanupTmpDirs();
});
const skip = !jupyterAvailable() && 'jupyter-server is not installed (Debian package jupyter-server)';

function tlsdockRun(dir: string, port: number, ...extra: string[]): Running {
  const p = start(process.execPath, [BIN, 'jupyter', 'run', '--ip', '127.0.0.1', '--port', String(port), ...extra, '--', `--ServerApp.root_dir=${dir}`], { env: sandboxEnv(dir, { TLSDOCK_HOME: join(dir, 'tlsdock') }) });
  running.push(p);
  return p;
}

test('prints a working https URL with the token; the token never appears on Jupyter\'s command line; stops by PID', { timeout: 45_000, skip }, async () => {
  const dir = makeTmpDir('tlsdock-jrun-');
  const port = await freePort();
  const p = tlsdockRun(dir, port);
  const [url, token] = (await p.waitFor(new RegExp(`https://localhost:${port}/\\?token=([0-9a-f]{48})`))) as unknown as [string, string];
  assert.match(p.out(), new RegExp(`^created: expires in 30 days — ${join(dir, 'tlsdock', 'jupyter', 'cert.pem')}$`, 'm'));
  assert.match(p.out(), /Jupyter is serving HTTPS with a certificate from your tlsdock CA/);
  const ca = readFileSync(join(dir, 'tlsdock', 'ca.pem'));
  assert.equal((await httpsGet(url.replace('/?', '/api/status?'), ca)).status, 200);
  assert.equal((await httpsGet(`https://localhost:${port}/api/status`, ca)).status, 403, 'the token is required');
  assert.equal((await httpsGet(`https://127.0.0.1:${port}/api`, ca)).status, 200, 'the IP is in the certificate too');

  const [jupyterPid] = childPids(p.pid);
  assert.ok(jupyterPid, 'Jupyter runs as tlsdock\'s child');
  const cmdline = readFileSync(`/proc/${jupyterPid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes(`--certfile=${join(dir, 'tlsdock', 'jupyter', 'cert.pem')}`), cmdline.join(' '));
  assert.ok(cmdline.includes('--port-retries=0'));
  assert.ok(!cmdline.join(' ').includes(token), 'the token is passed in the environment, not argv');

  assert.equal(await p.stop(), 0, 'SIGTERM reaches Jupyter, which exits 0');
  assert.throws(() => process.kill(jupyterPid, 0), /ESRCH/, 'and Jupyter is gone');
});

test('second start keeps the certificate; --token is used as given; --json prints one object when ready', { timeout: 45_000, skip }, async () => {
  const dir = makeTmpDir('tlsdock-jrun-');
  const first = runCli(['ensure', '--cert', join(dir, 'tlsdock/jupyter/cert.pem'), '--key', join(dir, 'tlsdock/jupyter/key.pem')], { env: { TLSDOCK_HOME: join(dir, 'tlsdock') } });
  assert.equal(first.status, 0, first.stderr);
  const before = readFileSync(join(dir, 'tlsdock/jupyter/cert.pem'));
  const port = await freePort();
  const p = tlsdockRun(dir, port, '--token', 'my-token', '--json');
  await p.waitFor(/"urls"/);
  await p.waitFor(/\n}\n/);
  const j = JSON.parse(p.out()) as { ok: boolean; urls: string[]; ensure: { action: string } };
  assert.deepEqual([j.ok, j.urls, j.ensure.action], [true, [`https://localhost:${port}/?token=my-token`], 'kept']);
  assert.deepEqual(readFileSync(join(dir, 'tlsdock/jupyter/cert.pem')), before);
  assert.equal((await httpsGet(`https://localhost:${port}/api/status?token=my-token`, readFileSync(join(dir, 'tlsdock', 'ca.pem')))).status, 200);
  assert.equal(await p.stop(), 0);
});

test('a busy port: Jupyter may not hop to another port (the printed URL would lie), so it fails and no URL is printed', { timeout: 45_000, skip }, async () => {
  const dir = makeTmpDir('tlsdock-jrun-');
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const p = tlsdockRun(dir, port);
    const code = await p.exited;
    assert.notEqual(code, 0);
    assert.doesNotMatch(p.out(), /token=/);
  } finally {
    blocker.close();
  }
});

test('without Jupyter installed: one sentence, exit 2', { timeout: 45_000 }, () => {
  const dir = makeTmpDir('tlsdock-jrun-');
  const r = runCli(['jupyter', 'run'], { env: { TLSDOCK_HOME: join(dir, 'tlsdock'), PATH: dir } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: Jupyter is not installed here: neither jupyter-server nor jupyter is on PATH\.$/m);
  assert.match(r.stderr, /apt install jupyter-server/);
});
