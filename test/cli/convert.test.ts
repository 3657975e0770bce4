import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run, runCli } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

let dir = '';
let certPem = '';
const pw = () => join(dir, 'pw.txt');

function openssl(...args: string[]): void {
  const r = run('openssl', args, { cwd: dir });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** Files in `dir` made by a test, to check that a failure left none behind. */
function listing(): string[] {
  return readdirSync(dir).sort();
}

before(() => {
  dir = makeTmpDir();
  writeFileSync(pw(), 's3cret pass\n');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa-key.pem', '-out', 'rsa.pem', '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ec-key.pem', '-out', 'ec.pem', '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost');
  certPem = readFileSync(join(dir, 'ec.pem'), 'utf8');
});

test('PEM certificate → DER → PEM round trip', () => {
  assert.equal(runCli(['convert', 'ec.pem', '--to', 'der', '--out', 'ec.der'], { cwd: dir }).status, 0);
  openssl('x509', '-inform', 'DER', '-in', 'ec.der', '-noout');
  const r = runCli(['convert', 'ec.der', '--to', 'pem', '--out', 'ec-again.pem', '--json'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(dir, 'ec-again.pem'), 'utf8'), certPem);
  assert.deepEqual((r.json() as { input: { format: string } }).input.format, 'der');
});

test('keys: PKCS#1, SEC1, encrypted PKCS#8 and legacy encrypted PEM → PKCS#8 PEM (0600)', () => {
  openssl('pkey', '-in', 'rsa-key.pem', '-traditional', '-out', 'rsa-pkcs1.pem');
  openssl('ec', '-in', 'ec-key.pem', '-out', 'ec-sec1.pem');
  openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', 'ec-key.pem', '-out', 'ec-enc.pem', '-passout', 'pass:s3cret pass');
  openssl('rsa', '-in', 'rsa-key.pem', '-aes256', '-traditional', '-out', 'rsa-legacy-enc.pem', '-passout', 'pass:s3cret pass');
  openssl('pkey', '-in', 'ec-key.pem', '-outform', 'DER', '-out', 'ec-key.der');
  assert.match(readFileSync(join(dir, 'rsa-pkcs1.pem'), 'utf8'), /BEGIN RSA PRIVATE KEY/);
  assert.match(readFileSync(join(dir, 'ec-sec1.pem'), 'utf8'), /BEGIN EC PRIVATE KEY/);
  assert.match(readFileSync(join(dir, 'rsa-legacy-enc.pem'), 'utf8'), /Proc-Type: 4,ENCRYPTED/);
  for (const [input, original, extra] of [
    ['rsa-pkcs1.pem', 'rsa-key.pem', []], ['ec-sec1.pem', 'ec-key.pem', []], ['ec-key.der', 'ec-key.pem', []],
    ['ec-enc.pem', 'ec-key.pem', ['--password-file', pw()]], ['rsa-legacy-enc.pem', 'rsa-key.pem', ['--password-file', pw()]],
  ] as const) {
    const out = `${input}.p8.pem`;
    const r = runCli(['convert', input, '--to', 'pem', '--out', out, ...extra], { cwd: dir });
    assert.equal(r.status, 0, `${input}: ${r.stderr}`);
    const text = readFileSync(join(dir, out), 'utf8');
    assert.match(text, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(statSync(join(dir, out)).mode & 0o777, 0o600);
    const a = createPrivateKey(text).export({ type: 'pkcs8', format: 'der' });
    const b = createPrivateKey(readFileSync(join(dir, original))).export({ type: 'pkcs8', format: 'der' });
    assert.ok(a.equals(b), `${input} converts to the same key`);
  }
});

test('an encrypted key without or with a wrong password: one sentence, exit 2, no file', () => {
  const before = listing();
  const none = runCli(['convert', 'ec-enc.pem', '--to', 'pem', '--out', 'x.pem'], { cwd: dir });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /encrypted and needs its password/);
  writeFileSync(join(dir, 'wrong.txt'), 'nope');
  const before2 = listing();
  const wrong = runCli(['convert', 'ec-enc.pem', '--to', 'pem', '--out', 'x.pem', '--password-file', join(dir, 'wrong.txt')], { cwd: dir });
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /password .* is wrong/);
  assert.deepEqual(listing(), before2);
  assert.ok(!before.includes('x.pem'));
});

test('PEM cert + key → PKCS#12 that openssl and Node read; back to PEM', () => {
  const r = runCli(['convert', 'ec.pem', '--key', 'ec-key.pem', '--to', 'p12', '--out', 'ec.p12', '--out-password-file', pw()], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(join(dir, 'ec.p12')).mode & 0o777, 0o600);
  const info = run('openssl', ['pkcs12', '-in', 'ec.p12', '-info', '-nodes', '-passin', 'pass:s3cret pass'], { cwd: dir });
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stderr + info.stdout, /PBES2.*AES-256-CBC/s);
  assert.match(info.stderr + info.stdout, /MAC: sha256/);
  const back = runCli(['convert', 'ec.p12', '--to', 'pem', '--out', 'from-p12.pem', '--password-file', pw()], { cwd: dir });
  assert.equal(back.status, 0, back.stderr);
  assert.equal(readFileSync(join(dir, 'from-p12.pem'), 'utf8'), certPem);
  assert.ok(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'from-p12-key.pem')))));
});

test('legacy 3DES/RC2 PKCS#12 (Windows, old OpenSSL) → PEM', () => {
  openssl('pkcs12', '-export', '-legacy', '-in', 'rsa.pem', '-inkey', 'rsa-key.pem', '-out', 'legacy.pfx', '-passout', 'pass:s3cret pass');
  const r = runCli(['convert', 'legacy.pfx', '--to', 'pem', '--password-file', pw(), '--json'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const j = r.json() as { written: { path: string; kind: string }[] };
  assert.deepEqual(j.written.map((w) => w.kind), ['certificates', 'key']);
  assert.equal(readFileSync(join(dir, 'legacy.pem'), 'utf8'), readFileSync(join(dir, 'rsa.pem'), 'utf8'));
  assert.ok(new X509Certificate(readFileSync(join(dir, 'legacy.pem'))).checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'legacy-key.pem')))));
});

test('wrong PKCS#12 password: one sentence, exit 2, no file', () => {
  writeFileSync(join(dir, 'bad-pw.txt'), 'wrong');
  const before = listing();
  const r = runCli(['convert', 'ec.p12', '--to', 'pem', '--out', 'nope.pem', '--password-file', join(dir, 'bad-pw.txt')], { cwd: dir });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /password is wrong/i);
  assert.deepEqual(listing(), before);
});

test('malformed PEM and truncated DER: one sentence, exit 2, no file', () => {
  const lines = certPem.trim().split('\n');
  writeFileSync(join(dir, 'no-end.pem'), lines.slice(0, -1).join('\n'));
  writeFileSync(join(dir, 'bad-b64.pem'), certPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'));
  const der = readFileSync(join(dir, 'ec.der'));
  writeFileSync(join(dir, 'trunc.der'), der.subarray(0, der.length - 40));
  writeFileSync(join(dir, 'text.txt'), 'hello world');
  writeFileSync(join(dir, 'empty.pem'), '');
  const before = listing();
  for (const [file, pattern] of [
    ['no-end.pem', /no matching END/], ['bad-b64.pem', /not base64/], ['trunc.der', /truncated|not a certificate/], ['text.txt', /neither PEM nor DER/], ['empty.pem', /is empty/], ['missing.pem', /does not exist/],
  ] as const) {
    const r = runCli(['convert', file, '--to', 'pem', '--out', 'out.pem'], { cwd: dir });
    assert.equal(r.status, 2, file);
    assert.match(r.stderr, pattern, file);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
  }
  assert.deepEqual(listing(), before);
});

test('DER holds one object: a bundle is refused with the alternative', () => {
  writeFileSync(join(dir, 'bundle.pem'), certPem + readFileSync(join(dir, 'rsa.pem'), 'utf8'));
  const r = runCli(['convert', 'bundle.pem', '--to', 'der'], { cwd: dir });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /exactly one object/);
});
