/**
 * NSS databases with the real certutil on temporary databases, and discovery of every db a browser reads.
 *   node --import tsx --test test/trust/nss.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAnchor, type Anchor } from '../../src/trust/anchor.js';
import { nssDbStore, nssStores, parseCertutilList } from '../../src/trust/nss.js';
import { trustContext } from '../../src/trust/store.js';
import { nssDbAt } from '../helpers/chromium.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';
import { fakeContext, recordingRunner } from '../helpers/trust-runner.js';

let pki: TrustPki;
let ca: Anchor;
let peer: Anchor;
const ctx = trustContext();

before(() => {
  pki = makeTrustPki(makeTmpDir('tlsdock-nss-'));
  ca = makeAnchor(new X509Certificate(pki.root.pem));
  peer = makeAnchor(new X509Certificate(pki.selfLeaf.pem));
});
after(() => cleanupTmpDirs());

function dbStore(dir: string) {
  return nssDbStore(ctx, { id: 'nss:test', title: 'test db', dir, create: true, certutil: 'certutil', certutilInstall: 'apt install libnss3-tools' });
}

describe('one database, real certutil', () => {
  test('install creates the db if needed and adds the CA as C,, under our nickname; twice is once', async () => {
    const dir = join(makeTmpDir('tlsdock-db-'), 'nssdb');
    const store = dbStore(dir);
    assert.equal((await store.status(ca)).present, false);
    await store.install(ca);
    assert.ok(existsSync(join(dir, 'cert9.db')));
    const db = nssDbAt(dir);
    assert.match(db.list(), new RegExp(`${ca.label}\\s+C,,`));
    assert.deepEqual(await store.status(ca), { present: true, ours: true, entries: [`${ca.label} (C,,)`] });
    await store.install(ca);
    assert.equal(parseCertutilList(db.list()).length, 1);
  });

  test('a self-signed server certificate goes in as a trusted peer (P,,)', async () => {
    const dir = makeTmpDir('tlsdock-db-');
    const store = dbStore(dir);
    await store.install(peer);
    assert.match(nssDbAt(dir).list(), new RegExp(`${peer.label}\\s+P,,`));
    assert.equal((await store.status(peer)).present, true);
  });

  test('uninstall removes only our entry', async () => {
    const dir = makeTmpDir('tlsdock-db-');
    const db = nssDbAt(dir);
    db.trust(pki.inter.cert, { nickname: 'someone else' });
    const store = dbStore(dir);
    await store.install(ca);
    await store.uninstall(ca);
    assert.deepEqual(parseCertutilList(db.list()).map((r) => r.nickname), ['someone else']);
    assert.equal((await store.status(ca)).present, false);
    await store.uninstall(ca); // nothing to do, no error
  });

  test('the same CA under a foreign nickname counts as present but not ours, and is left alone', async () => {
    const dir = makeTmpDir('tlsdock-db-');
    const db = nssDbAt(dir);
    db.trust(pki.root.cert, { nickname: 'mkcert development CA 99' });
    const store = dbStore(dir);
    assert.deepEqual(await store.status(ca), { present: true, ours: false, entries: ['mkcert development CA 99 (C,,)'] });
    await store.uninstall(ca);
    assert.ok(db.has('mkcert development CA 99'));
  });

  test('in the db without trust flags: not present; install trusts it (NSS keeps the old nickname)', async () => {
    const dir = makeTmpDir('tlsdock-db-');
    const db = nssDbAt(dir);
    db.trust(pki.root.cert, { nickname: 'imported untrusted', flags: ',,' });
    const store = dbStore(dir);
    assert.equal((await store.status(ca)).present, false);
    await store.install(ca);
    assert.match(db.list(), /imported untrusted\s+C,,/);
    assert.deepEqual(await store.status(ca), { present: true, ours: false, entries: ['imported untrusted (C,,)'] });
  });

  test('a CA trusted only as a peer is reported with the flags it lacks', async () => {
    const dir = makeTmpDir('tlsdock-db-');
    nssDbAt(dir).trust(pki.root.cert, { nickname: ca.label, flags: 'P,,' });
    const st = await dbStore(dir).status(ca);
    assert.equal(st.present, false);
    assert.equal(st.ours, true);
    assert.match(st.problem?.message ?? '', /without the trust flags C,,/);
  });

  test('certutil missing: detect names the package', async () => {
    const store = nssDbStore(ctx, { id: 'x', title: 'x', dir: makeTmpDir(), create: true, certutil: 'tlsdock-no-certutil', certutilInstall: 'dnf install nss-tools' });
    assert.deepEqual((await store.detect()).missingTool, { tool: 'certutil', install: 'dnf install nss-tools' });
  });
});

describe('which databases exist', () => {
  const ids = (stores: { id: string }[]) => stores.map((s) => s.id);
  const withBrowser = recordingRunner({ programs: ['chromium', 'certutil'] });
  const noBrowser = recordingRunner({ programs: ['certutil'] });

  test('no db and a Chromium installed: ~/.pki/nssdb, created at install; no Chromium: not found', async () => {
    const home = makeTmpDir('tlsdock-home-');
    const [s] = nssStores(fakeContext(withBrowser, { env: { HOME: home } }));
    assert.equal(s?.id, 'nss:chromium');
    const d = await s!.detect();
    assert.equal(d.found, true);
    assert.equal(d.path, join(home, '.pki', 'nssdb'));
    const [n] = nssStores(fakeContext(noBrowser, { env: { HOME: home } }));
    assert.equal((await n!.detect()).found, false);
  });

  test('only the XDG db: that one alone (creating ~/.pki/nssdb would switch Chromium to an empty db)', () => {
    const home = makeTmpDir('tlsdock-home-');
    mkdirSync(join(home, '.local', 'share', 'pki', 'nssdb'), { recursive: true });
    const stores = nssStores(fakeContext(withBrowser, { env: { HOME: home } }));
    assert.deepEqual(ids(stores), ['nss:chromium-xdg']);
  });

  test('both dbs: both, each with what Chromium does with it; $XDG_DATA_HOME moves the XDG one', async () => {
    const home = makeTmpDir('tlsdock-home-');
    const xdg = makeTmpDir('tlsdock-xdg-');
    mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
    mkdirSync(join(xdg, 'pki', 'nssdb'), { recursive: true });
    const stores = nssStores(fakeContext(withBrowser, { env: { HOME: home, XDG_DATA_HOME: xdg } }));
    assert.deepEqual(ids(stores), ['nss:chromium', 'nss:chromium-xdg']);
    const [legacy, modern] = await Promise.all(stores.map((s) => s.detect()));
    assert.match(legacy!.note ?? '', /Chromium and Chrome read this db/);
    assert.equal(modern!.path, join(xdg, 'pki', 'nssdb'));
    assert.match(modern!.note ?? '', /ignores this db while ~\/\.pki\/nssdb exists/);
  });

  test('snap Chromium, and Firefox profiles: classic, snap, flatpak, ~/.config/mozilla (only those with cert9.db)', () => {
    const home = makeTmpDir('tlsdock-home-');
    mkdirSync(join(home, 'snap', 'chromium', 'current'), { recursive: true });
    const profiles = {
      classic: join(home, '.mozilla', 'firefox', 'abcd.default-release'),
      snap: join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox', 'efgh.default'),
      flatpak: join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox', 'ijkl.default-release'),
      xdg: join(home, '.config', 'mozilla', 'firefox', 'mnop.work'),
    };
    for (const dir of Object.values(profiles)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cert9.db'), '');
    }
    mkdirSync(join(home, '.mozilla', 'firefox', 'Crash Reports'), { recursive: true });
    mkdirSync(join(home, '.mozilla', 'firefox', 'old.default'), { recursive: true });
    writeFileSync(join(home, '.mozilla', 'firefox', 'old.default', 'cert8.db'), '');
    const stores = nssStores(fakeContext(noBrowser, { env: { HOME: home } }));
    assert.deepEqual(ids(stores), [
      'nss:chromium', 'nss:chromium-snap',
      'nss:firefox:classic:abcd.default-release', 'nss:firefox:snap:efgh.default', 'nss:firefox:flatpak:ijkl.default-release', 'nss:firefox:xdg:mnop.work',
    ]);
    assert.equal(stores.find((s) => s.id === 'nss:firefox:snap:efgh.default')?.title, 'Firefox profile efgh.default (snap)');
  });

  test('the system db (/etc/pki/nssdb) when it exists; it needs root when not writable', async () => {
    const home = makeTmpDir('tlsdock-home-');
    const sys = makeTmpDir('tlsdock-etc-pki-nssdb-');
    const stores = nssStores(fakeContext(noBrowser, { env: { HOME: home }, privileged: false, canWrite: (p) => p.startsWith(home) }), { systemDb: sys });
    const system = stores.find((s) => s.id === 'nss:system');
    assert.ok(system);
    assert.deepEqual(await system.detect(), { found: true, path: sys, needsRoot: true, note: undefined });
    assert.deepEqual(ids(nssStores(fakeContext(noBrowser, { env: { HOME: home } }), { systemDb: join(sys, 'absent') })), ['nss:chromium']);
  });

  test('macOS: Firefox profiles under Library, no Chromium db (Chrome uses the keychain there)', () => {
    const home = makeTmpDir('tlsdock-home-');
    const profile = join(home, 'Library', 'Application Support', 'Firefox', 'Profiles', 'x.default-release');
    mkdirSync(profile, { recursive: true });
    writeFileSync(join(profile, 'cert9.db'), '');
    assert.deepEqual(ids(nssStores(fakeContext(withBrowser, { env: { HOME: home }, platform: 'darwin' }))), ['nss:firefox:macos:x.default-release']);
  });
});

test('parseCertutilList reads nicknames with spaces and every flag form', () => {
  const text = '\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\ntlsdock my CA 0011223344556677                               C,,  \nFoo Bar                                                      CT,C,C\nuser cert                                                    u,u,u\ncached                                                       ,,   \n';
  assert.deepEqual(parseCertutilList(text), [
    { nickname: 'tlsdock my CA 0011223344556677', flags: 'C,,' },
    { nickname: 'Foo Bar', flags: 'CT,C,C' },
    { nickname: 'user cert', flags: 'u,u,u' },
    { nickname: 'cached', flags: ',,' },
  ]);
});
