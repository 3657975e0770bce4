import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createRootCA } from '../../src/pki/ca.js';
import { distinguishedName, formatName } from '../../src/pki/dn.js';
import { issueLeaf } from '../../src/pki/leaf.js';
import { pemToDer } from '../../src/pki/material.js';
import { readNameConstraints } from '../../src/pki/name-constraints-ext.js';
import { parseNames } from '../../src/pki/names.js';
import { ParsedCertificate } from '../../src/pki/parsed-certificate.js';
import { x509 } from '../../src/pki/x509lib.js';
import { run } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

// The signing path builds certificates from @peculiar/asn1-x509 and signs with crypto.sign; these
// tests hold it to what OpenSSL and Node accept, for every CA key type we sign with.
for (const keyType of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
  test(`a ${keyType} CA signs leaves that openssl -x509_strict and Node verify`, async () => {
    const dir = makeTmpDir();
    const ca = await createRootCA({ commonName: `test ${keyType}`, keyType, constraints: { dns: ['localhost', '.test'], ip: ['127.0.0.0/8', '::1/128'], email: [] } });
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    const signer = { cert: ca.cert, key: createPrivateKey(ca.keyPem), chainPems: [], constraints: readNameConstraints(ca.cert.rawData) };
    const leaf = await issueLeaf({ ca: signer, names: parseNames(['localhost', 'a.test', '127.0.0.1', '::1']) });
    const leafFile = join(dir, 'leaf.pem');
    writeFileSync(leafFile, leaf.certPem);
    const v = run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caFile, '-verify_ip', '::1', leafFile]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const text = run('openssl', ['x509', '-in', leafFile, '-noout', '-text']).stdout;
    assert.match(text, keyType === 'rsa-2048' ? /Signature Algorithm: sha256WithRSAEncryption/ : keyType === 'ecdsa-p384' ? /Signature Algorithm: ecdsa-with-SHA384/ : /Signature Algorithm: ecdsa-with-SHA256/);
    const node = new X509Certificate(leaf.certPem);
    assert.ok(node.verify(new X509Certificate(ca.certPem).publicKey));
    assert.equal(node.serialNumber.toLowerCase(), leaf.cert.serialNumber);
    assert.equal(new Date(node.validTo).getTime(), leaf.notAfter.getTime(), 'the reported expiry is the one in the certificate');
    assert.deepEqual(readNameConstraints(ca.cert.rawData), { dns: ['localhost', '.test'], ip: ['127.0.0.0/8', '::1/128'], email: [], excluded: 0 });
  });
}

test('the leaf names its issuer by the key id the CA declares, even one not made by SHA-1', async () => {
  const dir = makeTmpDir();
  const keyFile = join(dir, 'ca-key.pem');
  const caFile = join(dir, 'ca.pem');
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '30', '-subj', '/CN=team CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=0102030405060708', '-addext', 'authorityKeyIdentifier=keyid:always']);
  const caCert = new ParsedCertificate(pemToDer(readFileSync(caFile, 'utf8')));
  assert.deepEqual([...caCert.subjectKeyIdentifier!], [1, 2, 3, 4, 5, 6, 7, 8]);
  const leaf = await issueLeaf({ ca: { cert: caCert, key: createPrivateKey(readFileSync(keyFile)), chainPems: [] }, names: parseNames(['localhost']) });
  const leafFile = join(dir, 'leaf.pem');
  writeFileSync(leafFile, leaf.certPem);
  assert.match(run('openssl', ['x509', '-in', leafFile, '-noout', '-ext', 'authorityKeyIdentifier']).stdout, /01:02:03:04:05:06:07:08/);
  const v = run('openssl', ['verify', '-x509_strict', '-CAfile', caFile, leafFile]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('names read back verbatim, and print as @peculiar/x509 printed them', () => {
  const values = ['Team, "AI" lab', ' leading space', 'trailing space ', '#hash', 'a+b;c<d>e\\f', 'tab\there', 'Bücher 🐍'];
  for (const v of values) {
    const name = distinguishedName([['O', 'tlsdock'], ['OU', v], ['CN', 'x']]);
    assert.equal(formatName(name), new x509.Name(name).toString(), JSON.stringify(v));
  }
});
