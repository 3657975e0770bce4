/**
 * In-process certificates for unit tests of the doctor: any extensions, dates and hash, in a few
 * milliseconds each (ECDSA P-256 through WebCrypto). For what only the openssl program can make
 * (MD5, odd encodings) use openssl-pki.ts.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { NameConstraints } from '../../src/pki/constraints.js';
import { nameConstraintsValue } from '../../src/pki/name-constraints-ext.js';
import { id_ce_nameConstraints } from '@peculiar/asn1-x509';
import { subtle, x509 } from '../../src/pki/x509lib.js';
import { CertInfo } from '../../src/diagnose/cert-info.js';

export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  keyPem: string;
  key: KeyObject;
  info: CertInfo;
}

export interface CertOptions {
  cn: string;
  issuer?: Issued;
  /** e.g. [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]; undefined = no SAN extension. */
  san?: x509.JsonGeneralName[];
  /** basicConstraints: true (CA:TRUE), false (CA:FALSE), undefined (absent). */
  ca?: boolean;
  pathLen?: number;
  keyUsage?: number;
  /** EKU OIDs; undefined = absent. */
  eku?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
  hash?: 'SHA-1' | 'SHA-256';
  constraints?: NameConstraints;
  /** 'rsa-1024' etc. for RSA; default ECDSA P-256. */
  key?: 'ec' | `rsa-${number}`;
}

const DAY = 86400_000;
let serial = 1;

async function keyPair(kind: CertOptions['key'], hash: string): Promise<{ keys: CryptoKeyPair; alg: Algorithm & Record<string, unknown> }> {
  if (kind && kind.startsWith('rsa-')) {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash, modulusLength: Number(kind.slice(4)), publicExponent: new Uint8Array([1, 0, 1]) };
    return { keys: (await subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair, alg };
  }
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash };
  return { keys: (await subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair, alg };
}

export async function makeCert(o: CertOptions): Promise<Issued> {
  const hash = o.hash ?? 'SHA-256';
  const { keys, alg } = await keyPair(o.key, hash);
  const extensions: x509.Extension[] = [];
  if (o.ca !== undefined) extensions.push(new x509.BasicConstraintsExtension(o.ca, o.pathLen, true));
  if (o.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(o.keyUsage, true));
  if (o.eku) extensions.push(new x509.ExtendedKeyUsageExtension([...o.eku], false));
  if (o.san) extensions.push(new x509.SubjectAlternativeNameExtension(o.san, false));
  if (o.constraints) extensions.push(new x509.Extension(id_ce_nameConstraints, true, nameConstraintsValue(o.constraints)));
  const now = Date.now();
  const base = {
    serialNumber: (serial++).toString(16).padStart(2, '0') + Date.now().toString(16),
    notBefore: o.notBefore ?? new Date(now - DAY),
    notAfter: o.notAfter ?? new Date(now + 90 * DAY),
    extensions,
  };
  const signingAlgorithm = o.issuer ? { ...(o.issuer.cert.publicKey.algorithm as Algorithm), hash } : { ...alg, hash };
  const cert = o.issuer
    ? await x509.X509CertificateGenerator.create({ ...base, subject: `CN=${o.cn}`, issuer: o.issuer.cert.subject, publicKey: keys.publicKey, signingKey: o.issuer.keys.privateKey, signingAlgorithm })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...base, name: `CN=${o.cn}`, keys, signingAlgorithm });
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey as unknown as Parameters<typeof subtle.exportKey>[1]));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const pem = cert.toString('pem') + '\n';
  return { cert, keys, pem, keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), key, info: new CertInfo(Buffer.from(cert.rawData), `test:${o.cn}`) };
}

export const KU = x509.KeyUsageFlags;
export const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };

export const dns = (value: string): x509.JsonGeneralName => ({ type: 'dns', value });
export const ip = (value: string): x509.JsonGeneralName => ({ type: 'ip', value });

/** A root CA (CA:TRUE, keyCertSign). */
export function makeRoot(cn: string, o: Partial<CertOptions> = {}): Promise<Issued> {
  return makeCert({ cn, ca: true, keyUsage: KU.keyCertSign | KU.cRLSign, ...o });
}

/** A server leaf for localhost + 127.0.0.1 unless told otherwise. */
export function makeLeaf(issuer: Issued | undefined, o: Partial<CertOptions> = {}): Promise<Issued> {
  return makeCert({ cn: 'localhost', issuer, ca: false, keyUsage: KU.digitalSignature, eku: [EKU.serverAuth], san: [dns('localhost'), ip('127.0.0.1')], ...o });
}
