/**
 * Java's cacerts with the real keytool, on a copy of the machine's keystore (never the real one).
 *   node --import tsx --test test/trust/java.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeAnchor, type Anchor } from '../../src/trust/anchor.js';
import { javaStore, locateJava, parseKeytoolList } from '../../src/trust/java.js';
import { findOnPath } from '../../src/trust/runner.js';
import { trustContext } from '../../src/trust/store.js';
import { run } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';
import { fakeContext, recordingRunner } from '../helpers/trust-runner.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let pki: TrustPki;
let ca: Anchor;
let realBefore: string;
const REAL_CACERTS = realpathSync(join(dirname(dirname(realpathSync(findOnPath('java')!))), 'lib', 'security', 'cacerts'));

before(() => {
  realBefore = realStoresSnapshot();
  pki = makeTrustPki(makeTmpDir('tlsdock-java-'));
  ca = makeAnchor(new X509Certificate(pki.root.pem));
});
after(() => {
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'the real cacerts changed');
});

function keystoreCopy(): string {
  const file = join(makeTmpDir('tlsdock-ks-'), 'cacerts');
  copyFileSync(REAL_CACERTS, file);
  return file;
}

function list(file: string): string {
  return run('keytool', ['-J-Duser.language=en', '-list', '-keystore', file, '-storepass', 'changeit']).stdout;
}

test('install imports the CA under our alias; status finds it by fingerprint; uninstall deletes only it', async () => {
  const cacerts = keystoreCopy();
  const entriesBefore = parseKeytoolList(list(cacerts)).length;
  assert.ok(entriesBefore > 50, 'the copy holds the system roots');
  const store = javaStore(trustContext(), { cacerts });
  assert.deepEqual(await store.status(ca), { present: false, ours: false, entries: [] });
  await store.install(ca);
  const after = parseKeytoolList(list(cacerts));
  assert.equal(after.length, entriesBefore + 1);
  assert.deepEqual(after.find((e) => e.alias === ca.alias), { alias: ca.alias, fingerprint: ca.fingerprint256 });
  assert.deepEqual(await store.status(ca), { present: true, ours: true, entries: [ca.alias] });
  await store.uninstall(ca);
  assert.equal(parseKeytoolList(list(cacerts)).length, entriesBefore);
  assert.equal((await store.status(ca)).present, false);
});

test('the same CA under another alias (Debian\'s hook: "debian:…") is present, not ours, and kept', async () => {
  const cacerts = keystoreCopy();
  run('keytool', ['-importcert', '-noprompt', '-alias', 'debian:tlsdock-ca.pem', '-file', pki.root.cert, '-keystore', cacerts, '-storepass', 'changeit']);
  const store = javaStore(trustContext(), { cacerts });
  assert.deepEqual(await store.status(ca), { present: true, ours: false, entries: ['debian:tlsdock-ca.pem'] });
  await store.uninstall(ca);
  assert.ok(parseKeytoolList(list(cacerts)).some((e) => e.alias === 'debian:tlsdock-ca.pem'));
});

test('the copy Debian\'s hook made of our system anchor ("debian:<our file>.pem") is ours: uninstall removes it', async () => {
  const cacerts = keystoreCopy();
  const hookAlias = `debian:${ca.fileStem}.pem`;
  run('keytool', ['-importcert', '-noprompt', '-alias', hookAlias, '-file', pki.root.cert, '-keystore', cacerts, '-storepass', 'changeit']);
  const store = javaStore(trustContext(), { cacerts });
  assert.deepEqual(await store.status(ca), { present: true, ours: true, entries: [hookAlias] });
  await store.uninstall(ca);
  assert.deepEqual(await store.status(ca), { present: false, ours: false, entries: [] });
});

test('a wrong store password is a clear failure that never shows the password', async () => {
  const store = javaStore(trustContext(), { cacerts: keystoreCopy(), storepass: 's3cret-pass' });
  await assert.rejects(store.status(ca), (e: Error) => /keytool .*-storepass '?\*\*\*'? failed: .*password/i.test(e.message) && !e.message.includes('s3cret-pass'));
});

test('a fresh PKCS#12 keystore works too', async () => {
  const ks = join(makeTmpDir('tlsdock-ks-'), 'trust.p12');
  run('keytool', ['-importcert', '-noprompt', '-alias', 'seed', '-file', pki.inter.cert, '-keystore', ks, '-storepass', 'changeit', '-storetype', 'PKCS12']);
  const store = javaStore(trustContext(), { cacerts: ks });
  await store.install(ca);
  assert.deepEqual(parseKeytoolList(list(ks)).map((e) => e.alias).sort(), [ca.alias, 'seed'].sort());
});

test('locate: $JAVA_HOME (JDK 9+ and JDK 8 layouts), else the java on PATH; not found without either', async () => {
  const jdk = makeTmpDir('tlsdock-jdk-');
  mkdirSync(join(jdk, 'bin'));
  mkdirSync(join(jdk, 'lib', 'security'), { recursive: true });
  writeFileSync(join(jdk, 'bin', 'keytool'), '#!/bin/sh\n');
  chmodSync(join(jdk, 'bin', 'keytool'), 0o755);
  writeFileSync(join(jdk, 'lib', 'security', 'cacerts'), '');
  const r = recordingRunner();
  assert.deepEqual(locateJava(fakeContext(r, { env: { JAVA_HOME: jdk } })), { keytool: join(jdk, 'bin', 'keytool'), cacerts: join(jdk, 'lib', 'security', 'cacerts'), note: `JAVA_HOME=${jdk}` });

  const jdk8 = makeTmpDir('tlsdock-jdk8-');
  mkdirSync(join(jdk8, 'jre', 'lib', 'security'), { recursive: true });
  writeFileSync(join(jdk8, 'jre', 'lib', 'security', 'cacerts'), '');
  assert.equal(locateJava(fakeContext(r, { env: { JAVA_HOME: jdk8 } })).cacerts, join(jdk8, 'jre', 'lib', 'security', 'cacerts'));

  // java on PATH as a symlink (Debian's /usr/bin/java -> /etc/alternatives -> the JDK)
  const bin = makeTmpDir('tlsdock-bin-');
  writeFileSync(join(jdk, 'bin', 'java'), '#!/bin/sh\n', { mode: 0o755 });
  symlinkSync(join(jdk, 'bin', 'java'), join(bin, 'java'));
  const onPath = trustContext({ env: { PATH: bin } });
  assert.deepEqual(locateJava(onPath), { keytool: join(jdk, 'bin', 'keytool'), cacerts: join(jdk, 'lib', 'security', 'cacerts'), note: `the java on PATH (${jdk})` });

  const none = javaStore(fakeContext(r, { env: {} }));
  const d = await none.detect();
  assert.equal(d.found, false);
  assert.match(d.note ?? '', /no Java found/);
});

test('this machine: the java on PATH resolves to Debian\'s /etc/ssl/certs/java/cacerts, which needs root for others', async () => {
  const store = javaStore(trustContext({ isPrivileged: () => false, canWrite: () => false }));
  const d = await store.detect();
  assert.equal(d.found, true);
  assert.equal(d.path, REAL_CACERTS);
  assert.equal(d.needsRoot, true);
});

test('commands: exactly what keytool is asked', async () => {
  const r = recordingRunner({ respond: (c) => (c.args.includes('-list') ? { stdout: `${ca.alias}, Jan 1, 2026, trustedCertEntry,\nCertificate fingerprint (SHA-256): ${ca.fingerprint256}\n` } : undefined) });
  const store = javaStore(fakeContext(r), { cacerts: '/jdk/lib/security/cacerts', keytool: '/jdk/bin/keytool' });
  await store.install(ca);
  await store.uninstall(ca);
  assert.deepEqual(r.lines(), [
    `/jdk/bin/keytool -J-Duser.language=en -importcert -noprompt -alias ${ca.alias} -keystore /jdk/lib/security/cacerts -storepass changeit`,
    '/jdk/bin/keytool -J-Duser.language=en -list -keystore /jdk/lib/security/cacerts -storepass changeit',
    `/jdk/bin/keytool -J-Duser.language=en -delete -alias ${ca.alias} -keystore /jdk/lib/security/cacerts -storepass changeit`,
  ]);
  assert.equal(r.calls[0]?.input, ca.pem);
});
