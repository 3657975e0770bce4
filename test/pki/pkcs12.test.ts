import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import { decodePkcs12, encodePkcs12, looksLikePkcs12 } from '../../src/pki/pkcs12.js';
import { TlsdockError } from '../../src/errors.js';

// Real OpenSSL and real Node TLS on both sides: these files are only useful if other programs read them.

interface Pair {
  name: string;
  keyPem: string;
  certPem: string;
}

let dir: string;
let pairs: Record<'ec256' | 'ec384' | 'rsa', Pair>;
let caPem: string;
let leafPem: string;
let leafKeyPem: string;

const PASSWORD = 'correct horse';
const UNICODE_PASSWORD = 'pässwörd€𝄞';

function openssl(args: string[]): { out: string; ok: boolean } {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { out: `${r.stdout}${r.stderr}`, ok: r.status === 0 };
}

function mustOpenssl(args: string[]): string {
  const r = openssl(args);
  assert.ok(r.ok, `openssl ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

function file(name: string): string {
  return path.join(dir, name);
}

function makeSelfSigned(name: string, keyArgs: string[], cn: string): Pair {
  execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`),
    '-subj', `/CN=${cn}`, '-days', '2'], { stdio: 'pipe' });
  return { name, keyPem: fs.readFileSync(file(`${name}.key`), 'utf8'), certPem: fs.readFileSync(file(`${name}.crt`), 'utf8') };
}

function spki(keyPem: string): Buffer {
  return createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
}

function samePem(a: string, b: string): void {
  assert.equal(new X509Certificate(a).fingerprint256, new X509Certificate(b).fingerprint256);
  assert.ok(new X509Certificate(a).raw.equals(new X509Certificate(b).raw));
}

async function encodeToFile(pair: Pair, name: string, password = PASSWORD): Promise<Uint8Array> {
  const der = await encodePkcs12({ keyPem: pair.keyPem, certPems: [pair.certPem], password, friendlyName: `tlsdock ${pair.name}` });
  fs.writeFileSync(file(name), der);
  return der;
}

function expectTlsdockError(fn: () => unknown, code: string, label = ''): TlsdockError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TlsdockError, `${label}: expected a TlsdockError, got ${String(caught)}`);
  assert.equal(caught.code, code, `${label}: ${caught.message}`);
  assert.match(caught.message, /^[^\n]+\.$/, 'one sentence');
  return caught;
}

/** `openssl pkcs12 -export -legacy`, or the same algorithms spelled out where the legacy provider is missing. */
function exportLegacy(pair: Pair, out: string, password: string): { rc2: boolean } {
  const base = ['pkcs12', '-export', '-inkey', `${pair.name}.key`, '-in', `${pair.name}.crt`, '-passout', `pass:${password}`, '-out', out];
  if (openssl([...base, '-legacy']).ok) return { rc2: true };
  mustOpenssl([...base, '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']);
  return { rc2: false };
}

/**
 * Fails unless the bytes are DER all the way down, following the OCTET STRINGs that hold a SEQUENCE
 * (PKCS#12 nests its structures that way). Importers are entitled to expect DER.
 */
function assertDer(bytes: string, where = 'file'): void {
  const { Class, Type } = forge.asn1;
  const root = forge.asn1.fromDer(bytes, true);
  assert.equal(forge.asn1.toDer(root).getBytes(), bytes, `${where}: not DER (indefinite or non-minimal lengths)`);
  const walk = (node: forge.asn1.Asn1, at: string): void => {
    if (node.tagClass === Class.UNIVERSAL && node.type === Type.OCTETSTRING) {
      assert.equal(node.constructed, false, `${at}: constructed OCTET STRING`);
      if (typeof node.value === 'string' && holdsSequence(node.value)) assertDer(node.value, `${at}/octets`);
    }
    if (Array.isArray(node.value)) node.value.forEach((child, i) => walk(child, `${at}/${i}`));
  };
  walk(root, where);
}

/** Salts, IVs, MACs and ciphertext are random and start with 0x30 one time in 256, so parse to be sure. */
function holdsSequence(octets: string): boolean {
  if (octets.charCodeAt(0) !== 0x30) return false;
  try {
    forge.asn1.fromDer(octets, true);
    return true;
  } catch {
    return false;
  }
}

function opensslInfo(p12: string, password: string, legacy = false): string {
  return mustOpenssl(['pkcs12', '-in', p12, '-passin', `pass:${password}`, '-info', '-nodes', ...(legacy ? ['-legacy'] : [])]);
}

before(() => {
  dir = fs.mkdtempSync(os.tmpdir() + '/tlsdock-test-');
  pairs = {
    ec256: makeSelfSigned('ec256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ec256.tlsdock.test'),
    ec384: makeSelfSigned('ec384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'ec384.tlsdock.test'),
    rsa: makeSelfSigned('rsa', ['-newkey', 'rsa:2048'], 'rsa.tlsdock.test'),
  };

  // A two-level chain, to check that the certificate matching the key comes first. RSA, so that
  // node-forge (which only parses RSA certificates) can write a file with the CA first.
  makeSelfSigned('ca', ['-newkey', 'rsa:2048'], 'Test CA');
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', '/CN=leaf.tlsdock.test'], { stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('leaf.crt'), '-days', '2'], { stdio: 'pipe' });
  caPem = fs.readFileSync(file('ca.crt'), 'utf8');
  leafPem = fs.readFileSync(file('leaf.crt'), 'utf8');
  leafKeyPem = fs.readFileSync(file('leaf.key'), 'utf8');
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('encodePkcs12 → OpenSSL', () => {
  for (const kind of ['ec256', 'ec384', 'rsa'] as const) {
    test(`${kind}: openssl reads it, with PBES2/AES-256-CBC/PBKDF2-SHA256 and a SHA-256 MAC`, async () => {
      const pair = pairs[kind];
      await encodeToFile(pair, `ours-${kind}.p12`);
      const info = opensslInfo(`ours-${kind}.p12`, PASSWORD);

      assert.match(info, /MAC: sha256, Iteration (\d+)/);
      assert.ok(Number(/MAC: sha256, Iteration (\d+)/.exec(info)![1]) >= 2048);
      assert.match(info, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
      assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
      for (const m of info.matchAll(/Iteration (\d+)/g)) assert.ok(Number(m[1]) >= 2048, m[0]);

      const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(info)?.[0];
      assert.ok(keyPem, 'openssl printed the key');
      assert.deepEqual(spki(keyPem), spki(pair.keyPem));
      const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(info)?.[0];
      assert.ok(certPem, 'openssl printed the certificate');
      samePem(certPem, pair.certPem);

      // Windows and macOS pair key and certificate by these attributes.
      const ids = [...info.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((m) => m[1]!.trim());
      assert.equal(ids.length, 2, 'localKeyID on both the key and the certificate');
      assert.equal(ids[0], ids[1]);
      assert.equal([...info.matchAll(new RegExp(`friendlyName: tlsdock ${kind}`, 'g'))].length, 2);
    });
  }

  test('the file is DER throughout, as OpenSSL\'s own are', async () => {
    for (const kind of ['ec256', 'rsa'] as const) {
      const pair = pairs[kind];
      const ours = await encodePkcs12({ keyPem: pair.keyPem, certPems: [pair.certPem], password: PASSWORD });
      assertDer(Buffer.from(ours).toString('binary'), `ours-${kind}`);
      mustOpenssl(['pkcs12', '-export', '-inkey', `${kind}.key`, '-in', `${kind}.crt`, '-passout', `pass:${PASSWORD}`,
        '-out', `der-${kind}.p12`]);
      const theirs = fs.readFileSync(file(`der-${kind}.p12`)).toString('binary');
      assertDer(theirs, `openssl-${kind}`);
      // The MAC's AlgorithmIdentifier, spelled exactly as OpenSSL spells it (sha256 with NULL parameters).
      const macAlgorithm = (der: string): string => {
        const macData = (forge.asn1.fromDer(der).value as forge.asn1.Asn1[])[2]!;
        const digestInfo = (macData.value as forge.asn1.Asn1[])[0]!;
        return forge.util.bytesToHex(forge.asn1.toDer((digestInfo.value as forge.asn1.Asn1[])[0]!).getBytes());
      };
      assert.equal(macAlgorithm(Buffer.from(ours).toString('binary')), macAlgorithm(theirs));
    }
  });

  test('a chain: every certificate is in the file, and openssl keeps the key with the leaf', async () => {
    const der = await encodePkcs12({ keyPem: leafKeyPem, certPems: [caPem, leafPem], password: PASSWORD });
    fs.writeFileSync(file('ours-chain.p12'), der);
    const leafOnly = mustOpenssl(['pkcs12', '-in', 'ours-chain.p12', '-passin', `pass:${PASSWORD}`, '-clcerts', '-nokeys']);
    assert.match(leafOnly, /subject=CN = leaf\.tlsdock\.test/);
    assert.doesNotMatch(leafOnly, /subject=CN = Test CA/);
    const caOnly = mustOpenssl(['pkcs12', '-in', 'ours-chain.p12', '-passin', `pass:${PASSWORD}`, '-cacerts', '-nokeys']);
    assert.match(caOnly, /subject=CN = Test CA/);
  });

  test('a non-ASCII password is what openssl expects', async () => {
    await encodeToFile(pairs.ec256, 'ours-unicode.p12', UNICODE_PASSWORD);
    assert.match(opensslInfo('ours-unicode.p12', UNICODE_PASSWORD), /BEGIN PRIVATE KEY/);
    assert.equal(openssl(['pkcs12', '-in', 'ours-unicode.p12', '-passin', 'pass:passwoerd', '-noout']).ok, false);
  });
});

describe('encodePkcs12 → Node TLS', () => {
  for (const kind of ['ec256', 'rsa'] as const) {
    test(`${kind}: tls.createSecureContext takes it, and a TLS handshake presents the certificate`, async () => {
      const pair = pairs[kind];
      const pfx = Buffer.from(await encodeToFile(pair, `tls-${kind}.p12`));
      assert.doesNotThrow(() => tls.createSecureContext({ pfx, passphrase: PASSWORD }));
      assert.throws(() => tls.createSecureContext({ pfx, passphrase: 'wrong' }));

      const server = tls.createServer({ pfx, passphrase: PASSWORD }, (socket) => socket.end('ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as { port: number };
        const fingerprint = await new Promise<string>((resolve, reject) => {
          const socket = tls.connect({ host: '127.0.0.1', port, ca: pair.certPem, servername: `${kind}.tlsdock.test`,
            checkServerIdentity: () => undefined }, () => {
            resolve(socket.getPeerX509Certificate()!.fingerprint256);
            socket.end();
          });
          socket.on('error', reject);
        });
        assert.equal(fingerprint, new X509Certificate(pair.certPem).fingerprint256);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});

describe('decodePkcs12', () => {
  for (const kind of ['ec256', 'ec384', 'rsa'] as const) {
    test(`${kind}: ours round-trips the key, certificate and friendly name`, async () => {
      const pair = pairs[kind];
      const der = await encodeToFile(pair, `rt-${kind}.p12`);
      const got = decodePkcs12(der, PASSWORD);
      assert.ok(got.keyPem);
      assert.match(got.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.deepEqual(spki(got.keyPem), spki(pair.keyPem));
      assert.equal(got.keyPem, createPrivateKey(pair.keyPem).export({ type: 'pkcs8', format: 'pem' }));
      assert.equal(got.certPems.length, 1);
      samePem(got.certPems[0]!, pair.certPem);
      assert.equal(got.friendlyName, `tlsdock ${kind}`);
    });

    test(`${kind}: reads \`openssl pkcs12 -export\` (OpenSSL 3 defaults)`, () => {
      const pair = pairs[kind];
      mustOpenssl(['pkcs12', '-export', '-inkey', `${kind}.key`, '-in', `${kind}.crt`, '-name', 'from openssl',
        '-passout', `pass:${PASSWORD}`, '-out', `ossl-${kind}.p12`]);
      assert.match(opensslInfo(`ossl-${kind}.p12`, PASSWORD), /Shrouded Keybag: PBES2/);
      const got = decodePkcs12(fs.readFileSync(file(`ossl-${kind}.p12`)), PASSWORD);
      assert.ok(got.keyPem);
      assert.deepEqual(spki(got.keyPem), spki(pair.keyPem));
      assert.equal(got.certPems.length, 1);
      samePem(got.certPems[0]!, pair.certPem);
      assert.equal(got.friendlyName, 'from openssl');
    });
  }

  for (const kind of ['ec256', 'rsa'] as const) {
    test(`${kind}: reads \`openssl pkcs12 -export -legacy\` (3DES key, RC2 certificates, SHA-1 MAC)`, () => {
      const pair = pairs[kind];
      const { rc2 } = exportLegacy(pair, `legacy-${kind}.p12`, PASSWORD);
      const info = opensslInfo(`legacy-${kind}.p12`, PASSWORD, rc2);
      assert.match(info, /MAC: sha1/);
      assert.match(info, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
      if (rc2) assert.match(info, /PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC/);

      const got = decodePkcs12(fs.readFileSync(file(`legacy-${kind}.p12`)), PASSWORD);
      assert.ok(got.keyPem);
      assert.deepEqual(spki(got.keyPem), spki(pair.keyPem));
      assert.equal(got.certPems.length, 1);
      samePem(got.certPems[0]!, pair.certPem);
    });
  }

  test('puts the certificate matching the key first, whatever the file order', async () => {
    const ours = await encodePkcs12({ keyPem: leafKeyPem, certPems: [caPem, leafPem], password: PASSWORD });
    fs.writeFileSync(file('chain-ca-first.pem'), caPem + leafPem);
    mustOpenssl(['pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'chain-ca-first.pem', '-passout', `pass:${PASSWORD}`,
      '-out', 'ossl-chain.p12']);
    // OpenSSL (like us) always writes the key's certificate first; forge writes them in the order given,
    // and even puts the key's localKeyId on the CA certificate, so this one really is out of order.
    const forgeAsn1 = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(leafKeyPem),
      [forge.pki.certificateFromPem(caPem), forge.pki.certificateFromPem(leafPem)],
      PASSWORD,
      { algorithm: '3des' },
    );
    const caFirst = Buffer.from(forge.asn1.toDer(forgeAsn1).getBytes(), 'binary');
    fs.writeFileSync(file('forge-chain.p12'), caFirst);
    const order = mustOpenssl(['pkcs12', '-in', 'forge-chain.p12', '-passin', `pass:${PASSWORD}`, '-nokeys', '-legacy']);
    assert.ok(order.indexOf('CN = Test CA') < order.indexOf('CN = leaf.tlsdock.test'), 'the CA really is first in the file');

    for (const der of [ours, fs.readFileSync(file('ossl-chain.p12')), caFirst]) {
      const got = decodePkcs12(der, PASSWORD);
      assert.equal(got.certPems.length, 2);
      samePem(got.certPems[0]!, leafPem);
      samePem(got.certPems[1]!, caPem);
      assert.deepEqual(spki(got.keyPem!), spki(leafKeyPem));
    }
  });

  test('a non-ASCII password works for ours, OpenSSL 3 defaults and legacy files', async () => {
    const ours = await encodePkcs12({ keyPem: pairs.rsa.keyPem, certPems: [pairs.rsa.certPem], password: UNICODE_PASSWORD });
    mustOpenssl(['pkcs12', '-export', '-inkey', 'rsa.key', '-in', 'rsa.crt', '-passout', `pass:${UNICODE_PASSWORD}`,
      '-out', 'ossl-unicode.p12']);
    exportLegacy(pairs.rsa, 'legacy-unicode.p12', UNICODE_PASSWORD);
    for (const der of [ours, fs.readFileSync(file('ossl-unicode.p12')), fs.readFileSync(file('legacy-unicode.p12'))]) {
      const got = decodePkcs12(der, UNICODE_PASSWORD);
      assert.deepEqual(spki(got.keyPem!), spki(pairs.rsa.keyPem));
      expectTlsdockError(() => decodePkcs12(der, 'passwoerd'), 'bad-password');
    }
  });

  test('a wrong password is a bad-password TlsdockError, for ours, OpenSSL 3 and legacy files', async () => {
    const ours = await encodePkcs12({ keyPem: pairs.ec256.keyPem, certPems: [pairs.ec256.certPem], password: PASSWORD });
    mustOpenssl(['pkcs12', '-export', '-inkey', 'ec256.key', '-in', 'ec256.crt', '-passout', `pass:${PASSWORD}`,
      '-out', 'wrong-ossl.p12']);
    exportLegacy(pairs.ec256, 'wrong-legacy.p12', PASSWORD);
    for (const der of [ours, fs.readFileSync(file('wrong-ossl.p12')), fs.readFileSync(file('wrong-legacy.p12'))]) {
      for (const password of ['wrong', '', PASSWORD.toUpperCase()]) {
        const e = expectTlsdockError(() => decodePkcs12(der, password), 'bad-password');
        assert.equal(e.message, 'The PKCS#12 password is wrong.');
        assert.ok(e.fix);
      }
    }
  });

  test('truncated or garbage bytes are a bad-input TlsdockError', async () => {
    const ours = await encodePkcs12({ keyPem: pairs.ec256.keyPem, certPems: [pairs.ec256.certPem], password: PASSWORD });
    const certDer = new X509Certificate(pairs.ec256.certPem).raw;
    const cases: Record<string, Uint8Array> = {
      truncated: ours.subarray(0, ours.length - 40),
      'cut in half': ours.subarray(0, ours.length >> 1),
      empty: new Uint8Array(0),
      random: new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff)),
      'a DER certificate': certDer,
      'PEM text': new TextEncoder().encode(pairs.ec256.certPem),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      expectTlsdockError(() => decodePkcs12(bytes, PASSWORD), 'bad-input', name);
    }
  });

  test('what forge cannot read (here a SHA-224 MAC) is bad-input naming the OID, not bad-password', () => {
    mustOpenssl(['pkcs12', '-export', '-inkey', 'ec256.key', '-in', 'ec256.crt', '-macalg', 'sha224',
      '-passout', `pass:${PASSWORD}`, '-out', 'sha224.p12']);
    const e = expectTlsdockError(() => decodePkcs12(fs.readFileSync(file('sha224.p12')), PASSWORD), 'bad-input');
    assert.match(e.message, /cannot read \(OID 2\.16\.840\.1\.101\.3\.4\.2\.4\)\.$/);
    assert.ok(e.fix);
  });

  test('a corrupted byte gives a TlsdockError or the very same contents, never a raw exception', async () => {
    const ours = await encodePkcs12({ keyPem: pairs.ec256.keyPem, certPems: [pairs.ec256.certPem], password: PASSWORD });
    const original = decodePkcs12(ours, PASSWORD);
    let refused = 0;
    for (let i = 0; i < ours.length; i += 3) {
      const corrupted = new Uint8Array(ours);
      corrupted[i]! ^= 0x5a;
      let got;
      try {
        got = decodePkcs12(corrupted, PASSWORD);
      } catch (e) {
        // Under the MAC a flipped byte looks exactly like a wrong password; in the structure it does not parse.
        assert.ok(e instanceof TlsdockError, `byte ${i}: ${String(e)}`);
        assert.ok(e.code === 'bad-password' || e.code === 'bad-input', `byte ${i}: ${e.code}`);
        refused++;
        continue;
      }
      // Only bytes nothing depends on (such as the MAC algorithm's NULL parameters) may change unnoticed.
      assert.deepEqual(got, original, `byte ${i} corrupted, yet it decoded to something else`);
    }
    assert.ok(refused > ours.length / 3 - 5, `only ${refused} corruptions were refused`);
  });
});

describe('looksLikePkcs12', () => {
  test('true for PKCS#12 files, ours and OpenSSL\'s, without a password', async () => {
    const ours = await encodePkcs12({ keyPem: pairs.rsa.keyPem, certPems: [pairs.rsa.certPem], password: PASSWORD });
    assert.equal(looksLikePkcs12(ours), true);
    mustOpenssl(['pkcs12', '-export', '-inkey', 'rsa.key', '-in', 'rsa.crt', '-passout', `pass:${PASSWORD}`, '-out', 'look.p12']);
    assert.equal(looksLikePkcs12(fs.readFileSync(file('look.p12'))), true);
    exportLegacy(pairs.rsa, 'look-legacy.p12', PASSWORD);
    assert.equal(looksLikePkcs12(fs.readFileSync(file('look-legacy.p12'))), true);
  });

  test('false for a DER certificate, a DER key, PEM text, truncated and empty input', async () => {
    const ours = await encodePkcs12({ keyPem: pairs.rsa.keyPem, certPems: [pairs.rsa.certPem], password: PASSWORD });
    assert.equal(looksLikePkcs12(new X509Certificate(pairs.rsa.certPem).raw), false);
    assert.equal(looksLikePkcs12(createPrivateKey(pairs.rsa.keyPem).export({ type: 'pkcs8', format: 'der' })), false);
    assert.equal(looksLikePkcs12(new TextEncoder().encode(pairs.rsa.certPem)), false);
    assert.equal(looksLikePkcs12(ours.subarray(0, ours.length - 1)), false);
    assert.equal(looksLikePkcs12(new Uint8Array(0)), false);

    // Version 3 and a ContentInfo, but enveloped: RFC 7292 allows only data or signedData as authSafe.
    const pfx = forge.asn1.fromDer(Buffer.from(ours).toString('binary'));
    const contentType = ((pfx.value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!;
    contentType.value = forge.asn1.oidToDer('1.2.840.113549.1.7.3').getBytes();
    const enveloped = Buffer.from(forge.asn1.toDer(pfx).getBytes(), 'binary');
    assert.equal(enveloped.length, ours.length);
    assert.equal(looksLikePkcs12(enveloped), false);
  });
});

describe('encodePkcs12 input errors', () => {
  test('a certificate that does not match the key is bad-input', async () => {
    await assert.rejects(
      encodePkcs12({ keyPem: pairs.ec256.keyPem, certPems: [pairs.rsa.certPem], password: PASSWORD }),
      (e: unknown) => e instanceof TlsdockError && e.code === 'bad-input' && /does not match|matches/.test(e.message),
    );
  });

  test('no certificate, an unreadable key or an unreadable certificate is bad-input', async () => {
    const bad: Array<Parameters<typeof encodePkcs12>[0]> = [
      { keyPem: pairs.ec256.keyPem, certPems: [], password: PASSWORD },
      { keyPem: 'not a key', certPems: [pairs.ec256.certPem], password: PASSWORD },
      { keyPem: pairs.ec256.keyPem, certPems: ['not a certificate'], password: PASSWORD },
      { keyPem: pairs.ec256.keyPem, certPems: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'], password: PASSWORD },
    ];
    for (const opts of bad) {
      await assert.rejects(encodePkcs12(opts), (e: unknown) => e instanceof TlsdockError && e.code === 'bad-input');
    }
  });
});
