import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chromiumNssDir, loadTrustAnchors, parseCertutilList, readNssDb } from '../../src/api/anchors.js';
import { CertInfo } from '../../src/diagnose/cert-info.js';
import { makeNssHome } from '../helpers/chromium.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeLeaf, makeRoot } from '../helpers/x509-factory.js';

after(cleanupTmpDirs);

test('chromiumNssDir: ~/.pki/nssdb if it exists (even empty), else $XDG_DATA_HOME or ~/.local/share', () => {
  const home = makeTmpDir('tlsdock-home-');
  assert.equal(chromiumNssDir({ HOME: home }), null);
  mkdirSync(join(home, '.local/share/pki/nssdb'), { recursive: true });
  assert.equal(chromiumNssDir({ HOME: home }), join(home, '.local/share/pki/nssdb'));
  const xdg = makeTmpDir('tlsdock-xdg-');
  mkdirSync(join(xdg, 'pki/nssdb'), { recursive: true });
  assert.equal(chromiumNssDir({ HOME: home, XDG_DATA_HOME: xdg }), join(xdg, 'pki/nssdb'));
  mkdirSync(join(home, '.pki/nssdb'), { recursive: true });
  assert.equal(chromiumNssDir({ HOME: home, XDG_DATA_HOME: xdg }), join(home, '.pki/nssdb'));
});

test('parseCertutilList reads nicknames with spaces and every flag combination', () => {
  const text = '\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\nmy CA (dev)                                                  CT,C,C\nself leaf                                                    P,,\nintermediate                                                 ,,\nbad one                                                      p,p,p\n';
  assert.deepEqual(parseCertutilList(text), [
    { nickname: 'my CA (dev)', flags: 'CT' }, { nickname: 'self leaf', flags: 'P' }, { nickname: 'intermediate', flags: '' }, { nickname: 'bad one', flags: 'p' },
  ]);
});

test('readNssDb with the real certutil: every certificate with its SSL flags', async () => {
  const home = makeNssHome();
  const dir = makeTmpDir();
  const root = await makeRoot('nss root');
  const self = await makeLeaf(undefined, { cn: 'self' });
  writeFileSync(join(dir, 'root.pem'), root.pem);
  writeFileSync(join(dir, 'self.pem'), self.pem);
  home.trust(join(dir, 'root.pem'), { nickname: 'Dev Root', flags: 'C,,' });
  home.trust(join(dir, 'self.pem'), { nickname: 'self', flags: 'P,,' });
  const r = await readNssDb(home.nssdb);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.certs.map((c) => [c.nickname, c.flags, c.cert.name]).sort(), [['Dev Root', 'C', 'nss root'], ['self', 'P', 'self']]);
  assert.deepEqual(await readNssDb(makeTmpDir()), { certs: [] }, 'no cert9.db: nothing, no error');
});

test('loadTrustAnchors: NSS of $HOME, --ca files, and tlsdock\'s CA from $TLSDOCK_HOME', async () => {
  const home = makeNssHome();
  const dir = makeTmpDir();
  const nssRoot = await makeRoot('from nss');
  const extraRoot = await makeRoot('from --ca');
  const ours = await makeRoot('ours');
  writeFileSync(join(dir, 'nss.pem'), nssRoot.pem);
  writeFileSync(join(dir, 'extra.pem'), extraRoot.pem);
  home.trust(join(dir, 'nss.pem'));
  const tlsHome = makeTmpDir();
  writeFileSync(join(tlsHome, 'ca.pem'), ours.pem);
  const t = await loadTrustAnchors({ env: { HOME: home.home, TLSDOCK_HOME: tlsHome }, caFiles: [join(dir, 'extra.pem')] });
  assert.equal(t.nssDir, home.nssdb);
  assert.equal(t.trustOf(nssRoot.info).anchor, 'nss');
  assert.equal(t.trustOf(extraRoot.info).anchor, 'extra');
  assert.equal(t.trustOf(ours.info).anchor, undefined);
  assert.equal(t.isOurCa(ours.info), true);
  await assert.rejects(loadTrustAnchors({ env: { HOME: home.home }, caFiles: [join(dir, 'missing.pem')] }), /does not exist/);
});

test('public roots (Node\'s Mozilla list) anchor only themselves, parsed lazily', async () => {
  const t = await loadTrustAnchors({ env: { HOME: makeTmpDir() } });
  const { rootCertificates } = await import('node:tls');
  const isrg = rootCertificates.find((p) => new CertInfo(Buffer.from(p.replace(/-----[^-]+-----|\s+/g, ''), 'base64'), 'x').name === 'ISRG Root X1');
  assert.ok(isrg, 'ISRG Root X1 in Node\'s roots');
  const info = new CertInfo(Buffer.from(isrg.replace(/-----[^-]+-----|\s+/g, ''), 'base64'), 'x');
  assert.equal(t.trustOf(info).anchor, 'public');
  assert.equal(t.trustOf((await makeRoot('nobody')).info).anchor, undefined);
});
