/**
 * Alpine system store: cannot run here (Alpine's update-ca-certificates is its own C program), so the
 * commands are checked through a recording runner.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeAnchor } from '../../src/trust/anchor.js';
import { alpineStore } from '../../src/trust/alpine.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki } from '../helpers/trust-pki.js';
import { fakeContext, rebuildsBundle, recordingRunner } from '../helpers/trust-runner.js';

after(() => cleanupTmpDirs());

test('Alpine: .crt in /usr/local/share/ca-certificates, then update-ca-certificates without --fresh', async () => {
  const localCertsDir = makeTmpDir('tlsdock-alpine-');
  const bundle = join(makeTmpDir(), 'ca-certificates.crt');
  const anchor = makeAnchor(new X509Certificate(makeTrustPki(makeTmpDir()).root.pem));
  const runner = recordingRunner({ programs: ['update-ca-certificates'], respond: rebuildsBundle(localCertsDir, bundle) });
  const store = alpineStore(fakeContext(runner), { localCertsDir, bundle });
  await store.install(anchor);
  assert.ok(existsSync(join(localCertsDir, `${anchor.fileStem}.crt`)));
  assert.equal((await store.status(anchor)).present, true);
  await store.uninstall(anchor);
  assert.equal((await store.status(anchor)).present, false);
  assert.deepEqual(runner.lines(), ['update-ca-certificates', 'update-ca-certificates']);
  assert.equal((await alpineStore(fakeContext(runner)).detect()).path, '/usr/local/share/ca-certificates');
});

test('Alpine without the ca-certificates package: named with apk', async () => {
  const store = alpineStore(fakeContext(recordingRunner()), { localCertsDir: makeTmpDir(), bundle: '/nonexistent' });
  assert.deepEqual((await store.detect()).missingTool, { tool: 'update-ca-certificates', install: 'apk add ca-certificates' });
});
