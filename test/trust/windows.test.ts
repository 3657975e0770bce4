/**
 * Windows certificate store, natively and from WSL: cannot run here, so the exact certutil commands are
 * checked through a recording runner. The manual check on Windows/WSL is in docs/trust.md.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { makeAnchor, type Anchor } from '../../src/trust/anchor.js';
import { windowsStore } from '../../src/trust/windows.js';
import { isWsl } from '../../src/trust/platform.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki } from '../helpers/trust-pki.js';
import { fakeContext, recordingRunner } from '../helpers/trust-runner.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let ca: Anchor;
before(() => { ca = makeAnchor(new X509Certificate(makeTrustPki(makeTmpDir()).root.pem)); });
after(() => cleanupTmpDirs());

const FILE = /\S+\.pem$/;

test('CurrentUser (default): certutil -user -addstore Root FILE; -store to check; -delstore by SHA-1', async () => {
  const runner = recordingRunner({ programs: ['certutil'], respond: (c) => (c.args.includes('-store') ? { code: 0x80092004 } : undefined) });
  const store = windowsStore(fakeContext(runner, { platform: 'win32', privileged: false }), { tmpDir: makeTmpDir() });
  assert.equal(store.id, 'windows:user');
  assert.equal(store.group, 'system');
  assert.deepEqual(await store.detect(), { found: true, path: 'CurrentUser\\Root', needsRoot: false, note: undefined });
  assert.equal((await store.status(ca)).present, false);
  await store.install(ca);
  await store.uninstall(ca);
  assert.deepEqual(runner.lines().map((l) => l.replace(FILE, 'FILE')), [
    `certutil -user -store Root ${ca.sha1}`,
    'certutil -user -addstore Root FILE',
    `certutil -user -delstore Root ${ca.sha1}`,
  ]);
});

test('LocalMachine (--machine): no -user, needs an elevated prompt', async () => {
  const runner = recordingRunner({ programs: ['certutil'] });
  const store = windowsStore(fakeContext(runner, { platform: 'win32', privileged: false }), { machine: true, tmpDir: makeTmpDir() });
  assert.equal(store.id, 'windows:machine');
  assert.equal((await store.detect()).needsRoot, true);
  assert.equal((await windowsStore(fakeContext(runner, { platform: 'win32', privileged: true }), { machine: true }).detect()).needsRoot, false);
  await store.install(ca);
  assert.deepEqual(runner.lines().map((l) => l.replace(FILE, 'FILE')), ['certutil -addstore Root FILE']);
  assert.equal((await store.status(ca)).present, true);
});

test('WSL: certutil.exe with the file translated by wslpath -w; group "windows"', async () => {
  const winPath = '\\\\wsl.localhost\\Ubuntu\\tmp\\ca.pem';
  const runner = recordingRunner({ programs: ['certutil.exe'], respond: (c) => (c.cmd === 'wslpath' ? { stdout: `${winPath}\n` } : undefined) });
  const store = windowsStore(fakeContext(runner, { platform: 'linux' }), { wsl: true, tmpDir: makeTmpDir() });
  assert.equal(store.id, 'wsl:windows:user');
  assert.equal(store.group, 'windows');
  assert.match(store.title, /Windows host CurrentUser\\Root \(from WSL\)/);
  await store.install(ca);
  const lines = runner.lines();
  assert.match(lines[0]!, /^wslpath -w \/\S+\.pem$/);
  assert.deepEqual(lines.slice(1), [`certutil.exe -user -addstore Root ${winPath}`]);
});

test('WSL LocalMachine: sudo cannot elevate a Windows process, so it always needs an elevated Windows prompt', async () => {
  const runner = recordingRunner({ programs: ['certutil.exe'] });
  const store = windowsStore(fakeContext(runner, { platform: 'linux', privileged: true }), { wsl: true, machine: true });
  assert.equal((await store.detect()).needsRoot, true);
});

test('WSL without interop: certutil.exe not found, said so', async () => {
  const store = windowsStore(fakeContext(recordingRunner(), { platform: 'linux' }), { wsl: true });
  const d = await store.detect();
  assert.equal(d.found, false);
  assert.match(d.note ?? '', /certutil\.exe not found \(is Windows interop enabled\?\)/);
});

test('isWsl: from WSL_DISTRO_NAME, or "microsoft" in the kernel release', () => {
  const dir = makeTmpDir();
  const wsl = join(dir, 'wsl');
  const plain = join(dir, 'plain');
  writeFileSync(wsl, '5.15.167.4-microsoft-standard-WSL2\n');
  writeFileSync(plain, '6.1.0-18-amd64\n');
  assert.equal(isWsl({ WSL_DISTRO_NAME: 'Ubuntu' }, plain), true);
  assert.equal(isWsl({}, wsl), true);
  assert.equal(isWsl({}, plain), false);
  assert.equal(isWsl({}, join(dir, 'missing')), false);
});
