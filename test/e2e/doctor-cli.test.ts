/**
 * The built CLI: output order, exit codes 0/1/2, --help, and file access checked against reality —
 * the CLI is run as the real unprivileged user `nobody` (setpriv, no useradd needed), and the
 * `--user nobody` prediction is compared with what `nobody` can actually read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, runCli } from '../helpers/cli.js';
import { runCliAsync } from '../helpers/doctor-cli.js';
import { startHttpsServer, type LoopbackServer } from '../helpers/doctor-servers.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeLeaf, makeRoot, type Issued } from '../helpers/x509-factory.js';

let dir: string;
let home: string;
let root: Issued, leaf: Issued;
const servers: LoopbackServer[] = [];

before(async () => {
  dir = makeTmpDir('tlsdock-cli-');
  chmodSync(dir, 0o755);
  home = makeTmpDir('tlsdock-home-');
  root = await makeRoot('cli root');
  leaf = await makeLeaf(root);
  writeFileSync(join(dir, 'root.pem'), root.pem);
  writeFileSync(join(dir, 'leaf.pem'), leaf.pem, { mode: 0o644 });
  writeFileSync(join(dir, 'leaf-key.pem'), leaf.keyPem, { mode: 0o600 });
  chmodSync(join(dir, 'leaf-key.pem'), 0o600);
});
after(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
  cleanupTmpDirs();
});

const env = () => ({ HOME: home, TLSDOCK_HOME: home, XDG_DATA_HOME: '' });

describe('tlsdock inspect', () => {
  test('trusted with --ca: exit 0, the verdict first', () => {
    const r = runCli(['inspect', join(dir, 'leaf.pem'), join(dir, 'leaf-key.pem'), '--host', 'localhost', '--ca', join(dir, 'root.pem')], { env: env() });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout.split('\n')[0]!, /^Chromium will load https:\/\/localhost without a certificate warning/);
  });

  test('problems: exit 1; the verdict line, then findings, then numbered fixes', () => {
    chmodSync(join(dir, 'leaf-key.pem'), 0o644);
    try {
      const r = runCli(['inspect', join(dir, 'leaf.pem'), join(dir, 'leaf-key.pem'), '--host', '127.0.0.1', '--host', 'app.test'], { env: env() });
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stdout.split('\n');
      assert.match(lines[0]!, /^Chromium will show NET::ERR_CERT_AUTHORITY_INVALID for https:\/\/127\.0\.0\.1 and https:\/\/app\.test — /);
      const findingsAt = lines.findIndex((l) => /✗ error\s+name-mismatch/.test(l));
      const fixesAt = lines.indexOf('Fixes:');
      assert.ok(findingsAt > 0 && fixesAt > findingsAt, r.stdout);
      assert.ok(lines.slice(fixesAt).some((l) => l.includes(`chmod 600 ${join(dir, 'leaf-key.pem')}`)), r.stdout);
      assert.ok(lines.slice(fixesAt).some((l) => /^\s+\d\. tlsdock issue 127\.0\.0\.1 app\.test localhost --out \/tmp\//.test(l)), r.stdout);
    } finally {
      chmodSync(join(dir, 'leaf-key.pem'), 0o600);
    }
  });

  test('--json: the shared shape', () => {
    const r = runCli(['inspect', join(dir, 'leaf.pem'), '--host', 'localhost', '--json'], { env: env() });
    assert.equal(r.status, 1);
    const j = r.json() as { ok: boolean; target: string; browser: { chromium: string }; findings: { id: string; severity: string; message: string; fix: string | null; browserError: string | null }[] };
    assert.equal(j.ok, false);
    assert.equal(j.target, join(dir, 'leaf.pem'));
    assert.equal(j.browser.chromium, 'ERR_CERT_AUTHORITY_INVALID');
    for (const f of j.findings) {
      assert.match(f.id, /^[a-z]+(-[a-z0-9]+)*$/);
      assert.ok(['error', 'warning', 'info'].includes(f.severity));
      assert.match(f.message, /^[A-Z0-9"/*].*\.$/, 'one sentence');
    }
  });

  test('exit 2 with one sentence on stderr: missing file, bad --ca', () => {
    const missing = runCli(['inspect', join(dir, 'nope.pem')], { env: env() });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.pem does not exist\./);
    assert.equal(missing.stdout, '');
    const json = runCli(['inspect', join(dir, 'nope.pem'), '--json'], { env: env() });
    assert.equal((json.json().error as { code: string }).code, 'not-found');
    const badCa = runCli(['inspect', join(dir, 'leaf.pem'), '--ca', join(dir, 'leaf-key.pem')], { env: env() });
    assert.equal(badCa.status, 2);
    assert.match(badCa.stderr, /holds no certificate/);
  });

  test('--help has examples and the exit codes', () => {
    for (const cmd of ['inspect', 'check']) {
      const r = runCli([cmd, '--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Examples:\n {2}tlsdock /);
      assert.match(r.stdout, /Exit status: 0 no problems, 1 problems found, 2 could not/);
    }
  });
});

describe('tlsdock check', () => {
  test('human output names the protocol, ALPN and chain; --json has tls facts; refused port exits 2', async () => {
    const s = await startHttpsServer({ cert: leaf.pem, key: leaf.keyPem });
    servers.push(s);
    // Async: the server runs in this process, so a blocking spawnSync would starve it.
    const r = await runCliAsync(['check', s.url('localhost'), '--connect-to', '127.0.0.1', '--ca', join(dir, 'root.pem')], env());
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /TLSv1\.3 · ALPN http\/1\.1 · 1 certificate sent · chain: localhost → cli root/);
    const j = JSON.parse((await runCliAsync(['check', s.url('localhost'), '--json'], env())).stdout) as { tls: { protocol: string }; browser: { chromium: string } };
    assert.equal(j.tls.protocol, 'TLSv1.3');
    assert.equal(j.browser.chromium, 'ERR_CERT_AUTHORITY_INVALID');
    const port = s.port;
    await s.close();
    const refused = runCli(['check', `127.0.0.1:${port}`], { env: env() });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /Nothing is listening on 127\.0\.0\.1:\d+ \(connection refused\)\./);
    const usage = runCli(['check', 'http://127.0.0.1:1']);
    assert.equal(usage.status, 2);
  });
});

describe('file access, checked against the real user nobody', () => {
  const NOBODY = 65534;

  function asNobody(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', cmd, ...args], { encoding: 'utf8', env: { ...process.env, ...env(), NO_COLOR: '1' } });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  test('run as nobody, a key it cannot read is reported (file-unreadable), not a crash', () => {
    const r = asNobody(process.execPath, [BIN, 'inspect', join(dir, 'leaf.pem'), join(dir, 'leaf-key.pem'), '--host', 'localhost', '--json']);
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout) as { findings: { id: string; message: string }[] };
    assert.ok(j.findings.some((f) => f.id === 'file-unreadable' && f.message.includes('leaf-key.pem') && /permission denied/.test(f.message)), r.stdout);
  });

  test('--user nobody predicts exactly what nobody can read', () => {
    const sub = join(dir, 'modes');
    mkdirSync(sub, { recursive: true });
    const cases: [string, number, number, number, number][] = [
      // name, dir mode, file mode, file uid, file gid
      ['root-0600', 0o755, 0o600, 0, 0],
      ['root-0644', 0o755, 0o644, 0, 0],
      ['nogroup-0640', 0o755, 0o640, 0, NOBODY],
      ['nobody-0400', 0o755, 0o400, NOBODY, 0],
      ['nobody-0040', 0o755, 0o040, NOBODY, NOBODY],
      ['closed-dir', 0o700, 0o644, 0, 0],
    ];
    for (const [name, dirMode, mode, uid, gid] of cases) {
      const d = join(sub, name);
      mkdirSync(d, { recursive: true });
      chmodSync(d, dirMode);
      const f = join(d, 'cert.pem');
      writeFileSync(f, leaf.pem);
      chownSync(f, uid, gid);
      chmodSync(f, mode);
      const actual = asNobody('cat', [f]).status === 0;
      const r = runCli(['inspect', f, '--user', 'nobody', '--json'], { env: env() });
      const predicted = !(r.json().findings as { id: string }[]).some((x) => x.id === 'not-readable-by-user');
      assert.equal(predicted, actual, `${name}: predicted ${predicted}, nobody ${actual ? 'can' : 'cannot'} read it`);
    }
  });
});
