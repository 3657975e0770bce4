import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect, type InspectResult } from '../../src/api/inspect.js';
import { TrustAnchors } from '../../src/diagnose/trust.js';
import { TlsdockError } from '../../src/errors.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { dns, makeLeaf, makeRoot, type Issued } from '../helpers/x509-factory.js';

let dir: string;
let root: Issued, inter: Issued, leaf: Issued, other: Issued;
let trust: TrustAnchors;

function write(name: string, data: string | Buffer, mode = 0o644): string {
  const p = join(dir, name);
  writeFileSync(p, data, { mode });
  chmodSync(p, mode);
  return p;
}

function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

const ids = (r: InspectResult) => r.findings.map((f) => f.id);

before(async () => {
  dir = makeTmpDir('tlsdock-inspect-');
  root = await makeRoot('inspect root');
  inter = await makeRoot('inspect inter', { issuer: root });
  leaf = await makeLeaf(inter);
  other = await makeLeaf(inter, { cn: 'other', san: [dns('other.test')] });
  trust = new TrustAnchors({ nssDir: '/home/u/.pki/nssdb', nss: [{ nickname: 'root', flags: 'C', cert: root.info }], publicRootPems: [], extra: [], systemPems: [] });
});
after(cleanupTmpDirs);

describe('inputs', () => {
  test('PEM: several blocks in any order, text around them, CRLF — key first, chain reversed', async () => {
    const messy = `Bag Attributes: whatever\r\n${leaf.keyPem.replace(/\n/g, '\r\n')}\r\nsubject=CN=inter\r\n${inter.pem.replace(/\n/g, '\r\n')}trailing text\r\n`;
    const file = write('messy.pem', messy, 0o600);
    const cert = write('leaf.pem', leaf.pem);
    const r = await inspect({ files: [cert, file], hosts: ['localhost'], trust });
    assert.equal(r.browser.chromium, 'OK', r.summary);
    assert.deepEqual(r.certificates.map((c) => c.role), ['leaf', 'intermediate', 'root']);
    assert.equal(r.ok, true, JSON.stringify(r.findings));
  });

  test('one fullchain file whose key belongs to the second certificate: leaf-not-first', async () => {
    const file = write('wrong-first.pem', inter.pem + leaf.pem);
    const key = write('wrong-first-key.pem', leaf.keyPem, 0o600);
    const r = await inspect({ files: [file, key], hosts: ['localhost'], trust });
    assert.ok(ids(r).includes('leaf-not-first'), ids(r).join());
    assert.equal(r.ok, false);
  });

  test('DER certificate: not-pem with the convert command, still judged', async () => {
    const der = write('leaf.der', Buffer.from(leaf.cert.rawData));
    const r = await inspect({ files: [der], hosts: ['localhost'], trust });
    const f = r.findings.find((x) => x.id === 'not-pem')!;
    assert.equal(f.fix, `tlsdock convert ${der} --to pem`);
    assert.equal(r.browser.chromium, 'ERR_CERT_AUTHORITY_INVALID', 'the intermediate is not in a DER file of one certificate');
  });

  test('PKCS#12 with the password: warning not-pem, key matched, verdict', async () => {
    write('p12-leaf.pem', leaf.pem + inter.pem);
    write('p12-key.pem', leaf.keyPem, 0o600);
    openssl('pkcs12', '-export', '-in', 'p12-leaf.pem', '-inkey', 'p12-key.pem', '-out', 'bundle.p12', '-passout', 'pass:s3cret');
    const p12 = join(dir, 'bundle.p12');
    chmodSync(p12, 0o600);
    const r = await inspect({ files: [p12], hosts: ['localhost'], password: 's3cret', trust });
    assert.equal(r.browser.chromium, 'OK', r.summary);
    assert.deepEqual(r.findings.filter((f) => f.severity !== 'info').map((f) => [f.id, f.severity]), [['not-pem', 'warning']]);
    await assert.rejects(inspect({ files: [p12], trust }), (e: unknown) => e instanceof TlsdockError && e.code === 'bad-password');
  });

  test('PKCS#1, SEC1 and PKCS#8 keys are all matched to their certificate', async () => {
    const rsa = await makeLeaf(root, { key: 'rsa-2048' });
    const rsaKey = write('rsa8.pem', rsa.keyPem, 0o600);
    const pkcs1 = write('rsa1.pem', openssl('pkey', '-in', rsaKey, '-traditional'), 0o600);
    assert.match(readFileSync(pkcs1, 'utf8'), /BEGIN RSA PRIVATE KEY/);
    const ecKey = write('ec8.pem', leaf.keyPem, 0o600);
    const sec1 = write('ec1.pem', openssl('pkey', '-in', ecKey, '-traditional'), 0o600);
    assert.match(readFileSync(sec1, 'utf8'), /BEGIN EC PRIVATE KEY/);
    const rsaCert = write('rsa.pem', rsa.pem);
    const ecCert = write('ec.pem', leaf.pem + inter.pem);
    for (const [cert, key] of [[rsaCert, rsaKey], [rsaCert, pkcs1], [ecCert, ecKey], [ecCert, sec1]]) {
      const r = await inspect({ files: [cert!, key!], hosts: ['localhost'], trust });
      assert.ok(!ids(r).includes('key-mismatch'), `${key}: ${ids(r)}`);
      assert.equal(r.ok, true, `${key}: ${JSON.stringify(r.findings)}`);
    }
    const mismatch = await inspect({ files: [rsaCert, ecKey], hosts: ['localhost'], trust });
    assert.ok(ids(mismatch).includes('key-mismatch'));
  });

  test('encrypted keys (PKCS#8 and legacy PEM): key-encrypted; with the password, the match is checked too', async () => {
    const plain = write('enc-src.pem', leaf.keyPem, 0o600);
    const p8 = write('enc8.pem', openssl('pkcs8', '-topk8', '-in', plain, '-v2', 'aes-256-cbc', '-passout', 'pass:pw'), 0o600);
    const legacy = write('enc-legacy.pem', openssl('pkey', '-in', plain, '-traditional', '-aes-256-cbc', '-passout', 'pass:pw'), 0o600);
    assert.match(readFileSync(legacy, 'utf8'), /Proc-Type: 4,ENCRYPTED/);
    const cert = write('enc-cert.pem', leaf.pem + inter.pem);
    for (const key of [p8, legacy]) {
      const locked = await inspect({ files: [cert, key], hosts: ['localhost'], trust });
      const f = locked.findings.find((x) => x.id === 'key-encrypted')!;
      assert.match(f.fix!, /^tlsdock convert .* --to pem --out .*-decrypted\.pem --password-file PASSWORD_FILE$/);
      const open = await inspect({ files: [write('other.pem', other.pem), key], hosts: ['other.test'], password: 'pw', trust });
      assert.ok(ids(open).includes('key-mismatch'), `${key} with the password: ${ids(open)}`);
    }
  });

  test('a truncated PEM is a finding, not a crash; a missing file is exit-2 material', async () => {
    const bad = write('truncated.pem', leaf.pem.slice(0, 200));
    const r = await inspect({ files: [bad], trust });
    assert.deepEqual(ids(r), ['unparsable-file']);
    assert.match(r.findings[0]!.message, /truncated|no matching END/);
    assert.equal(r.browser.chromium, null);
    await assert.rejects(inspect({ files: [join(dir, 'nope.pem')], trust }), (e: unknown) => e instanceof TlsdockError && e.code === 'not-found');
  });

  test('only CA certificates: a bundle, no verdict; an untrusted root is pointed out', async () => {
    const bundle = write('bundle.pem', root.pem + inter.pem + (await makeRoot('stranger')).pem);
    const r = await inspect({ files: [bundle], trust });
    assert.equal(r.browser.chromium, null);
    assert.ok(ids(r).includes('ca-bundle'));
    const f = r.findings.filter((x) => x.id === 'ca-not-trusted');
    assert.equal(f.length, 1);
    assert.match(f[0]!.message, /"stranger"/);
    assert.equal(f[0]!.fix, `tlsdock trust install --ca ${bundle}`);
  });

  test('a key alone: info, no verdict', async () => {
    const r = await inspect({ files: [write('alone-key.pem', leaf.keyPem, 0o600)], trust });
    assert.deepEqual(ids(r), ['no-certificate']);
    assert.equal(r.ok, true);
    assert.equal(r.browser.chromium, null);
  });
});

describe('files and users', () => {
  test('a key readable by others: key-file-too-open with chmod 600', async () => {
    const key = write('open-key.pem', leaf.keyPem, 0o644);
    const r = await inspect({ files: [write('open-cert.pem', leaf.pem + inter.pem), key], hosts: ['localhost'], trust });
    assert.deepEqual(r.findings.filter((f) => f.id === 'key-file-too-open').map((f) => f.fix), [`chmod 600 ${key}`]);
  });

  test('--user: computed from modes, owners and groups (synthetic passwd/group)', async () => {
    const userDir = makeTmpDir('tlsdock-user-');
    chmodSync(userDir, 0o755);
    const passwd = join(userDir, 'passwd');
    const group = join(userDir, 'group');
    writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\njovyan:x:4242:100::/home/jovyan:/bin/sh\n');
    writeFileSync(group, 'users:x:100:\nssl-cert:x:4343:jovyan\n');
    const cert = join(userDir, 'cert.pem');
    const key = join(userDir, 'key.pem');
    writeFileSync(cert, leaf.pem + inter.pem, { mode: 0o644 });
    writeFileSync(key, leaf.keyPem, { mode: 0o600 });
    const run = () => inspect({ files: [cert, key], hosts: ['localhost'], user: 'jovyan', userDb: { passwd, group }, trust });
    let r = await run();
    const f = r.findings.filter((x) => x.id === 'not-readable-by-user');
    assert.equal(f.length, 1);
    assert.equal(f[0]!.fix, `chown jovyan ${key} && chmod 600 ${key}`);
    chownSync(key, 0, 4343); // group ssl-cert, which jovyan is in
    chmodSync(key, 0o640);
    r = await run();
    assert.ok(!ids(r).includes('not-readable-by-user'), ids(r).join());
    chownSync(key, 4242, 100);
    chmodSync(key, 0o600);
    r = await run();
    assert.ok(!ids(r).includes('not-readable-by-user'));
    chmodSync(userDir, 0o700);
    r = await run();
    assert.ok(r.findings.some((x) => x.id === 'not-readable-by-user' && x.fix?.startsWith(`chmod o+x ${userDir}`)), JSON.stringify(r.findings));
    await assert.rejects(inspect({ files: [cert], user: 'nobody-here', userDb: { passwd, group }, trust }), /no user named nobody-here/);
  });
});
