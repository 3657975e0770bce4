/**
 * trust env: the bundle it writes and the variables it prints, in each shell's syntax.
 * (The real clients — curl, Python requests, Node, git — are in test/e2e/trust-env.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { exportLine, trustEnv, defaultShell } from '../../src/api/trust-env.js';
import { pemBodies } from '../../src/trust/anchor.js';
import { run } from '../helpers/cli.js';
import { makeTestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';

let pki: TrustPki;
before(() => { pki = makeTrustPki(makeTmpDir('tlsdock-env-')); });
after(() => cleanupTmpDirs());

const VARS = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'PIP_CERT'];

test('writes env/ca.pem (just the CA) and env/ca-bundle.pem (system bundle + CA) into $TLSDOCK_HOME', async () => {
  const home = makeTmpDir('tlsdock-home-');
  const ca = await makeTestCA(home);
  const system = join(makeTmpDir(), 'system.crt');
  writeFileSync(system, pki.root.pem + pki.inter.pem);
  const r = await trustEnv({ home, shell: 'sh', systemBundles: ['/nonexistent/bundle.crt', system] });
  assert.equal(r.caFile, join(home, 'env', 'ca.pem'));
  assert.equal(r.bundle, join(home, 'env', 'ca-bundle.pem'));
  assert.equal(r.systemBundle, system);
  assert.equal(readFileSync(r.caFile, 'utf8'), new X509Certificate(ca.certPem).toString());
  const bodies = [...pemBodies(readFileSync(r.bundle, 'utf8'))];
  assert.deepEqual(bodies, [...pemBodies(pki.root.pem + pki.inter.pem + ca.certPem)]);
  assert.equal(statSync(r.bundle).mode & 0o777, 0o644);
  assert.deepEqual(Object.keys(r.variables), VARS);
  assert.equal(r.variables.NODE_EXTRA_CA_CERTS, r.caFile);
  for (const v of VARS.slice(1)) assert.equal(r.variables[v], r.bundle, v);
  assert.equal(r.conda, `conda config --set ssl_verify ${r.bundle}`);
  assert.match(r.script, /# conda does not read these variables; run once: conda config --set ssl_verify /);

  // run again: same files, the CA still once; never built on its own previous output
  const again = await trustEnv({ home, shell: 'sh', systemBundles: [r.bundle, system] });
  assert.equal(again.systemBundle, system);
  assert.equal([...pemBodies(readFileSync(again.bundle, 'utf8'))].length, 3);
});

test('a system bundle that already holds the CA is not given it twice; no system bundle: Node\'s roots', async () => {
  const home = makeTmpDir('tlsdock-home-');
  const r = await trustEnv({ home, caFile: pki.root.cert, systemBundles: [pki.root.cert] });
  assert.equal([...pemBodies(readFileSync(r.bundle, 'utf8'))].length, 1);
  const none = await trustEnv({ home, caFile: pki.root.cert, systemBundles: [] });
  assert.equal(none.systemBundle, null);
  assert.equal(pemBodies(readFileSync(none.bundle, 'utf8')).size, rootCertificates.length + 1);
  assert.match(none.script, /on top of Node's built-in roots/);
});

test('sh: the script evaluates to exactly these values, even for a path with quotes and spaces', async () => {
  const home = join(makeTmpDir(), "it's a \"home\" $HOME");
  mkdirSync(home);
  const r = await trustEnv({ home, caFile: pki.root.cert, shell: 'sh', systemBundles: [] });
  const out = run('sh', ['-c', `${r.script}\nfor v in ${VARS.join(' ')}; do printf '%s=%s\\n' "$v" "$(printenv "$v")"; done`]).stdout;
  assert.equal(out, VARS.map((v) => `${v}=${r.variables[v]}`).join('\n') + '\n');
});

test('fish and PowerShell syntax', () => {
  assert.equal(exportLine('fish', 'SSL_CERT_FILE', "/h/it's\\x"), "set -gx SSL_CERT_FILE '/h/it\\'s\\\\x'");
  assert.equal(exportLine('powershell', 'SSL_CERT_FILE', "C:\\Users\\o'brien\\b.pem"), "$env:SSL_CERT_FILE = 'C:\\Users\\o''brien\\b.pem'");
  assert.equal(exportLine('sh', 'SSL_CERT_FILE', '/plain/path.pem'), 'export SSL_CERT_FILE=/plain/path.pem');
  assert.equal(defaultShell({ SHELL: '/usr/bin/fish' }, 'linux'), 'fish');
  assert.equal(defaultShell({ SHELL: '/bin/bash' }, 'linux'), 'sh');
  assert.equal(defaultShell({}, 'win32'), 'powershell');
});
