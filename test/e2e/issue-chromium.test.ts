// What `tlsdock issue` makes, judged by the browser: Debian's Chromium (headless, a temporary HOME
// whose NSS database is the only trust it has).
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { chromiumAvailable, makeNssHome, verdictOnce, type NssHome } from '../helpers/chromium.js';
import { startTlsServer, type TestServer } from '../helpers/tls-server.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { createPrivateKey } from 'node:crypto';
import { issueLeaf } from '../../src/pki/leaf.js';
import { ParsedCertificate } from '../../src/pki/parsed-certificate.js';
import { pemToDer } from '../../src/pki/material.js';
import { parseNames } from '../../src/pki/names.js';
import { readNameConstraints } from '../../src/pki/name-constraints-ext.js';

const servers: TestServer[] = [];
let dir = '';
let nss: NssHome;
let good: TestServer;
let outside: TestServer;

before(async () => {
  assert.ok(chromiumAvailable(), '/usr/bin/chromium is missing: apt-get install chromium (.ci/run does)');
  dir = makeTmpDir();
  const home = join(dir, 'home');
  const out = join(dir, 'out');
  mkdirSync(out);
  const r = runCli(['issue', 'localhost', '127.0.0.1', '::1', '--out', out], { env: { TLSDOCK_HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  good = await startTlsServer({ cert: readFileSync(join(out, 'localhost+2-fullchain.pem'), 'utf8'), key: readFileSync(join(out, 'localhost+2-key.pem'), 'utf8') });
  servers.push(good);
  // A leaf outside the CA's name constraints, forced past our own refusal, as a stolen CA key would make it.
  const caPem = readFileSync(join(home, 'ca.pem'), 'utf8');
  const caCert = new ParsedCertificate(pemToDer(caPem));
  const ca = { cert: caCert, key: createPrivateKey(readFileSync(join(home, 'ca-key.pem'))), chainPems: [], constraints: readNameConstraints(caCert.rawData) };
  const evil = await issueLeaf({ ca, names: parseNames(['example.com']), ignoreConstraints: true });
  outside = await startTlsServer({ cert: evil.certPem, key: evil.keyPem! });
  servers.push(outside);
  nss = makeNssHome();
  nss.trust(join(home, 'ca.pem'));
});

after(async () => {
  for (const s of servers) await s.close();
  cleanupTmpDirs();
});

test('Chromium loads the page when the CA is trusted', async () => {
  assert.equal(await verdictOnce({ home: nss.home }, good.url('localhost')), 'OK');
  assert.equal(await verdictOnce({ home: nss.home }, good.url('127.0.0.1')), 'OK');
});

test('Chromium refuses the same page without the CA', async () => {
  const bare = makeNssHome();
  assert.equal(await verdictOnce({ home: bare.home }, good.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
});

test('Chromium refuses a leaf outside the CA name constraints', async () => {
  // Chromium 156 reports a name-constraint violation in a locally trusted root as ERR_CERT_INVALID,
  // not ERR_CERT_NAME_CONSTRAINT_VIOLATION (measured; the visit maps example.com to 127.0.0.1).
  assert.equal(await verdictOnce({ home: nss.home }, outside.url('example.com')), 'ERR_CERT_INVALID');
});
