/**
 * `tlsdock ensure` through the built CLI, one test per branch of its decision: created, kept
 * byte-for-byte, and renewed for each reason. Real files in temp folders; openssl as a second opinion.
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/ensure-branches.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadCA } from '../../src/store/ca-store.js';
import { issueLeaf } from '../../src/pki/leaf.js';
import { keysMatch } from '../../src/pki/keys.js';
import { parseNames } from '../../src/pki/names.js';
import { isPermitted } from '../../src/pki/constraints.js';
import { localNames } from '../../src/integrations/local-names.js';
import { run, runCli } from '../helpers/cli.js';
import { spawnSync } from 'node:child_process';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const DAY = 86_400_000;
after(cleanupTmpDirs);

interface Box { home: string; cert: string; key: string; env: NodeJS.ProcessEnv }

/** A fresh CA home and certificate folder: one "container". */
function box(): Box {
  const dir = makeTmpDir('tlsdock-ensure-');
  return { home: join(dir, 'ca'), cert: join(dir, 'certs', 'cert.pem'), key: join(dir, 'certs', 'key.pem'), env: { TLSDOCK_HOME: join(dir, 'ca'), TLSDOCK_NAMES: '' } };
}

function ensure(b: Box, ...extra: string[]) {
  return runCli(['ensure', '--cert', b.cert, '--key', b.key, ...extra], { env: b.env });
}

function ensureJson(b: Box, ...extra: string[]) {
  const r = ensure(b, '--json', ...extra);
  assert.equal(r.status, 0, r.stderr);
  return r.json() as { action: string; reason: { id: string; message: string } | null; fixed: string[]; names: { value: string }[]; ca: { fingerprintSha256: string; created: boolean }; owner: { uid: number; gid: number } | null };
}

/** Write a pair signed by the box's CA, with whatever flaw a test needs. */
async function plant(b: Box, opts: { names?: string[]; days?: number; now?: Date } = {}): Promise<void> {
  const ca = await loadCA(b.home);
  assert.ok(ca, 'the box has a CA');
  // By default every name ensure wants here (the machine's own IPs included), so only the planted flaw counts.
  const names = opts.names ? parseNames(opts.names) : localNames().filter((n) => isPermitted(ca.constraints, n));
  const leaf = await issueLeaf({ ca, names, days: opts.days ?? 30, now: opts.now });
  mkdirSync(join(b.cert, '..'), { recursive: true });
  writeFileSync(b.cert, leaf.fullchainPem, { mode: 0o644 });
  writeFileSync(b.key, leaf.keyPem!, { mode: 0o600 });
}

function snapshot(b: Box) {
  const s = (f: string) => ({ bytes: readFileSync(f), mtimeMs: statSync(f).mtimeMs, ino: statSync(f).ino });
  return { cert: s(b.cert), key: s(b.key) };
}

function leafOf(b: Box): X509Certificate {
  return new X509Certificate(readFileSync(b.cert));
}

function assertValidPair(b: Box): void {
  const leaf = leafOf(b);
  assert.ok(keysMatch(createPrivateKey(readFileSync(b.key)), leaf.publicKey), 'key matches certificate');
  const v = run('openssl', ['verify', '-CAfile', join(b.home, 'ca.pem'), b.cert]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.equal(statSync(b.key).mode & 0o777, 0o600);
  assert.equal(statSync(b.cert).mode & 0o777, 0o644);
}

describe('first start', () => {
  test('missing pair: creates a CA and the pair, says "created", names the defaults in the SAN', () => {
    const b = box();
    const r = ensure(b);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], `created: expires in 30 days — ${b.cert}`);
    assert.match(lines[1]!, new RegExp(`^created a CA ${join(b.home, 'ca.pem')} \\(sha256 [0-9A-F:]{23}…\\): .*tlsdock trust install --ca`));
    assertValidPair(b);
    const san = leafOf(b).subjectAltName ?? '';
    for (const n of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', `DNS:${hostname().toLowerCase()}`]) assert.ok(san.includes(n), `${n} in ${san}`);
    assert.ok(!/CN=/.test(san));
    const days = (new Date(leafOf(b).validTo).getTime() - Date.now()) / DAY;
    assert.ok(days > 29.9 && days <= 30, `30 days, got ${days}`);
  });

  test('--json: a stable shape with the action, reason, files, names and CA', () => {
    const b = box();
    const j = ensureJson(b, '--name', 'jupyter.ai-lab.local', '--days', '7', '--renew-before', '2d');
    assert.equal(j.action, 'created');
    assert.equal(j.reason?.id, 'missing');
    assert.equal(j.ca.created, true);
    assert.equal(j.names[0]!.value, 'jupyter.ai-lab.local', 'the user\'s names come first (the CN is the first DNS name)');
    assert.match(leafOf(b).subject, /CN=jupyter\.ai-lab\.local/);
    assert.deepEqual(Object.keys(j).sort(), ['action', 'ca', 'expiresInMs', 'files', 'fingerprintSha256', 'fixed', 'names', 'notAfter', 'ok', 'owner', 'reason', 'serial', 'skippedNames']);
  });
});

describe('a good pair is kept', () => {
  test('byte for byte: same bytes, same mtime, same inode', async () => {
    const b = box();
    assert.equal(ensure(b).status, 0);
    const before = snapshot(b);
    await new Promise((r) => setTimeout(r, 20)); // a rewrite would show a later mtime
    const r = ensure(b);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], `kept: expires in 30 days — ${b.cert}`);
    assert.doesNotMatch(r.stdout, /created|renewed/);
    assert.deepEqual(snapshot(b), before);
  });

  test('with a wrong key mode: kept, mode fixed, and it says so', () => {
    const b = box();
    assert.equal(ensure(b).status, 0);
    const before = readFileSync(b.cert);
    chmodSync(b.key, 0o644);
    const r = ensure(b);
    assert.match(r.stdout, /^kept: expires in 30 days — .*; fixed key mode 0644 → 0600$/m);
    assert.equal(statSync(b.key).mode & 0o777, 0o600);
    assert.deepEqual(readFileSync(b.cert), before);
  });
});

describe('each reason to renew', () => {
  const cases: [string, (b: Box) => Promise<void> | void, string, RegExp][] = [
    ['expired', (b) => plant(b, { now: new Date(Date.now() - 40 * DAY), days: 30 }), 'expired', /the old certificate expired 10 days ago/],
    ['expiring within --renew-before (default 10d)', (b) => plant(b, { days: 5 }), 'expiring', /expires in 5 days/],
    ['wrong names (the seed\'s localhost-only certificate, used by IP)', (b) => plant(b, { names: ['localhost'] }), 'names', /does not name 127\.0\.0\.1, ::1/],
    ['mismatched key', async (b) => { await plant(b); writeFileSync(b.key, (await issueLeaf({ ca: (await loadCA(b.home))!, names: parseNames(['localhost']) })).keyPem!); }, 'key-mismatch', /does not belong to the certificate/],
    ['DER certificate', async (b) => { await plant(b); writeFileSync(b.cert, leafOf(b).raw); }, 'not-pem', /is DER, but servers read PEM/],
    ['garbage', async (b) => { await plant(b); writeFileSync(b.cert, 'not a certificate\n'); }, 'invalid', /holds no certificate/],
    ['a pair from a CA that is no longer the one on the volume', async (b) => { await plant(b); assert.equal(runCli(['ca', 'init', '--force'], { env: b.env }).status, 0); }, 'other-ca', /not by the current CA/],
  ];
  for (const [title, setup, id, message] of cases) {
    test(title, async () => {
      const b = box();
      assert.equal(runCli(['ca', 'init'], { env: b.env }).status, 0);
      await setup(b);
      const old = readFileSync(b.cert);
      const j = ensureJson(b);
      assert.equal(j.action, 'renewed');
      assert.equal(j.reason?.id, id);
      assert.match(j.reason?.message ?? '', message);
      assert.notDeepEqual(readFileSync(b.cert), old);
      assertValidPair(b);
      assert.equal(ensureJson(b).action, 'kept', 'and the next start keeps it');
    });
  }

  test('the human line says renewed, the new expiry, the file and the reason', async () => {
    const b = box();
    assert.equal(runCli(['ca', 'init'], { env: b.env }).status, 0);
    await plant(b, { now: new Date(Date.now() - 40 * DAY), days: 30 });
    const r = ensure(b);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], `renewed: expires in 30 days — ${b.cert} (the old certificate expired 10 days ago)`);
  });

  test('the JSON reason ids', async () => {
    const b = box();
    assert.equal(runCli(['ca', 'init'], { env: b.env }).status, 0);
    await plant(b, { now: new Date(Date.now() - 40 * DAY), days: 30 });
    assert.deepEqual(ensureJson(b).reason?.id, 'expired');
    await plant(b, { days: 5 });
    assert.deepEqual(ensureJson(b).reason?.id, 'expiring');
    await plant(b, { days: 5 });
    assert.equal(ensureJson(b, '--renew-before', '2d').action, 'kept', 'not within a shorter --renew-before');
    assert.deepEqual(ensureJson(b, '--name', 'extra.local', '--renew-before', '2d').reason, { id: 'names', message: 'the old certificate does not name extra.local' });
  });

  test('an unreadable key: the container user (uid 1000) cannot read a root-owned key, so it gets a new pair it can read', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const b = box();
    assert.equal(ensure(b).status, 0);
    // The seed's situation: the image was built as root, the server runs as an unprivileged user.
    const dir = join(b.cert, '..');
    const root = join(dir, '..');
    chmodSync(root, 0o755);
    for (const p of [dir, b.home, join(b.home, 'ca.pem'), join(b.home, 'ca-key.pem'), b.cert]) chownSync(p, 1000, 1000);
    chownSync(b.key, 0, 0);
    const r = runAs1000(['ensure', '--cert', b.cert, '--key', b.key, '--json'], { ...b.env, HOME: dir });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { action: string; reason: { id: string; message: string } };
    assert.equal(j.action, 'renewed');
    assert.equal(j.reason.id, 'unreadable');
    assert.match(j.reason.message, /cannot be read \(permission denied for uid 1000\)/);
    assert.equal(statSync(b.key).uid, 1000);
    assertValidPair(b);
  });

  test('a key readable by everyone that the container user cannot chmod (root-owned 0644): replaced by a private one of its own', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const b = box();
    assert.equal(ensure(b).status, 0);
    const dir = join(b.cert, '..');
    chmodSync(join(dir, '..'), 0o755);
    for (const p of [dir, b.home, join(b.home, 'ca.pem'), join(b.home, 'ca-key.pem'), b.cert]) chownSync(p, 1000, 1000);
    chownSync(b.key, 0, 0);
    chmodSync(b.key, 0o644);
    const r = runAs1000(['ensure', '--cert', b.cert, '--key', b.key, '--json'], { ...b.env, HOME: dir });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { action: string; reason: { id: string; message: string } };
    assert.deepEqual([j.action, j.reason.id], ['renewed', 'key-mode']);
    assert.match(j.reason.message, /has mode 0644 and belongs to uid 0, so it cannot be made private/);
    assert.deepEqual([statSync(b.key).uid, statSync(b.key).mode & 0o777], [1000, 0o600]);
    assertValidPair(b);
  });
});

function runAs1000(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'tlsdock.cjs'), ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, uid: 1000, gid: 1000, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('owner and modes', () => {
  test('--owner 1000:1000 as root: the key is 0600 owned by 1000, the certificate 0644', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
    const b = box();
    chmodSync(join(b.home, '..'), 0o755);
    const j = ensureJson(b, '--owner', '1000:1000');
    assert.deepEqual(j.owner, { uid: 1000, gid: 1000 });
    for (const [f, mode] of [[b.key, 0o600], [b.cert, 0o644]] as const) {
      const st = statSync(f);
      assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [1000, 1000, mode], f);
    }
    assert.equal(statSync(join(b.cert, '..')).uid, 1000, 'the folder ensure created belongs to the owner too');
    // The container user can now read its key.
    const cat = spawnSync('cat', [b.key], { uid: 1000, gid: 1000 });
    assert.equal(cat.status, 0);
  });

  test('--owner on a kept pair changes only the owner; names resolve through /etc/passwd', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
    const b = box();
    assert.equal(ensure(b).status, 0);
    const before = readFileSync(b.key);
    const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':');
    const r = ensure(b, '--owner', 'nobody');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^kept: .*fixed key owner uid 0 → ${nobody[2]}, certificate owner uid 0 → ${nobody[2]}$`, 'm'));
    assert.equal(statSync(b.key).uid, Number(nobody[2]));
    assert.deepEqual(readFileSync(b.key), before);
  });
});

describe('refusals: one sentence, exit 2, nothing written', () => {
  const refusals: [string, string[], RegExp][] = [
    ['renew-before not shorter than days', ['--days', '10', '--renew-before', '10d'], /--renew-before 10d is not shorter than --days 10: every start would replace the certificate/],
    ['an unreadable duration', ['--renew-before', 'soon'], /--renew-before "soon" is not a duration/],
    ['a name the CA may not sign for', ['--name', 'example.com'], /may not sign for example\.com/],
    ['an unknown owner', ['--owner', 'no-such-user-xyz'], /no user "no-such-user-xyz"/],
    ['over 825 days', ['--days', '900'], /--days 900 is over 825/],
  ];
  for (const [title, args, message] of refusals) {
    test(title, () => {
      const b = box();
      const r = ensure(b, ...args, '--', 'sh', '-c', 'echo MUST-NOT-RUN');
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
      assert.doesNotMatch(r.stdout + r.stderr, /MUST-NOT-RUN/);
      assert.equal(existsSync(b.key) || existsSync(b.cert), false);
    });
  }

  test('the same file for --cert and --key; a missing --cert', () => {
    const b = box();
    const same = runCli(['ensure', '--cert', b.cert, '--key', b.cert], { env: b.env });
    assert.equal(same.status, 2);
    assert.match(same.stderr, /two different files/);
    const missing = runCli(['ensure', '--key', b.key], { env: b.env });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--cert/);
  });
});
