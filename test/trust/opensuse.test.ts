/**
 * openSUSE/SLES system store: cannot run here, so the commands are checked through a recording runner.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeAnchor } from '../../src/trust/anchor.js';
import { openSuseStore } from '../../src/trust/opensuse.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki } from '../helpers/trust-pki.js';
import { fakeContext, rebuildsBundle, recordingRunner } from '../helpers/trust-runner.js';

after(() => cleanupTmpDirs());

test('openSUSE: anchor .pem in /etc/pki/trust/anchors, then update-ca-certificates (SUSE\'s), bundle in /var/lib/ca-certificates', async () => {
  const root = makeTmpDir('tlsdock-suse-');
  const anchorsDir = join(root, 'etc/pki/trust/anchors');
  const bundle = join(root, 'ca-bundle.pem');
  mkdirSync(anchorsDir, { recursive: true });
  const anchor = makeAnchor(new X509Certificate(makeTrustPki(makeTmpDir()).root.pem));
  const runner = recordingRunner({ programs: ['update-ca-certificates'], respond: rebuildsBundle(anchorsDir, bundle) });
  const store = openSuseStore(fakeContext(runner), { anchorsDir, bundle });
  await store.install(anchor);
  assert.ok(existsSync(join(anchorsDir, `${anchor.fileStem}.pem`)));
  assert.equal((await store.status(anchor)).present, true);
  await store.uninstall(anchor);
  assert.deepEqual(runner.lines(), ['update-ca-certificates', 'update-ca-certificates']);
  const defaults = openSuseStore(fakeContext(runner));
  assert.equal((await defaults.detect()).path, '/etc/pki/trust/anchors');
});
