/**
 * PKCS#12 (.p12 / .pfx) bundles: the format Windows, macOS Keychain, Java and browsers import
 * a key plus its certificate chain from.
 *
 * Writing uses pkijs because it is the installed library that can produce PBES2 (PBKDF2-HMAC-SHA256
 * + AES-256-CBC) bags and a SHA-256 MAC, the OpenSSL 3 defaults; node-forge can only write the
 * legacy 3DES/RC2 + SHA-1 kind.
 *
 * Reading uses node-forge for every file, because pkijs 4 cannot decrypt the legacy 3DES/RC2 bags that
 * `openssl pkcs12 -legacy`, Windows and older tools still write, while forge reads both those and
 * PBES2/AES; it is also synchronous, so decodePkcs12 needs no await. forge only understands RSA, so
 * for anything else it hands back the raw ASN.1, and Node's crypto turns that into PEM for us.
 */
import { createHash, createPrivateKey, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { TlsdockError } from '../errors.js';

export interface Pkcs12Contents {
  /** PKCS#8 PEM, unencrypted. */
  keyPem?: string;
  /** PEM certificates: the one matching the key first, then the rest in file order. */
  certPems: string[];
  friendlyName?: string;
}

// OpenSSL 3's defaults, so our files look like the ones importers meet most often.
const ITERATIONS = 2048;

const OID_PKCS7_DATA = '1.2.840.113549.1.7.1';
const OID_PKCS7_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_PKCS7_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const OID_PKCS8_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const OID_X509_CERTIFICATE = '1.2.840.113549.1.9.22.1';
const OID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const OID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';

const BAD_PASSWORD_FIX = 'Check the password and try again; it is case-sensitive.';

// An engine of our own, passed to every pkijs call, rather than pkijs.setEngine: setEngine is
// process-global and other code in the process may rely on whatever engine it set.
const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });

/**
 * A password-protected PKCS#12 file holding the key and certificates. certPems may come in any order
 * (and an entry may hold several PEM blocks); the certificate matching the key is written first and
 * carries the pairing attributes. friendlyName defaults to that certificate's CN.
 */
export async function encodePkcs12(opts: {
  keyPem: string;
  certPems: string[];
  password: string;
  friendlyName?: string;
}): Promise<Uint8Array> {
  const key = parsePrivateKey(opts.keyPem);
  const certs = opts.certPems.flatMap(splitPemCertificates);
  if (certs.length === 0) {
    throw new TlsdockError('bad-input', 'A PKCS#12 file needs at least one certificate to go with the key.');
  }
  const leafIndex = certs.findIndex((c) => c.checkPrivateKey(key));
  if (leafIndex < 0) {
    throw new TlsdockError('bad-input', 'None of the certificates matches the private key.', {
      fix: 'Pass the certificate that was issued for this key.',
    });
  }
  const ordered = [certs[leafIndex]!, ...certs.filter((_, i) => i !== leafIndex)];
  const friendlyName = opts.friendlyName ?? commonName(ordered[0]!);

  // The same localKeyId on the key and its certificate is how Windows and macOS pair them on import;
  // OpenSSL uses the SHA-1 of the certificate, so we do too.
  const pairing = pairingAttributes(createHash('sha1').update(ordered[0]!.raw).digest(), friendlyName);

  const password = new TextEncoder().encode(opts.password).buffer as ArrayBuffer;

  const keyBag = new pkijs.SafeBag({
    bagId: OID_PKCS8_SHROUDED_KEY_BAG,
    bagValue: new pkijs.PKCS8ShroudedKeyBag(await pbes2Encrypt(key.export({ type: 'pkcs8', format: 'der' }), password)),
    bagAttributes: pairing,
  });

  const certBags = ordered.map(
    (cert, i) =>
      new pkijs.SafeBag({
        bagId: OID_CERT_BAG,
        // certValue rather than parsedValue: pkijs would re-encode a parsed certificate, and the
        // bytes must stay exactly as the CA signed them.
        bagValue: new pkijs.CertBag({
          certId: OID_X509_CERTIFICATE,
          certValue: new asn1js.OctetString({ valueHex: toArrayBuffer(cert.raw) }),
        }),
        ...(i === 0 ? { bagAttributes: pairing } : {}),
      }),
  );
  const certsEncrypted = await pbes2Encrypt(new Uint8Array(safeContentsDer(certBags)), password);

  // Certificates encrypted, then the (separately encrypted) key as plain Data: the layout
  // `openssl pkcs12 -export` writes, so importers see nothing unusual.
  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    safeContents: [
      new pkijs.ContentInfo({
        contentType: OID_PKCS7_ENCRYPTED_DATA,
        content: new pkijs.EncryptedData({
          encryptedContentInfo: new pkijs.EncryptedContentInfo({
            contentType: OID_PKCS7_DATA,
            contentEncryptionAlgorithm: certsEncrypted.encryptionAlgorithm,
            encryptedContent: certsEncrypted.encryptedData,
            disableSplit: true,
          }),
        }).toSchema(),
      }),
      new pkijs.ContentInfo({
        contentType: OID_PKCS7_DATA,
        content: new asn1js.OctetString({ valueHex: safeContentsDer([keyBag]) }),
      }),
    ],
  });

  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues(
    { password, iterations: ITERATIONS, pbkdf2HashAlgorithm: { name: 'SHA-256' }, hmacHashAlgorithm: 'SHA-256' },
    engine,
  );
  if (pfx.macData) {
    // OpenSSL and Windows write the MAC's digest AlgorithmIdentifier with NULL parameters; pkijs omits
    // them. Both are legal, but matching the common form spares strict importers a surprise. The MAC
    // does not cover macData itself, so this does not invalidate it.
    pfx.macData.mac.digestAlgorithm = new pkijs.AlgorithmIdentifier({
      algorithmId: pfx.macData.mac.digestAlgorithm.algorithmId,
      algorithmParams: new asn1js.Null(),
    });
  }
  return new Uint8Array(pfx.toSchema().toBER(false));
}

/**
 * PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) via pkijs's engine. We call the engine directly instead of
 * PKCS8ShroudedKeyBag/AuthenticatedSafe.makeInternalValues because those let EncryptedContentInfo
 * split the ciphertext into a constructed, indefinite-length OCTET STRING: valid BER, but node-forge
 * rejects it in a key bag, OpenSSL never writes it, and importers are entitled to DER.
 */
async function pbes2Encrypt(
  plaintext: Uint8Array,
  password: ArrayBuffer,
): Promise<{ encryptionAlgorithm: pkijs.AlgorithmIdentifier; encryptedData: asn1js.OctetString }> {
  const info = await engine.encryptEncryptedContentInfo({
    password,
    // pkijs draws a fresh IV itself; its type asks for one only because it reuses WebCrypto's AesCbcParams.
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as pkijs.ContentEncryptionAesCbcParams,
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: ITERATIONS,
    contentToEncrypt: toArrayBuffer(plaintext),
    contentType: OID_PKCS7_DATA,
  });
  return {
    encryptionAlgorithm: info.contentEncryptionAlgorithm,
    encryptedData: new asn1js.OctetString({ valueHex: info.getEncryptedContent() }),
  };
}

function safeContentsDer(safeBags: pkijs.SafeBag[]): ArrayBuffer {
  return new pkijs.SafeContents({ safeBags }).toSchema().toBER(false);
}

/**
 * The key (the first one, should a file hold several) and all certificates of a PKCS#12 file.
 * Throws TlsdockError 'bad-password' or 'bad-input'.
 */
export function decodePkcs12(der: Uint8Array, password: string): Pkcs12Contents {
  const asn1 = parsePfx(der);
  if (!asn1) {
    throw new TlsdockError('bad-input', 'This is not a PKCS#12 (.p12/.pfx) file, or it is truncated.', {
      fix: 'Pass a binary .p12 or .pfx file (not PEM or a plain certificate).',
    });
  }

  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = withPbes2Utf8Password(password, () => forge.pkcs12.pkcs12FromAsn1(asn1, true, password));
  } catch (e) {
    throw classifyForgeError(e);
  }

  const bags = p12.safeContents.flatMap((sc) => sc.safeBags);
  const keyBag = bags.find((b) => b.type === forge.pki.oids.pkcs8ShroudedKeyBag || b.type === forge.pki.oids.keyBag);
  const certBags = bags.filter((b) => b.type === forge.pki.oids.certBag);

  let key: KeyObject | undefined;
  if (keyBag) {
    // forge parses RSA keys into its own objects and leaves others (EC, Ed25519) as ASN.1.
    const keyAsn1 = keyBag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keyBag.key)) : keyBag.asn1;
    key = fromForgeAsn1(keyAsn1, (bytes) => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }), 'private key');
  }

  const certs = certBags.map((bag) => {
    // For RSA certificates forge keeps the TBSCertificate it parsed, so this re-encoding gives back the
    // signed bytes; the tests compare them with the originals.
    const certAsn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
    return fromForgeAsn1(certAsn1, (bytes) => new X509Certificate(bytes), 'certificate');
  });

  const leafIndex = key ? certs.findIndex((c) => c.checkPrivateKey(key)) : -1;
  const ordered = leafIndex < 0 ? certs : [certs[leafIndex]!, ...certs.filter((_, i) => i !== leafIndex)];
  const leafBag = leafIndex < 0 ? undefined : certBags[leafIndex];
  const friendlyName = firstFriendlyName(keyBag) ?? firstFriendlyName(leafBag);

  return {
    ...(key ? { keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() } : {}),
    certPems: ordered.map((c) => c.toString()),
    ...(friendlyName !== undefined ? { friendlyName } : {}),
  };
}

/** Whether the bytes have the outer shape of a PKCS#12 file (e.g. to tell .pfx from DER certificates). */
export function looksLikePkcs12(der: Uint8Array): boolean {
  return parsePfx(der) !== undefined;
}

/**
 * The outer PFX structure (SEQUENCE { INTEGER 3, ContentInfo, ... }) as forge ASN.1, or undefined
 * when the bytes are not one. No password is involved; nothing is decrypted.
 */
function parsePfx(der: Uint8Array): forge.asn1.Asn1 | undefined {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('binary'), true);
  } catch {
    return undefined;
  }
  const { Class, Type } = forge.asn1;
  if (asn1.tagClass !== Class.UNIVERSAL || asn1.type !== Type.SEQUENCE || !Array.isArray(asn1.value)) return undefined;
  const [version, authSafe] = asn1.value;
  if (!version || version.tagClass !== Class.UNIVERSAL || version.type !== Type.INTEGER) return undefined;
  if (typeof version.value !== 'string' || version.value !== '\x03') return undefined;
  if (!authSafe || authSafe.type !== Type.SEQUENCE || !Array.isArray(authSafe.value)) return undefined;
  const contentType = authSafe.value[0];
  if (!contentType || contentType.type !== Type.OID || typeof contentType.value !== 'string') return undefined;
  const oid = forge.asn1.derToOid(contentType.value);
  return oid === OID_PKCS7_DATA || oid === OID_PKCS7_SIGNED_DATA ? asn1 : undefined;
}

/**
 * forge feeds the password string to PBKDF2 as Latin-1 bytes, but PBES2 (RFC 8018, OpenSSL, pkijs) uses
 * its UTF-8 bytes; the MAC and the legacy PBEs, on the other hand, need the real string because forge
 * BMP-encodes it itself. So for a non-ASCII password, forge's PBES2 entry point gets the UTF-8 form
 * for the duration of the (synchronous) decode.
 */
function withPbes2Utf8Password<T>(password: string, run: () => T): T {
  const utf8 = Buffer.from(password, 'utf8').toString('binary');
  if (utf8 === password) return run();
  const pbe = (forge.pki as unknown as { pbe: { getCipherForPBES2: (oid: string, params: unknown, pw: string) => unknown } }).pbe;
  const original = pbe.getCipherForPBES2;
  pbe.getCipherForPBES2 = (oid, params, pw) => original.call(pbe, oid, params, pw === password ? utf8 : pw);
  try {
    return run();
  } finally {
    pbe.getCipherForPBES2 = original;
  }
}

/** forge throws plain Errors; its messages are the only thing that tells the cases apart. */
function classifyForgeError(e: unknown): TlsdockError {
  const message = e instanceof Error ? e.message : String(e);
  // forge checks the MAC before decrypting anything, so a wrong password shows up as a MAC failure;
  // files without a MAC fail at decryption instead.
  if (/MAC could not be verified|wrong password|Failed to decrypt/i.test(message)) {
    return new TlsdockError('bad-password', 'The PKCS#12 password is wrong.', { fix: BAD_PASSWORD_FIX, cause: e });
  }
  // What forge does not implement (some ciphers and MACs, other bag types, public-key integrity mode)
  // it reports as "unsupported"/"only ... supported"/"unknown", mostly with the OID attached.
  if (/supported|unknown/i.test(message)) {
    const attached = (e as { oid?: unknown; contentType?: unknown }).oid ?? (e as { contentType?: unknown }).contentType;
    const oid = typeof attached === 'string' ? attached : /\b\d+(?:\.\d+){3,}\b/.exec(message)?.[0];
    return new TlsdockError('bad-input', `This PKCS#12 file uses an algorithm or feature tlsdock cannot read${oid ? ` (OID ${oid})` : ''}.`, {
      fix: 'Re-export it with `openssl pkcs12 -export` (OpenSSL 3 defaults) and try again.',
      cause: e,
    });
  }
  return new TlsdockError('bad-input', 'The PKCS#12 file is damaged or truncated.', { cause: e });
}

function fromForgeAsn1<T>(asn1: forge.asn1.Asn1 | undefined, parse: (bytes: Buffer) => T, what: string): T {
  try {
    if (!asn1) throw new Error(`empty ${what} bag`);
    return parse(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  } catch (e) {
    throw new TlsdockError('bad-input', `The PKCS#12 file holds a ${what} tlsdock cannot read.`, { cause: e });
  }
}

function firstFriendlyName(bag: forge.pkcs12.Bag | undefined): string | undefined {
  const names: unknown = bag?.attributes?.friendlyName;
  return Array.isArray(names) && typeof names[0] === 'string' ? names[0] : undefined;
}

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new TlsdockError('bad-input', 'The private key is not a readable unencrypted PEM key.', { cause: e });
  }
}

function splitPemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new TlsdockError('bad-input', 'A certificate is not in PEM form (-----BEGIN CERTIFICATE-----).');
  }
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (e) {
      throw new TlsdockError('bad-input', 'A certificate could not be read; the PEM is damaged.', { cause: e });
    }
  });
}

function commonName(cert: X509Certificate): string | undefined {
  const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return line?.slice(3) || undefined;
}

function pairingAttributes(localKeyId: Buffer, friendlyName: string | undefined): pkijs.Attribute[] {
  const attributes = [
    new pkijs.Attribute({ type: OID_LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(localKeyId) })] }),
  ];
  if (friendlyName !== undefined) {
    attributes.push(new pkijs.Attribute({ type: OID_FRIENDLY_NAME, values: [new asn1js.BmpString({ value: friendlyName })] }));
  }
  return attributes;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
