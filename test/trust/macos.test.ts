/**
 * macOS keychains: cannot run here, so the exact `security` commands are checked through a recording runner.
 * The manual check on a Mac is in docs/trust.md.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { makeAnchor, type Anchor } from '../../src/trust/anchor.js';
import { macosStore } from '../../src/trust/macos.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki } from '../helpers/trust-pki.js';
import { fakeContext, recordingRunner } from '../helpers/trust-runner.js';

let ca: Anchor;
before(() => { ca = makeAnchor(new X509Certificate(makeTrustPki(makeTmpDir()).root.pem)); });
after(() => cleanupTmpDirs());

const HOME = '/Users/ada';
const LOGIN = '/Users/ada/Library/Keychains/login.keychain-db';

test('login keychain (default): add-trusted-cert -r trustRoot, no -d, no root needed', async () => {
  const tmpDir = makeTmpDir('tlsdock-mac-');
  let seenFile = '';
  const runner = recordingRunner({
    programs: ['security'],
    respond: (c) => {
      if (c.args[0] === 'add-trusted-cert') {
        seenFile = c.args.at(-1)!;
        assert.equal(readFileSync(seenFile, 'utf8'), ca.pem, 'security reads the anchor from a real file');
      }
    },
  });
  const store = macosStore(fakeContext(runner, { env: { HOME }, platform: 'darwin', privileged: false }), { tmpDir });
  assert.equal(store.id, 'macos:login');
  assert.deepEqual(await store.detect(), { found: true, path: LOGIN, needsRoot: false, note: undefined });
  await store.install(ca);
  assert.deepEqual(runner.lines(), [`security add-trusted-cert -r trustRoot -k ${LOGIN} ${seenFile}`]);
  assert.equal(existsSync(seenFile), false, 'the temporary file is removed');
});

test('System keychain (--machine): -d (admin trust settings), needs root; uninstall removes trust then the certificate by SHA-1', async () => {
  const runner = recordingRunner({ programs: ['security'] });
  const tmpDir = makeTmpDir('tlsdock-mac-');
  const store = macosStore(fakeContext(runner, { env: { HOME }, platform: 'darwin', privileged: false }), { machine: true, tmpDir });
  assert.equal(store.id, 'macos:system');
  assert.equal((await store.detect()).needsRoot, true);
  await store.install(ca);
  await store.uninstall(ca);
  const lines = runner.lines().map((l) => l.replace(/ \S+\.pem$/, ' FILE'));
  assert.deepEqual(lines, [
    'security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain FILE',
    'security remove-trusted-cert -d FILE',
    `security delete-certificate -Z ${ca.sha1} /Library/Keychains/System.keychain`,
  ]);
});

test('status: find-certificate -a -Z lists SHA-1 hashes; present when ours is among them', async () => {
  const listing = `SHA-256 hash: 00\nSHA-1 hash: ${ca.sha1}\nkeychain: "${LOGIN}"\n`;
  const yes = recordingRunner({ programs: ['security'], respond: () => ({ stdout: listing }) });
  const store = macosStore(fakeContext(yes, { env: { HOME }, platform: 'darwin' }));
  assert.deepEqual(await store.status(ca), { present: true, ours: true, entries: [`trust test root (SHA-1 ${ca.sha1})`] });
  assert.deepEqual(yes.lines(), [`security find-certificate -a -Z ${LOGIN}`]);
  const no = recordingRunner({ programs: ['security'], respond: () => ({ stdout: 'SHA-1 hash: 0000\n' }) });
  assert.equal((await macosStore(fakeContext(no, { env: { HOME }, platform: 'darwin' })).status(ca)).present, false);
});

test('a refused change (user cancelled the dialog) is an error naming the command', async () => {
  const runner = recordingRunner({ programs: ['security'], respond: () => ({ code: 1, stderr: 'SecTrustSettingsSetTrustSettings: The authorization was canceled by the user.' }) });
  const store = macosStore(fakeContext(runner, { env: { HOME }, platform: 'darwin' }), { tmpDir: makeTmpDir() });
  await assert.rejects(store.install(ca), /security add-trusted-cert .* failed: SecTrustSettingsSetTrustSettings: The authorization was canceled/);
});
