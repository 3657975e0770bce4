import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TlsdockError } from '../../src/errors.js';
import { issueLeaf } from '../../src/pki/leaf.js';
import { parseNames } from '../../src/pki/names.js';
import { run } from '../helpers/cli.js';
import { makeTestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

/** openssl verify -x509_strict -purpose sslserver, with -verify_hostname / -verify_ip for one name. */
function opensslVerify(caFile: string, leafFile: string, name?: { kind: string; value: string }): { status: number; out: string } {
  const args = ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caFile];
  if (name?.kind === 'dns') args.push('-verify_hostname', name.value.replace(/^\*/, 'wild'));
  if (name?.kind === 'ip') args.push('-verify_ip', name.value);
  args.push(leafFile);
  const r = run('openssl', args);
  return { status: r.status, out: r.stdout + r.stderr };
}

for (const keyType of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
  test(`${keyType} leaf for every kind of name passes openssl -x509_strict and Node's checks`, async () => {
    const dir = makeTmpDir();
    const ca = await makeTestCA(dir, { keyType: keyType === 'rsa-2048' ? 'rsa-2048' : 'ecdsa-p256' });
    const names = parseNames(['localhost', '127.0.0.1', '::1', '*.ai-lab.local', 'bücher.test', 'tlsdock-test-host', '10.0.0.5']);
    const leaf = await issueLeaf({ ca, names, keyType });
    const leafFile = join(dir, 'leaf.pem');
    writeFileSync(leafFile, leaf.certPem);
    for (const n of names) {
      const v = opensslVerify(ca.certFile, leafFile, n);
      assert.equal(v.status, 0, `openssl verify for ${n.value}: ${v.out}`);
    }
    const node = new X509Certificate(leaf.certPem);
    const caCert = new X509Certificate(ca.certPem);
    assert.ok(node.checkIssued(caCert));
    assert.ok(node.verify(caCert.publicKey));
    assert.equal(node.checkHost('localhost'), 'localhost');
    assert.equal(node.checkHost('x.ai-lab.local'), '*.ai-lab.local'); // Node returns the matching SAN pattern
    assert.equal(node.checkHost('xn--bcher-kva.test'), 'xn--bcher-kva.test');
    assert.equal(node.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(node.checkIP('::1'), '::1');
    assert.equal(node.checkHost('example.com'), undefined);
    assert.ok(!node.ca);
    assert.ok(leaf.keyPem && node.checkPrivateKey(createPrivateKey(leaf.keyPem)));
    // RSA leaves need keyEncipherment for RSA key exchange; ECDSA leaves must not have it.
    const text = run('openssl', ['x509', '-in', leafFile, '-noout', '-ext', 'keyUsage,extendedKeyUsage,basicConstraints']).stdout;
    if (keyType.startsWith('rsa')) assert.match(text, /Digital Signature, Key Encipherment/);
    else assert.doesNotMatch(text, /Key Encipherment/);
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /CA:FALSE/);
    const days = (new Date(node.validTo).getTime() - Date.now()) / 86400_000;
    assert.ok(days > 396 && days < 398, `default validity is 397 days, got ${days}`);
  });
}

test('serials are random, positive and at least 64 bits', async () => {
  const dir = makeTmpDir();
  const ca = await makeTestCA(dir);
  const serials = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const leaf = await issueLeaf({ ca, names: parseNames(['localhost']) });
    const serial = new X509Certificate(leaf.certPem).serialNumber;
    assert.ok(serial.length >= 16, serial);
    assert.ok(parseInt(serial[0]!, 16) < 8, 'positive in DER');
    serials.add(serial);
  }
  assert.equal(serials.size, 5);
});

test('a name outside the CA constraints is refused before signing, with the fix', async () => {
  const dir = makeTmpDir();
  const ca = await makeTestCA(dir);
  await assert.rejects(issueLeaf({ ca, names: parseNames(['localhost', 'example.com']) }), (e: unknown) =>
    e instanceof TlsdockError && e.code === 'not-permitted' && /may not sign for example\.com/.test(e.message) && /--permit example\.com/.test(e.fix ?? ''));
});

test('a leaf forced outside the constraints fails openssl verify with a name-constraint error', async () => {
  const dir = makeTmpDir();
  const ca = await makeTestCA(dir);
  for (const name of ['example.com', '8.8.8.8']) {
    const leaf = await issueLeaf({ ca, names: parseNames([name]), ignoreConstraints: true });
    const leafFile = join(dir, `${name}.pem`);
    writeFileSync(leafFile, leaf.certPem);
    const v = opensslVerify(ca.certFile, leafFile);
    assert.notEqual(v.status, 0);
    assert.match(v.out, /permitted subtree violation/);
  }
});

test('a leaf never outlives its CA', async () => {
  const dir = makeTmpDir();
  const ca = await makeTestCA(dir, { days: 30 });
  const leaf = await issueLeaf({ ca, names: parseNames(['localhost']), days: 397 });
  assert.ok(leaf.notAfter.getTime() <= ca.cert.notAfter.getTime());
});

test('client certificates: email SAN, clientAuth EKU', async () => {
  const dir = makeTmpDir();
  const ca = await makeTestCA(dir);
  const leaf = await issueLeaf({ ca, names: parseNames(['me@ai-lab.test']), client: true });
  const leafFile = join(dir, 'client.pem');
  writeFileSync(leafFile, leaf.certPem);
  const r = run('openssl', ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', ca.certFile, leafFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(run('openssl', ['x509', '-in', leafFile, '-noout', '-ext', 'subjectAltName,extendedKeyUsage']).stdout, /TLS Web Client Authentication[\s\S]*email:me@ai-lab\.test/);
});
