/**
 * `tlsdock trust install/uninstall --store nss` judged by the real Chromium, in temporary HOMEs:
 * ERR_CERT_AUTHORITY_INVALID before, OK after (new launch), the error again after uninstall.
 *   npm run build && node --import tsx --test test/e2e/trust-chromium.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumAvailable, makeNssHome, verdictOnce } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { startTlsServer, type TestServer } from '../helpers/tls-server.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let server: TestServer;
let tlsHome: string;
let realBefore: string;

function cli(args: string[], home: string) {
  return runCli(args, { env: { HOME: home, TLSDOCK_HOME: tlsHome, XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' } });
}

before(async () => {
  assert.ok(chromiumAvailable(), 'system Chromium missing at /usr/bin/chromium');
  realBefore = realStoresSnapshot();
  tlsHome = makeTmpDir('tlsdock-trust-home-');
  const out = makeTmpDir('tlsdock-certs-');
  const init = runCli(['ca', 'init'], { env: { TLSDOCK_HOME: tlsHome } });
  assert.equal(init.status, 0, init.stderr);
  const issued = runCli(['issue', 'localhost', '127.0.0.1', '--out', out, '--json'], { env: { TLSDOCK_HOME: tlsHome } });
  assert.equal(issued.status, 0, issued.stderr);
  const files = (issued.json() as { files: { fullchain: string; key: string } }).files;
  server = await startTlsServer({ cert: readFileSync(files.fullchain), key: readFileSync(files.key) });
});

after(async () => {
  await server?.close();
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

test('~/.pki/nssdb: not trusted → trust install --store nss → OK → trust uninstall → not trusted', async () => {
  const h = makeNssHome();
  assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');

  const st0 = cli(['trust', 'status', '--store', 'nss'], h.home);
  assert.equal(st0.status, 1, 'status exits 1 while the CA is missing');

  const inst = cli(['trust', 'install', '--store', 'nss'], h.home);
  assert.equal(inst.status, 0, inst.stderr + inst.stdout);
  assert.match(inst.stdout, /✓ installed\s+Chromium\/Chrome \(NSS ~\/\.pki\/nssdb\)/);
  assert.match(inst.stdout, /restart them/);
  assert.match(h.list(), /^tlsdock .* [0-9A-F]{16}\s+C,,\s*$/m);

  assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'OK');
  assert.equal(await verdictOnce({ home: h.home }, server.url('127.0.0.1')), 'OK');

  const st1 = cli(['trust', 'status', '--store', 'nss', '--json'], h.home);
  assert.equal(st1.status, 0, st1.stdout);
  const json = st1.json() as { ok: boolean; stores: { id: string; present: boolean; path: string }[] };
  assert.equal(json.ok, true);
  assert.deepEqual(json.stores.map((s) => [s.id, s.present, s.path]), [['nss:chromium', true, h.nssdb]]);

  const un = cli(['trust', 'uninstall', '--store', 'nss'], h.home);
  assert.equal(un.status, 0, un.stderr + un.stdout);
  assert.match(un.stdout, /✓ removed/);
  assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
  assert.equal(cli(['trust', 'status', '--store', 'nss'], h.home).status, 1);
});

test('only ~/.local/share/pki/nssdb (Chromium 146+): installed there, ~/.pki left absent, Chromium trusts it', async () => {
  const h = makeNssHome({ location: 'xdg' });
  assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
  const inst = cli(['trust', 'install', '--store', 'nss', '--json'], h.home);
  assert.equal(inst.status, 0, inst.stderr);
  assert.deepEqual((inst.json() as { stores: { id: string; outcome: string }[] }).stores.map((s) => [s.id, s.outcome]), [['nss:chromium-xdg', 'installed']]);
  assert.equal(existsSync(join(h.home, '.pki')), false);
  assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'OK');
  assert.equal(cli(['trust', 'uninstall', '--store', 'nss'], h.home).status, 0);
  assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
});

test('a HOME with no NSS db at all: install creates ~/.pki/nssdb, which Chromium then reads', async () => {
  const home = makeTmpDir('tlsdock-bare-home-');
  const inst = cli(['trust', 'install', '--store', 'nss'], home);
  assert.equal(inst.status, 0, inst.stderr + inst.stdout);
  assert.ok(existsSync(join(home, '.pki', 'nssdb', 'cert9.db')));
  assert.equal(await verdictOnce({ home }, server.url('localhost')), 'OK');
});
