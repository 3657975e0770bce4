/**
 * up() as a library operation, with every trust store pointed at a sandbox (Debian's
 * update-ca-certificates on a temp tree, NSS in a temp HOME, a copy of Java's cacerts): as a user
 * it installs what the user can change and says what needs root; as root it does everything.
 *
 *   cd /work/main && node --import tsx --test test/api/up.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { up, type UpOptions } from '../../src/api/up.js';
import { makeDebianSandbox } from '../helpers/ca-certificates-sandbox.js';
import { freePort } from '../helpers/jupyter.js';
import { httpsRequest } from '../helpers/proxy.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let realBefore: string;
before(() => { realBefore = realStoresSnapshot(); });
after(() => {
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

function sandbox(privileged: boolean): UpOptions {
  const home = makeTmpDir('tlsdock-uphome-');
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
  const cacerts = join(makeTmpDir('tlsdock-upks-'), 'cacerts');
  copyFileSync(realpathSync('/etc/ssl/certs/java/cacerts'), cacerts);
  return {
    home: join(home, 'tlsdock'),
    listen: ['127.0.0.1:0'],
    noLocalNames: true,
    trustContext: { env: { ...process.env, HOME: home, XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' }, isPrivileged: () => privileged, canWrite: (p) => privileged || p.startsWith(home) },
    trustStoreOptions: { family: 'debian', wsl: false, debian: makeDebianSandbox(makeTmpDir('tlsdock-upsb-')).options, nss: { systemDb: join(home, 'no-system-nssdb'), chromiumBinaries: ['sh'] }, java: { cacerts } },
  };
}

test('as a user: the browsers\' store is done, the system and Java stores are reported with the sudo command', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const r = await up({ ...sandbox(false), to: `http://127.0.0.1:${port}` });
  try {
    assert.equal(r.ca.created, true);
    assert.ok(r.trust && !('error' in r.trust));
    const outcomes = Object.fromEntries(r.trust.stores.map((s) => [s.id, s.outcome]));
    assert.deepEqual(outcomes, { debian: 'needs-root', 'nss:chromium': 'installed', java: 'needs-root' });
    assert.match(r.trust.fixes.join('\n'), /^sudo tlsdock trust install --store system --store java --ca .*ca\.pem$/m);
    assert.equal(r.backend.listening, false);
    const info = r.proxy!.info;
    const res = await httpsRequest(info.urls[0]!, { ca: readFileSync(r.ca.path) });
    assert.equal(res.status, 502);
    assert.equal(res.headers['x-tlsdock-error'], 'down');
  } finally {
    await r.proxy?.close();
  }
});

test('as root: every store, and a second run changes nothing', { timeout: 30_000 }, async () => {
  const opts = { ...sandbox(true), to: 'http://127.0.0.1:9' };
  const first = await up(opts);
  await first.proxy?.close();
  assert.ok(first.trust && !('error' in first.trust));
  assert.deepEqual(first.trust.stores.map((s) => s.outcome), ['installed', 'installed', 'installed']);
  const second = await up(opts);
  await second.proxy?.close();
  assert.ok(second.trust && !('error' in second.trust));
  assert.equal(second.ca.created, false);
  assert.equal(second.ca.fingerprintSha256, first.ca.fingerprintSha256);
  assert.deepEqual(second.trust.stores.map((s) => s.outcome), ['already-present', 'already-present', 'already-present']);
});

test('refusesOtherHosts: null for what is not Jupyter (HTML, JSON without a version, https), and for a server that never answers', { timeout: 30_000 }, async () => {
  const { createServer } = await import('node:http');
  const { refusesOtherHosts } = await import('../../src/api/up.js');
  const local = (host: string | undefined) => /^localhost(:|$)/.test(host ?? '');
  const servers = {
    html: createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>app</title>'); }),
    // An API that blocks foreign Host headers too, but is not Jupyter: no {"version": …}.
    otherApi: createServer((req, res) => { res.writeHead(local(req.headers.host) ? 200 : 403, { 'content-type': 'application/json' }); res.end('{"ok":true}'); }),
    silent: createServer(() => { /* never answers */ }),
  };
  const ports: Record<string, number> = {};
  for (const [name, s] of Object.entries(servers)) {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    ports[name] = (s.address() as import('node:net').AddressInfo).port;
  }
  try {
    assert.equal(await refusesOtherHosts(new URL(`http://127.0.0.1:${ports.html}`)), null);
    assert.equal(await refusesOtherHosts(new URL(`http://127.0.0.1:${ports.otherApi}`)), null);
    assert.equal(await refusesOtherHosts(new URL(`https://127.0.0.1:${ports.html}`)), null);
    assert.equal(await refusesOtherHosts(new URL(`http://127.0.0.1:${ports.silent}`), 300), null);
  } finally {
    for (const s of Object.values(servers)) { s.closeAllConnections(); s.close(); }
  }
});
