/**
 * Fedora/RHEL system store: cannot run here (no update-ca-trust), so the commands are checked through
 * a recording runner that also plays update-ca-trust's part (writing the bundle).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAnchor } from '../../src/trust/anchor.js';
import { rhelStore } from '../../src/trust/rhel.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki } from '../helpers/trust-pki.js';
import { fakeContext, rebuildsBundle, recordingRunner } from '../helpers/trust-runner.js';

after(() => cleanupTmpDirs());

test('RHEL: anchor .pem in /etc/pki/ca-trust/source/anchors, then update-ca-trust extract (install and uninstall)', async () => {
  const root = makeTmpDir('tlsdock-rhel-');
  const anchorsDir = join(root, 'etc/pki/ca-trust/source/anchors');
  const bundle = join(root, 'tls-ca-bundle.pem');
  mkdirSync(anchorsDir, { recursive: true });
  const pki = makeTrustPki(makeTmpDir());
  const anchor = makeAnchor(new X509Certificate(pki.root.pem));
  const runner = recordingRunner({ programs: ['update-ca-trust'], respond: rebuildsBundle(anchorsDir, bundle, pki.inter.pem) });
  const store = rhelStore(fakeContext(runner), { anchorsDir, bundle });

  assert.equal(store.id, 'rhel');
  assert.deepEqual(await store.detect(), { found: true, path: anchorsDir, needsRoot: false });
  await store.install(anchor);
  const file = join(anchorsDir, `${anchor.fileStem}.pem`);
  assert.equal(readFileSync(file, 'utf8'), anchor.pem);
  assert.deepEqual((await store.status(anchor)), { present: true, ours: true, entries: [file, bundle] });
  await store.uninstall(anchor);
  assert.equal(existsSync(file), false);
  assert.equal((await store.status(anchor)).present, false);
  assert.deepEqual(runner.lines(), ['update-ca-trust extract', 'update-ca-trust extract']);
});

test('RHEL defaults: the real paths, and root needed for them', async () => {
  const runner = recordingRunner({ programs: ['update-ca-trust'] });
  const store = rhelStore(fakeContext(runner, { privileged: false }));
  const d = await store.detect();
  assert.equal(d.path, '/etc/pki/ca-trust/source/anchors');
  assert.equal(d.needsRoot, true);
});
