/**
 * The Debian/Ubuntu system store with the real update-ca-certificates, on a sandbox (never /etc).
 *   node --import tsx --test test/trust/debian.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAnchor } from '../../src/trust/anchor.js';
import { debianStore } from '../../src/trust/debian.js';
import { trustContext } from '../../src/trust/store.js';
import { run } from '../helpers/cli.js';
import { makeDebianSandbox } from '../helpers/ca-certificates-sandbox.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let pki: TrustPki;
let realBefore: string;
const ctx = trustContext();

before(() => {
  realBefore = realStoresSnapshot();
  pki = makeTrustPki(makeTmpDir('tlsdock-debian-'));
});
after(() => {
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'the real system store changed');
});

function verifyLeaf(bundle: string): { status: number; out: string } {
  const r = run('openssl', ['verify', '-CAfile', bundle, '-untrusted', pki.inter.cert, pki.leaf.cert]);
  return { status: r.status, out: r.stdout + r.stderr };
}

function count(text: string, pem: string): number {
  const body = pem.replace(/-----[A-Z ]+-----|\s/g, '');
  return text.replace(/-----[A-Z ]+-----|\s/g, '').split(body).length - 1;
}

test('install: file in localcertsdir, bundle rebuilt, openssl verifies a leaf below the CA; uninstall undoes it cleanly', async () => {
  const sb = makeDebianSandbox(makeTmpDir('tlsdock-sb-'));
  const store = debianStore(ctx, sb.options);
  const anchor = makeAnchor(new X509Certificate(pki.root.pem));
  assert.deepEqual(await store.detect(), { found: true, path: sb.localCertsDir, needsRoot: false });
  assert.equal((await store.status(anchor)).present, false);
  assert.notEqual(verifyLeaf(sb.bundle).status, 0);

  await store.install(anchor);
  const file = join(sb.localCertsDir, `${anchor.fileStem}.crt`);
  assert.equal(readFileSync(file, 'utf8'), anchor.pem);
  assert.equal((lstatSync(file).mode & 0o777), 0o644);
  const link = join(sb.etcCertsDir, `${anchor.fileStem}.pem`);
  assert.equal(readlinkSync(link), file);
  const v = verifyLeaf(sb.bundle);
  assert.equal(v.status, 0, v.out);
  assert.match(v.out, /leaf\.pem: OK/);
  const st = await store.status(anchor);
  assert.deepEqual(st, { present: true, ours: true, entries: [file, sb.bundle] });

  // twice: still one copy in the bundle
  await store.install(anchor);
  assert.equal(count(readFileSync(sb.bundle, 'utf8'), pki.root.pem), 1);

  await store.uninstall(anchor);
  assert.equal(existsSync(file), false);
  assert.notEqual(verifyLeaf(sb.bundle).status, 0);
  assert.equal(count(readFileSync(sb.bundle, 'utf8'), pki.root.pem), 0);
  assert.match(readFileSync(sb.bundle, 'utf8'), /BEGIN CERTIFICATE/, 'the system roots stay');
  // --fresh: no dangling symlink or hash link left behind
  const dangling = readdirSync(sb.etcCertsDir).filter((n) => lstatSync(join(sb.etcCertsDir, n)).isSymbolicLink() && !existsSync(join(sb.etcCertsDir, n)));
  assert.deepEqual(dangling, []);
  assert.deepEqual(await store.status(anchor), { present: false, ours: false, entries: [] });
});

test('a failed rebuild takes the anchor file back out (no half state)', async () => {
  const sb = makeDebianSandbox(makeTmpDir('tlsdock-sb-'));
  const store = debianStore(ctx, { ...sb.options, command: '/bin/false' });
  const anchor = makeAnchor(new X509Certificate(pki.root.pem));
  await assert.rejects(store.install(anchor), /\/bin\/false .* failed/);
  assert.deepEqual(readdirSync(sb.localCertsDir), []);
});

test('status describes a file that was never built into the bundle, and the fix', async () => {
  const sb = makeDebianSandbox(makeTmpDir('tlsdock-sb-'));
  const store = debianStore(ctx, sb.options);
  const anchor = makeAnchor(new X509Certificate(pki.root.pem));
  writeFileSync(join(sb.localCertsDir, `${anchor.fileStem}.crt`), anchor.pem);
  const st = await store.status(anchor);
  assert.equal(st.present, false);
  assert.equal(st.ours, true);
  assert.match(st.problem?.message ?? '', /does not include it: the bundle was not rebuilt/);
  assert.match(st.problem?.fix ?? '', /^sudo update-ca-certificates --certsconf /);
});

test('the same CA added by someone else (mkcert) is seen, and uninstall leaves it', async () => {
  const sb = makeDebianSandbox(makeTmpDir('tlsdock-sb-'));
  const store = debianStore(ctx, sb.options);
  const anchor = makeAnchor(new X509Certificate(pki.root.pem));
  const theirs = join(sb.localCertsDir, 'mkcert_development_CA_1234.crt');
  copyFileSync(pki.root.cert, theirs);
  run('update-ca-certificates', [...(sb.options.extraArgs ?? [])]);
  assert.deepEqual(await store.status(anchor), { present: true, ours: false, entries: [theirs, sb.bundle] });
  await store.uninstall(anchor);
  assert.ok(existsSync(theirs));
  assert.equal(verifyLeaf(sb.bundle).status, 0);
});

test('not found when the anchors folder is missing; a missing program is named with its package', async () => {
  const dir = makeTmpDir('tlsdock-sb-');
  const missing = debianStore(ctx, { localCertsDir: join(dir, 'nope'), bundle: join(dir, 'b.crt') });
  assert.equal((await missing.detect()).found, false);
  const noTool = debianStore(ctx, { localCertsDir: dir, bundle: join(dir, 'b.crt'), command: 'tlsdock-no-update-ca-certificates' });
  assert.deepEqual((await noTool.detect()).missingTool, { tool: 'tlsdock-no-update-ca-certificates', install: 'apt install ca-certificates' });
});
