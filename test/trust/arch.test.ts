/**
 * Arch system store (p11-kit): cannot run here, so the commands are checked through a recording runner.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeAnchor } from '../../src/trust/anchor.js';
import { archStore } from '../../src/trust/arch.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki } from '../helpers/trust-pki.js';
import { fakeContext, rebuildsBundle, recordingRunner } from '../helpers/trust-runner.js';

after(() => cleanupTmpDirs());

test('Arch: anchor .crt in /etc/ca-certificates/trust-source/anchors, then trust extract-compat', async () => {
  const root = makeTmpDir('tlsdock-arch-');
  const anchorsDir = join(root, 'etc/ca-certificates/trust-source/anchors');
  const bundle = join(root, 'ca-certificates.crt');
  mkdirSync(anchorsDir, { recursive: true });
  const anchor = makeAnchor(new X509Certificate(makeTrustPki(makeTmpDir()).root.pem));
  const runner = recordingRunner({ programs: ['trust'], respond: rebuildsBundle(anchorsDir, bundle) });
  const store = archStore(fakeContext(runner), { anchorsDir, bundle });
  await store.install(anchor);
  assert.ok(existsSync(join(anchorsDir, `${anchor.fileStem}.crt`)));
  assert.equal((await store.status(anchor)).present, true);
  await store.uninstall(anchor);
  assert.equal((await store.status(anchor)).present, false);
  assert.deepEqual(runner.lines(), ['trust extract-compat', 'trust extract-compat']);
  assert.equal(archStore(fakeContext(runner)).title, 'System (Arch, p11-kit)');
});

test('Arch: a failing extract-compat leaves no anchor file behind and reports the error', async () => {
  const anchorsDir = makeTmpDir('tlsdock-arch-');
  const anchor = makeAnchor(new X509Certificate(makeTrustPki(makeTmpDir()).root.pem));
  const runner = recordingRunner({ programs: ['trust'], respond: () => ({ code: 1, stderr: 'p11-kit: could not write /etc/ssl/certs/ca-certificates.crt: Permission denied' }) });
  const store = archStore(fakeContext(runner), { anchorsDir, bundle: join(anchorsDir, 'nope.crt') });
  await assert.rejects(store.install(anchor), /trust extract-compat failed: p11-kit: could not write/);
  assert.equal(existsSync(join(anchorsDir, `${anchor.fileStem}.crt`)), false);
  assert.deepEqual(runner.lines(), ['trust extract-compat', 'trust extract-compat']);
});
