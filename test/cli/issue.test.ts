import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, run, runCli } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

function sandbox() {
  const dir = makeTmpDir();
  const home = join(dir, 'home');
  const out = join(dir, 'out');
  mkdirSync(out);
  return { dir, home, out, env: { TLSDOCK_HOME: home } };
}

test('first issue creates a CA, says so, and writes leaf, fullchain and a 0600 key', () => {
  const s = sandbox();
  const r = runCli(['issue', 'localhost', '127.0.0.1', '::1', '--out', s.out], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Created a local CA/);
  assert.match(r.stdout, /tlsdock trust install/);
  assert.deepEqual(readdirSync(s.out).sort(), ['localhost+2-fullchain.pem', 'localhost+2-key.pem', 'localhost+2.pem']);
  assert.equal(statSync(join(s.out, 'localhost+2-key.pem')).mode & 0o777, 0o600);
  assert.equal(statSync(join(s.home, 'ca-key.pem')).mode & 0o777, 0o600);
  for (const [flag, name] of [['-verify_hostname', 'localhost'], ['-verify_ip', '127.0.0.1'], ['-verify_ip', '::1']] as const) {
    const v = run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', flag, name, '-CAfile', join(s.home, 'ca.pem'), join(s.out, 'localhost+2.pem')]);
    assert.equal(v.status, 0, v.stderr);
  }
  // the second issue reuses the CA
  const again = runCli(['issue', 'app.localhost', '--out', s.out, '--json'], { env: s.env });
  assert.equal(again.status, 0, again.stderr);
  const j = again.json() as { ok: boolean; ca: { created: boolean }; files: { cert: string; key: string; fullchain: string }; names: { kind: string; value: string }[] };
  assert.equal(j.ok, true);
  assert.equal(j.ca.created, false);
  assert.deepEqual(j.names, [{ kind: 'dns', value: 'app.localhost' }]);
  assert.ok(existsSync(j.files.key));
});

test('--json has a stable shape', () => {
  const s = sandbox();
  const r = runCli(['issue', 'localhost', '--out', s.out, '--json', '--days', '30'], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  const j = r.json();
  assert.deepEqual(Object.keys(j).sort(), ['ca', 'files', 'fingerprintSha256', 'names', 'notAfter', 'notBefore', 'ok', 'serial', 'warnings']);
  const cert = new X509Certificate(readFileSync((j.files as { cert: string }).cert));
  assert.equal(cert.fingerprint256, j.fingerprintSha256);
  const days = (new Date(cert.validTo).getTime() - Date.now()) / 86400_000;
  assert.ok(days > 29 && days < 31);
});

test('--cert-file/--key-file write exactly there, the cert with its chain', () => {
  const s = sandbox();
  const r = runCli(['issue', 'jupyter.internal', '10.0.0.5', '--cert-file', join(s.out, 'tls.crt'), '--key-file', join(s.out, 'tls.key')], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(s.out).sort(), ['tls.crt', 'tls.key']);
  assert.equal(statSync(join(s.out, 'tls.key')).mode & 0o777, 0o600);
});

test('refuses hostile and invalid names with one sentence, exit 2, and no file', () => {
  const s = sandbox();
  for (const [name, pattern] of [
    ['*', /every host/], ['*.com', /public suffix/], ['a..b', /empty label/], [`${'x'.repeat(64)}.test`, /at most 63/],
    [`${'abcdefghi.'.repeat(26)}test`, /at most 253/], ['../../etc/passwd', /characters/], ['a\nb', /characters/], ['example.com', /name-constrained.*may not sign for example\.com/],
  ] as const) {
    const r = runCli(['issue', name, '--out', s.out], { env: s.env });
    assert.equal(r.status, 2, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.deepEqual(readdirSync(s.out), [], `no file for ${name}`);
  }
  // the refusal for a constrained name tells how to make a CA that permits it
  const r = runCli(['issue', 'example.com', '--out', s.out], { env: s.env });
  assert.match(r.stderr, /fix:.*ca init --force --permit example\.com/);
});

test('an existing file is kept unless --force', () => {
  const s = sandbox();
  writeFileSync(join(s.out, 'localhost-key.pem'), 'precious');
  const r = runCli(['issue', 'localhost', '--out', s.out], { env: s.env });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /already exists; refusing to overwrite/);
  assert.equal(readFileSync(join(s.out, 'localhost-key.pem'), 'utf8'), 'precious');
  assert.deepEqual(readdirSync(s.out), ['localhost-key.pem']);
  assert.equal(runCli(['issue', 'localhost', '--out', s.out, '--force'], { env: s.env }).status, 0);
  assert.notEqual(readFileSync(join(s.out, 'localhost-key.pem'), 'utf8'), 'precious');
});

test('more than 825 days needs --force and warns', () => {
  const s = sandbox();
  const r = runCli(['issue', 'localhost', '--out', s.out, '--days', '900'], { env: s.env });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /825/);
  assert.deepEqual(readdirSync(s.out), []);
  const f = runCli(['issue', 'localhost', '--out', s.out, '--days', '900', '--force', '--json'], { env: s.env });
  assert.equal(f.status, 0, f.stderr);
  assert.match(String((f.json().warnings as string[])[0]), /Safari/);
});

test('usage errors exit 2', () => {
  const s = sandbox();
  assert.equal(runCli(['issue', 'localhost', '--days', 'ten'], { env: s.env }).status, 2);
  assert.equal(runCli(['issue', 'localhost', '--key-type', 'dsa'], { env: s.env }).status, 2);
  assert.equal(runCli(['nonsense'], { env: s.env }).status, 2);
  assert.equal(runCli(['issue', '--help'], { env: s.env }).status, 0);
  assert.match(runCli(['issue', '--help'], { env: s.env }).stdout, /Examples:/);
});

test('a read-only output folder: one sentence, exit 2, nothing written (run as an unprivileged user)', () => {
  const s = sandbox();
  chmodSync(s.dir, 0o755);
  chmodSync(s.home.replace(/home$/, ''), 0o755);
  mkdirSync(s.home, { mode: 0o777 });
  chmodSync(s.home, 0o777);
  chmodSync(s.out, 0o555);
  const r = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'issue', 'localhost', '--out', s.out], { env: { TLSDOCK_HOME: s.home, NO_COLOR: '1', HOME: s.home } });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /Cannot write .*localhost.*permission denied/);
  assert.deepEqual(readdirSync(s.out), []);
});

test('an interrupt leaves all the files or none, never a partial one', async () => {
  const s = sandbox();
  // RSA-4096 key generation usually outlasts the 300 ms before the signal; if it was quicker, the
  // command finished and all three files must be complete.
  const child = spawn(process.execPath, [BIN, 'issue', 'localhost', '--key-type', 'rsa-4096', '--out', s.out], { env: { ...process.env, ...s.env } });
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 130 : null))));
  const files = readdirSync(s.out).sort();
  if (code === 0) {
    assert.deepEqual(files, ['localhost-fullchain.pem', 'localhost-key.pem', 'localhost.pem']);
    assert.ok(createPrivateKey(readFileSync(join(s.out, 'localhost-key.pem'))));
  } else {
    assert.deepEqual(files, []);
  }
});

test('signs a CSR made by openssl, keeping the requester\'s key', () => {
  const s = sandbox();
  const key = join(s.dir, 'csr-key.pem');
  const csr = join(s.dir, 'req.csr');
  const g = run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=jupyter.internal', '-addext', 'subjectAltName=DNS:jupyter.internal,IP:10.1.2.3']);
  assert.equal(g.status, 0, g.stderr);
  const r = runCli(['issue', '--csr', csr, '--out', s.out, '--json'], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  const j = r.json() as { files: { cert: string; key?: string }; names: { value: string }[] };
  assert.deepEqual(j.names.map((n) => n.value), ['jupyter.internal', '10.1.2.3']);
  assert.equal(j.files.key, undefined);
  const cert = new X509Certificate(readFileSync(j.files.cert));
  assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(key))));
  // a tampered CSR is refused
  const pem = readFileSync(csr, 'utf8');
  const lines = pem.split('\n');
  lines[3] = lines[3]!.slice(0, 10) + (lines[3]![10] === 'A' ? 'B' : 'A') + lines[3]!.slice(11);
  writeFileSync(join(s.dir, 'bad.csr'), lines.join('\n'));
  const bad = runCli(['issue', '--csr', join(s.dir, 'bad.csr'), '--out', s.out, '--force'], { env: s.env });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /signature|not a valid certificate signing request/);
});

test('--p12 writes a PKCS#12 that openssl and Node load (password from a file, then from the env)', async () => {
  const s = sandbox();
  const pw = join(s.dir, 'pw');
  writeFileSync(pw, 'p12 pass\n');
  const r = runCli(['issue', 'localhost', '127.0.0.1', '--p12', '--password-file', pw, '--out', s.out, '--json'], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  const p12 = (r.json() as { files: { p12: string } }).files.p12;
  assert.equal(statSync(p12).mode & 0o777, 0o600);
  const info = run('openssl', ['pkcs12', '-in', p12, '-info', '-nodes', '-passin', 'pass:p12 pass']);
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /BEGIN PRIVATE KEY/);
  const { createSecureContext } = await import('node:tls');
  assert.doesNotThrow(() => createSecureContext({ pfx: readFileSync(p12), passphrase: 'p12 pass' }));
  const env = runCli(['issue', 'app.localhost', '--p12', '--out', s.out], { env: { ...s.env, TLSDOCK_P12_PASSWORD: 'from env' } });
  assert.equal(env.status, 0, env.stderr);
  assert.equal(run('openssl', ['pkcs12', '-in', join(s.out, 'app.localhost.p12'), '-noout', '-passin', 'pass:from env']).status, 0);
  // no terminal and no password: a clear refusal, nothing written
  const before = readdirSync(s.out).length;
  const none = runCli(['issue', 'b.localhost', '--p12', '--out', s.out], { env: s.env });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /password-file|TLSDOCK_P12_PASSWORD/);
  assert.equal(readdirSync(s.out).length, before);
});

test('--out creates a missing folder', () => {
  const s = sandbox();
  const r = runCli(['issue', 'localhost', '--out', join(s.dir, 'certs', 'jupyter')], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(join(s.dir, 'certs', 'jupyter')).sort(), ['localhost-fullchain.pem', 'localhost-key.pem', 'localhost.pem']);
});
