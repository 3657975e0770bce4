/**
 * The system store end to end: `trustInstall({ stores: ['system'] })` runs the real update-ca-certificates
 * on a sandbox (never /etc); the bundle it rebuilds then verifies a leaf issued by our CA with
 * `openssl verify` and with curl against a live server; uninstall takes it back out.
 *   node --import tsx --test test/e2e/trust-system.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trustInstall, trustStatus, trustUninstall, type TrustInstallOptions } from '../../src/api/trust.js';
import { parseNames } from '../../src/pki/names.js';
import { issueLeaf } from '../../src/pki/leaf.js';
import { makeDebianSandbox, type DebianSandbox } from '../helpers/ca-certificates-sandbox.js';
import { run } from '../helpers/cli.js';
import { runAsync } from '../helpers/run-async.js';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { startTlsServer, type TestServer } from '../helpers/tls-server.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let realBefore: string;
let ca: TestCA;
let tlsHome: string;
let leafFile: string;
let server: TestServer;
let sb: DebianSandbox;
let opts: TrustInstallOptions;

before(async () => {
  realBefore = realStoresSnapshot();
  tlsHome = makeTmpDir('tlsdock-home-');
  ca = await makeTestCA(tlsHome);
  const leaf = await issueLeaf({ ca, names: parseNames(['localhost', '127.0.0.1']) });
  const dir = makeTmpDir('tlsdock-leaf-');
  mkdirSync(dir, { recursive: true });
  leafFile = join(dir, 'leaf.pem');
  writeFileSync(leafFile, leaf.certPem);
  server = await startTlsServer({ cert: leaf.fullchainPem, key: leaf.keyPem! });
  sb = makeDebianSandbox(makeTmpDir('tlsdock-sb-'));
  opts = {
    home: tlsHome,
    stores: ['system'],
    context: { env: { ...process.env, HOME: makeTmpDir('tlsdock-user-') } },
    storeOptions: { family: 'debian', wsl: false, debian: sb.options },
  };
});

after(async () => {
  await server?.close();
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

const verify = () => run('openssl', ['verify', '-CAfile', sb.bundle, leafFile]);
const curl = () => runAsync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', sb.bundle, server.url('localhost')]);

test('before: the system bundle does not verify our leaf (openssl, curl)', async () => {
  const v = verify();
  assert.notEqual(v.status, 0);
  assert.match(v.stderr + v.stdout, /unable to get local issuer certificate/);
  const c = await curl();
  assert.equal(c.status, 60, c.stderr);
});

test('install: the rebuilt bundle verifies it; status ok; installing again changes nothing', async () => {
  const r = await trustInstall(opts);
  assert.equal(r.ok, true);
  assert.deepEqual(r.stores.map((s) => [s.id, s.outcome]), [['debian', 'installed']]);
  const v = verify();
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /leaf\.pem: OK/);
  assert.equal((await curl()).stdout, '200');
  assert.equal((await trustStatus(opts)).ok, true);
  assert.equal((await trustInstall(opts)).stores[0]?.outcome, 'already-present');
});

test('uninstall: the bundle no longer verifies it', async () => {
  const r = await trustUninstall(opts);
  assert.equal(r.ok, true);
  assert.deepEqual(r.stores.map((s) => [s.id, s.outcome]), [['debian', 'removed']]);
  assert.notEqual(verify().status, 0);
  assert.equal((await curl()).status, 60);
  assert.equal((await trustStatus(opts)).ok, false);
});
