/**
 * The `tlsdock trust` command surface: help, JSON shapes, exit codes, and the machine's real stores as
 * status sees them (read only: the guard checks nothing changed).
 *   npm run build && node --import tsx --test test/e2e/trust-cli.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { runCli } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let pki: TrustPki;
let realBefore: string;
before(() => {
  realBefore = realStoresSnapshot();
  pki = makeTrustPki(makeTmpDir('tlsdock-cli-'));
});
after(() => {
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

function env(home = makeTmpDir('tlsdock-cli-home-')) {
  return { HOME: home, TLSDOCK_HOME: join(home, 'tlsdock'), XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' };
}

test('help: every subcommand, with examples', () => {
  const top = runCli(['trust', '--help']);
  assert.equal(top.status, 0);
  for (const sub of ['install', 'uninstall', 'status', 'env', 'fetch']) {
    assert.match(top.stdout, new RegExp(`^  ${sub}\\b`, 'm'));
    const h = runCli(['trust', sub, '--help']);
    assert.equal(h.status, 0, sub);
    assert.match(h.stdout, /Examples:\n {2}tlsdock trust|Examples:\n {2}eval|Examples:\n {2}sudo|Examples:\n {2}docker/, sub);
  }
  assert.match(runCli(['--help']).stdout, /^ {2}trust\b/m);
});

test('usage errors exit 2: unknown --store, no CA yet (with --json error shape)', () => {
  const bad = runCli(['trust', 'install', '--store', 'firefox'], { env: env() });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--store firefox is not a trust store group; use system, nss, java, windows, all\./);
  const none = runCli(['trust', 'install', '--store', 'nss', '--json'], { env: env() });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^error: There is no CA in .* to trust\.\nfix: {3}tlsdock ca init/m);
  assert.deepEqual((none.json() as { ok: boolean; error: { code: string } }).error.code, 'not-found');
  const leaf = runCli(['trust', 'install', '--ca', pki.leaf.cert, '--store', 'nss'], { env: env() });
  assert.equal(leaf.status, 2);
  assert.match(leaf.stderr, /not that CA/);
});

test('install --ca FILE.der --json: the stable shape', () => {
  const der = join(makeTmpDir(), 'jupyter.cer');
  writeFileSync(der, new X509Certificate(pki.root.pem).raw);
  const e = env();
  const r = runCli(['trust', 'install', '--ca', der, '--store', 'nss', '--json'], { env: e });
  assert.equal(r.status, 0, r.stderr);
  const j = r.json() as Record<string, unknown> & { anchor: Record<string, unknown>; stores: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(j).sort(), ['action', 'anchor', 'fixes', 'ok', 'stores']);
  assert.equal(j.ok, true);
  assert.equal(j.action, 'install');
  assert.deepEqual(Object.keys(j.anchor).sort(), ['fingerprintSha256', 'kind', 'label', 'name', 'source', 'subject']);
  assert.deepEqual(Object.keys(j.stores[0]!).sort(), ['entries', 'expected', 'found', 'group', 'id', 'message', 'ours', 'outcome', 'path', 'present', 'title']);
  assert.deepEqual([j.stores[0]!.id, j.stores[0]!.outcome, j.stores[0]!.path], ['nss:chromium', 'installed', join(e.HOME, '.pki', 'nssdb')]);
  const again = runCli(['trust', 'install', '--ca', der, '--store', 'nss', '--json'], { env: e });
  assert.equal((again.json() as { stores: { outcome: string }[] }).stores[0]!.outcome, 'already-present');
});

test('status without --store: every store on this machine with its real path (read only)', () => {
  const e = env();
  assert.equal(runCli(['ca', 'init'], { env: e }).status, 0);
  const r = runCli(['trust', 'status', '--json'], { env: e });
  assert.equal(r.status, 1, 'the CA is in none of them');
  const rows = (r.json() as { stores: { id: string; found: boolean; path: string; present: boolean | null; expected: boolean }[] }).stores;
  const debian = rows.find((s) => s.id === 'debian');
  assert.deepEqual([debian?.found, debian?.path, debian?.present], [true, '/usr/local/share/ca-certificates', false]);
  const java = rows.find((s) => s.id === 'java');
  assert.deepEqual([java?.found, java?.path, java?.present], [true, '/etc/ssl/certs/java/cacerts', false]);
  assert.ok(rows.some((s) => s.id === 'nss:chromium'));
  const human = runCli(['trust', 'status'], { env: e });
  assert.match(human.stdout, /✗ missing\s+System \(Debian\/Ubuntu\)\s+\/usr\/local\/share\/ca-certificates/);
  assert.match(human.stdout, /To finish:\n {2}tlsdock trust install --store system --store nss --store java/);
});
