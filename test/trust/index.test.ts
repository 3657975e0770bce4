/**
 * Which stores tlsdock lists on each platform and distribution.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFamily, trustStores } from '../../src/trust/index.js';
import { certutilPackage, linuxFamily, parseOsRelease } from '../../src/trust/platform.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { fakeContext, recordingRunner } from '../helpers/trust-runner.js';

after(() => cleanupTmpDirs());

const OS_RELEASES: Record<string, string> = {
  'ID=debian\nVERSION_ID="12"': 'debian',
  'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian': 'debian',
  'ID=fedora\nVERSION_ID=41': 'rhel',
  'ID="rocky"\nID_LIKE="rhel centos fedora"': 'rhel',
  'ID=arch': 'arch',
  'ID=manjaro\nID_LIKE=arch': 'arch',
  'ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"': 'opensuse',
  'ID="sles"\nID_LIKE="suse"': 'opensuse',
  'ID=alpine\nVERSION_ID=3.20.0': 'alpine',
  'ID=nixos': 'none',
};

test('the Linux family from os-release ID, then ID_LIKE', () => {
  for (const [text, family] of Object.entries(OS_RELEASES)) {
    assert.equal(linuxFamily(parseOsRelease(text)) ?? 'none', family, text);
  }
});

test('one system store per family; NSS and Java everywhere on Linux; the Windows host under WSL', () => {
  const home = makeTmpDir('tlsdock-home-');
  const ctx = fakeContext(recordingRunner(), { env: { HOME: home } });
  for (const family of ['debian', 'rhel', 'arch', 'opensuse', 'alpine'] as const) {
    const ids = trustStores(ctx, { family, wsl: false }).map((s) => s.id);
    assert.deepEqual(ids, [family, 'nss:chromium', 'java'], family);
  }
  assert.deepEqual(trustStores(ctx, { family: 'debian', wsl: true }).map((s) => `${s.id}/${s.group}`), ['debian/system', 'nss:chromium/nss', 'wsl:windows:user/windows', 'java/java']);
  assert.deepEqual(trustStores(ctx, { family: 'debian', wsl: true, machine: true }).map((s) => s.id)[2], 'wsl:windows:machine');
});

test('an unknown distribution: a "system" row that says so', async () => {
  const os = join(makeTmpDir(), 'os-release');
  writeFileSync(os, 'ID=nixos\n');
  assert.equal(detectFamily({ osRelease: os }), undefined);
  const [system] = trustStores(fakeContext(recordingRunner(), { env: { HOME: makeTmpDir() } }), { osRelease: os, wsl: false });
  const d = await system!.detect();
  assert.equal(system!.id, 'system');
  assert.equal(d.found, false);
  assert.match(d.note ?? '', /unknown distribution/);
});

test('macOS: login keychain (System with --machine), Firefox NSS, Java; Windows: CurrentUser store, Java', () => {
  const ctx = (platform: NodeJS.Platform) => fakeContext(recordingRunner(), { env: { HOME: makeTmpDir() }, platform });
  assert.deepEqual(trustStores(ctx('darwin')).map((s) => s.id), ['macos:login', 'java']);
  assert.deepEqual(trustStores(ctx('darwin'), { machine: true }).map((s) => s.id), ['macos:system', 'java']);
  assert.deepEqual(trustStores(ctx('win32')).map((s) => s.id), ['windows:user', 'java']);
});

test('this machine is Debian', () => {
  assert.equal(detectFamily(), 'debian');
});

test('certutil\'s package is named per family', () => {
  assert.equal(certutilPackage('linux', 'debian'), 'apt install libnss3-tools');
  assert.equal(certutilPackage('linux', 'rhel'), 'dnf install nss-tools');
  assert.equal(certutilPackage('linux', 'arch'), 'pacman -S nss');
  assert.equal(certutilPackage('linux', 'opensuse'), 'zypper install mozilla-nss-tools');
  assert.equal(certutilPackage('linux', 'alpine'), 'apk add nss-tools');
  assert.equal(certutilPackage('darwin', undefined), 'brew install nss');
});
