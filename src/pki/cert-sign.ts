import { createHash, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, Extension, Extensions, SubjectPublicKeyInfo, TBSCertificate, Validity, Version, type Name } from '@peculiar/asn1-x509';
import { TlsdockError } from '../errors.js';
import { describeKey } from './keys.js';
import { ParsedCertificate } from './parsed-certificate.js';

/*
 * Certificates are assembled from @peculiar/asn1-x509's schema classes and signed with Node's
 * `crypto.sign`. @peculiar/x509's generator does the same through WebCrypto, but loading it costs
 * ~40 ms of a one-shot `tlsdock issue` (measured: bench/issue.sh), for no feature we use here.
 */

export interface CertTemplate {
  /** Positive, without a leading zero byte (serial.ts). */
  serial: Uint8Array;
  subject: Name;
  issuer: Name;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo of the key being certified. */
  spki: Uint8Array;
  extensions: Extension[];
}

const OID = {
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  rsaSha256: '1.2.840.113549.1.1.11',
} as const;

/** How this CA key signs: ECDSA with SHA-384 for P-384, SHA-256 otherwise (what browsers expect of each). */
export function signatureAlgorithm(key: KeyObject, whose = "This CA's key"): { id: AlgorithmIdentifier; hash: 'sha256' | 'sha384' } {
  if (key.asymmetricKeyType === 'rsa') return { id: new AlgorithmIdentifier({ algorithm: OID.rsaSha256, parameters: null }), hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    // RFC 5758: the ECDSA signature AlgorithmIdentifiers have no parameters at all (not even NULL).
    if (curve === 'prime256v1') return { id: new AlgorithmIdentifier({ algorithm: OID.ecdsaSha256 }), hash: 'sha256' };
    if (curve === 'secp384r1') return { id: new AlgorithmIdentifier({ algorithm: OID.ecdsaSha384 }), hash: 'sha384' };
  }
  throw new TlsdockError('bad-input', `${whose} is ${describeKey(key)}, which tlsdock does not sign with (it signs with ECDSA P-256/P-384 or RSA).`, {
    fix: 'make a CA tlsdock can use: tlsdock ca init --force (then trust it: tlsdock trust install)',
  });
}

/** An extension holding `value` (an asn1-x509 schema object), DER-encoded. */
export function extension(extnID: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** SHA-1 of the public key bits: RFC 5280 §4.2.1.2 method 1, what OpenSSL, mkcert and browsers' tools use. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
}

/** The certificate for `t`, signed by `signer` (ECDSA signatures come out DER-encoded, as X.509 wants). */
export function signCertificate(t: CertTemplate, signer: KeyObject): ParsedCertificate {
  const alg = signatureAlgorithm(signer);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: Uint8Array.from(t.serial).buffer,
    signature: alg.id,
    issuer: t.issuer,
    validity: new Validity({ notBefore: t.notBefore, notAfter: t.notAfter }),
    subject: t.subject,
    subjectPublicKeyInfo: AsnConvert.parse(t.spki, SubjectPublicKeyInfo),
    extensions: new Extensions(t.extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = sign(alg.hash, tbsDer, signer);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg.id, signatureValue: Uint8Array.from(signature).buffer });
  return new ParsedCertificate(new Uint8Array(AsnConvert.serialize(cert)), cert);
}
