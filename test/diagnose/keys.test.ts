import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encryptedKeyFindings, keyMismatchFindings, keyOwner, rsaSizeFindings } from '../../src/diagnose/keys.js';
import { makeLeaf, makeRoot } from '../helpers/x509-factory.js';

const ctx = { issueCommand: 'tlsdock issue localhost --out certs/' };

test('RSA size: <1024 weak key for Chromium, <2048 under a public root, 1024 local is an error for servers only', async () => {
  const small = await makeLeaf(undefined, { key: 'rsa-1024' });
  const local = rsaSizeFindings([small.info], 'nss', ctx);
  assert.deepEqual(local.map((f) => [f.id, f.browserError]), [['rsa-key-too-small', null]]);
  assert.match(local[0]!.message, /security level 2/);
  assert.equal(rsaSizeFindings([small.info], 'public', ctx)[0]!.browserError, 'ERR_CERT_WEAK_KEY');
  const big = await makeLeaf(undefined, { key: 'rsa-2048' });
  assert.deepEqual(rsaSizeFindings([big.info], 'public', ctx), []);
  const ec = await makeLeaf(undefined);
  assert.deepEqual(rsaSizeFindings([ec.info], 'nss', ctx), []);
});

test('keyOwner and key-mismatch', async () => {
  const root = await makeRoot('r');
  const a = await makeLeaf(root);
  const b = await makeLeaf(root, { cn: 'b' });
  assert.equal(keyOwner([a.info, b.info], [{ file: 'k', key: b.key, encrypted: false }]), b.info);
  assert.deepEqual(keyMismatchFindings(a.info, [{ file: 'k', key: a.key, encrypted: false }], ctx), []);
  const [f] = keyMismatchFindings(a.info, [{ file: 'k.pem', key: b.key, encrypted: false }], ctx);
  assert.equal(f!.id, 'key-mismatch');
  assert.match(f!.message, /private key in k\.pem does not belong to the certificate for localhost/);
  assert.deepEqual(keyMismatchFindings(a.info, [{ file: 'k', encrypted: true }], ctx), [], 'an encrypted key we cannot open proves nothing');
});

test('key-encrypted names the convert command', () => {
  const [f] = encryptedKeyFindings([{ file: 'tls/key.pem', encrypted: true }]);
  assert.equal(f!.fix, 'tlsdock convert tls/key.pem --to pem --out tls/key-decrypted.pem --password-file PASSWORD_FILE');
  assert.match(f!.message, /Enter PEM pass phrase/);
});
