/**
 * `tlsdock ensure` across "container starts": temp folders stand in for the container's file system,
 * a CA folder for the volume. The CA must survive restarts and rebuilds (browsers keep trusting it);
 * a leaf is replaced only when needed.
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/ensure-container.test.ts
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { keysMatch } from '../../src/pki/keys.js';
import { BIN, run, runCli } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);
const execFileP = promisify(execFile);

interface Start { action: string; reason: { id: string } | null; skippedNames: string[]; names: { value: string }[]; fingerprintSha256: string; ca: { fingerprintSha256: string; created: boolean } }

/** One container start: ensure with the CA on `volume` and the pair in the container's own `layer`. */
function start(volume: string, layer: string, ...extra: string[]): Start {
  const r = runCli(['ensure', '--ca-dir', volume, '--cert', join(layer, 'etc/certs/jupyter.pem'), '--key', join(layer, 'etc/certs/jupyter-key.pem'), '--json', ...extra], { env: { TLSDOCK_HOME: '/nonexistent-use-ca-dir', TLSDOCK_NAMES: '' } });
  assert.equal(r.status, 0, r.stderr);
  return r.json() as unknown as Start;
}

function verifies(volume: string, layer: string): void {
  const cert = join(layer, 'etc/certs/jupyter.pem');
  const v = run('openssl', ['verify', '-CAfile', join(volume, 'ca.pem'), cert]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.ok(keysMatch(createPrivateKey(readFileSync(join(layer, 'etc/certs/jupyter-key.pem'))), new X509Certificate(readFileSync(cert)).publicKey));
}

test('restart: same CA, the leaf kept byte for byte; rebuild (new container layer): same CA, a new leaf from it', () => {
  const root = makeTmpDir('tlsdock-container-');
  const volume = join(root, 'volume');
  const first = start(volume, join(root, 'layer1'));
  assert.deepEqual([first.action, first.ca.created], ['created', true]);
  const caBytes = readFileSync(join(volume, 'ca.pem'));
  const caKeyMtime = statSync(join(volume, 'ca-key.pem')).mtimeMs;
  const leafBytes = readFileSync(join(root, 'layer1/etc/certs/jupyter.pem'));

  const restart = start(volume, join(root, 'layer1'));
  assert.deepEqual([restart.action, restart.ca.created], ['kept', false]);
  assert.equal(restart.ca.fingerprintSha256, first.ca.fingerprintSha256);
  assert.equal(restart.fingerprintSha256, first.fingerprintSha256);
  assert.deepEqual(readFileSync(join(root, 'layer1/etc/certs/jupyter.pem')), leafBytes);

  const rebuilt = start(volume, join(root, 'layer2'));
  assert.deepEqual([rebuilt.action, rebuilt.ca.created], ['created', false]);
  assert.equal(rebuilt.ca.fingerprintSha256, first.ca.fingerprintSha256, 'the trusted CA is the same');
  assert.notEqual(rebuilt.fingerprintSha256, first.fingerprintSha256);
  verifies(volume, join(root, 'layer2'));
  assert.deepEqual(readFileSync(join(volume, 'ca.pem')), caBytes);
  assert.equal(statSync(join(volume, 'ca-key.pem')).mtimeMs, caKeyMtime);
});

test('a lost volume (new CA) makes the kept leaf useless: it is replaced, reason other-ca', () => {
  const root = makeTmpDir('tlsdock-container-');
  const volume = join(root, 'volume');
  const first = start(volume, join(root, 'layer'));
  rmSync(volume, { recursive: true });
  const again = start(volume, join(root, 'layer'));
  assert.equal(again.ca.created, true);
  assert.notEqual(again.ca.fingerprintSha256, first.ca.fingerprintSha256);
  assert.deepEqual([again.action, again.reason?.id], ['renewed', 'other-ca']);
  verifies(volume, join(root, 'layer'));
});

test('a new container host name (unshare --uts): the CA may not sign for it, so it is skipped and the leaf kept; an explicit --name renews', { skip: (process.getuid?.() !== 0 || !existsSync('/usr/bin/unshare')) && 'needs root and unshare' }, () => {
  const root = makeTmpDir('tlsdock-container-');
  const volume = join(root, 'volume');
  const layer = join(root, 'layer');
  const inHost = (host: string, ...extra: string[]) => {
    const args = ['--uts', 'sh', '-c', `hostname ${host} && exec "$@"`, 'sh', process.execPath, BIN, 'ensure', '--ca-dir', volume, '--cert', join(layer, 'etc/certs/jupyter.pem'), '--key', join(layer, 'etc/certs/jupyter-key.pem'), '--json', ...extra];
    const r = run('/usr/bin/unshare', args, { env: { TLSDOCK_NAMES: '', NO_COLOR: '1' } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Start;
  };
  const a = inHost('c0ffee000001');
  assert.ok(a.names.some((n) => n.value === 'c0ffee000001'), 'the CA made in this container permits its host name');
  const b = inHost('c0ffee000002');
  assert.equal(b.action, 'kept');
  assert.ok(b.skippedNames.includes('c0ffee000002'), JSON.stringify(b.skippedNames));
  assert.equal(b.ca.fingerprintSha256, a.ca.fingerprintSha256);
  const c = inHost('c0ffee000002', '--name', 'notebook.ai-lab.local');
  assert.deepEqual([c.action, c.reason?.id], ['renewed', 'names']);
  verifies(volume, layer);
});

test('containers starting at once on one empty volume end with one CA; on one certificate folder, with one matching pair', async () => {
  const root = makeTmpDir('tlsdock-container-');
  const volume = join(root, 'volume');
  const ensureAsync = (layer: string) => execFileP(process.execPath, [BIN, 'ensure', '--ca-dir', volume, '--cert', join(layer, 'etc/certs/jupyter.pem'), '--key', join(layer, 'etc/certs/jupyter-key.pem'), '--json'], { env: { ...process.env, TLSDOCK_NAMES: '' } })
    .then((r) => JSON.parse(r.stdout) as Start);
  const separate = await Promise.all([1, 2, 3, 4].map((i) => ensureAsync(join(root, `layer${i}`))));
  assert.equal(new Set(separate.map((s) => s.ca.fingerprintSha256)).size, 1, 'one CA');
  assert.equal(separate.filter((s) => s.ca.created).length, 1, 'created once');
  for (const i of [1, 2, 3, 4]) verifies(volume, join(root, `layer${i}`));

  const shared = join(root, 'shared');
  const same = await Promise.all([1, 2, 3, 4].map(() => ensureAsync(shared)));
  // The lock beside the certificate serialises them: one writes, the others find its pair and keep it.
  assert.deepEqual(same.map((s) => s.action).sort(), ['created', 'kept', 'kept', 'kept']);
  const leaf = new X509Certificate(readFileSync(join(shared, 'etc/certs/jupyter.pem')));
  assert.ok(same.some((s) => s.fingerprintSha256 === leaf.fingerprint256), 'the pair on disk is one that a start reported');
  verifies(volume, shared);
  assert.equal(start(volume, shared).action, 'kept');
});
