import { createPublicKey, type KeyObject } from 'node:crypto';
import { TlsdockError } from '../errors.js';
import { describeConstraints, isPermitted, type NameConstraints } from './constraints.js';
import { generatePrivateKey, privateKeyToPem, signingAlgorithm, toCryptoKeys, type KeyType } from './keys.js';
import type { CertName } from './names.js';
import { distinguishedName } from './dn.js';
import { randomSerial } from './serial.js';
import { subtle, x509 } from './x509lib.js';

/** The most days a leaf may live and still be accepted by every browser for a locally trusted root (Apple). */
export const MAX_LOCAL_LEAF_DAYS = 825;
export const DEFAULT_LEAF_DAYS = 397;

/** A signing CA as loaded from the store: its certificate, key and the chain above it (not including itself). */
export interface SigningCA {
  cert: x509.X509Certificate;
  key: KeyObject;
  /** Intermediate and root certificates above `cert`, PEM, nearest first; empty for a root. */
  chainPems: string[];
  constraints?: NameConstraints;
}

export interface IssueLeafOptions {
  ca: SigningCA;
  names: readonly CertName[];
  days?: number;
  keyType?: KeyType;
  /** Sign this public key (from a CSR) instead of generating a key pair. */
  publicKey?: KeyObject;
  /** Add clientAuth to the EKU (mTLS client certificates). */
  client?: boolean;
  /** Informational subject fields. */
  organization?: string;
  organizationalUnit?: string;
  now?: Date;
  /** Skip the constraints check: only tests use this, to make a leaf that must fail verification. */
  ignoreConstraints?: boolean;
}

export interface IssuedLeaf {
  cert: x509.X509Certificate;
  certPem: string;
  /** Leaf followed by the CA chain minus any self-signed root: what a server should send. */
  fullchainPem: string;
  /** Absent when a CSR's public key was signed. */
  keyPem?: string;
  notAfter: Date;
}

function sanEntries(names: readonly CertName[]): x509.JsonGeneralName[] {
  return names.map((n) => ({ type: n.kind === 'email' ? 'email' : n.kind === 'ip' ? 'ip' : 'dns', value: n.value }));
}

function isSelfSigned(pem: string): boolean {
  const c = new x509.X509Certificate(pem);
  return c.subject === c.issuer;
}

export function assertPermitted(ca: SigningCA, names: readonly CertName[]): void {
  const refused = names.filter((n) => !isPermitted(ca.constraints, n));
  if (refused.length === 0) return;
  const list = refused.map((n) => n.value).join(', ');
  throw new TlsdockError('not-permitted', `This CA is name-constrained and may not sign for ${list} (it permits ${describeConstraints(ca.constraints)}).`, {
    fix: `make a CA that permits it: tlsdock ca init --force ${refused.map((n) => `--permit ${n.kind === 'dns' ? n.value.replace(/^\*\./, '') : n.value}`).join(' ')}  (re-trust it afterwards), or use --no-constraints`,
  });
}

export async function issueLeaf(opts: IssueLeafOptions): Promise<IssuedLeaf> {
  const { ca, names } = opts;
  if (names.length === 0) throw new TlsdockError('usage', 'Give at least one name to put in the certificate, e.g. tlsdock issue localhost 127.0.0.1 ::1.');
  if (!opts.ignoreConstraints) assertPermitted(ca, names);
  const now = opts.now ?? new Date();
  const days = opts.days ?? DEFAULT_LEAF_DAYS;
  if (!(days > 0)) throw new TlsdockError('usage', `--days must be a positive number (got ${days}).`);
  const caNotAfter = ca.cert.notAfter.getTime();
  // A leaf outliving its CA is rejected by browsers; clip it instead of failing later.
  const notAfter = new Date(Math.min(now.getTime() + days * 86400_000, caNotAfter));

  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject;
  if (opts.publicKey) {
    publicKey = opts.publicKey;
  } else {
    privateKey = await generatePrivateKey(opts.keyType ?? 'ecdsa-p256');
    publicKey = createPublicKey(privateKey);
  }
  const isRsa = publicKey.asymmetricKeyType === 'rsa';
  const pubAlg = isRsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: publicKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256' };
  const pubCrypto = await subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), pubAlg, true, ['verify']);
  const caKeys = await toCryptoKeys(ca.key);

  const usage = x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0);
  const hasServerNames = names.some((n) => n.kind !== 'email');
  const eku: string[] = [];
  if (hasServerNames) eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.client || !hasServerNames) eku.push(x509.ExtendedKeyUsage.clientAuth);
  const emailOnly = names.every((n) => n.kind === 'email');
  if (emailOnly) eku.push(x509.ExtendedKeyUsage.emailProtection);

  // The CN is informational (browsers read only the SAN). Only a DNS name goes there: OpenSSL checks a
  // host-like CN against DNS name constraints, so an IP in the CN could fail an IP-only constrained CA.
  const firstDns = names.find((n) => n.kind === 'dns');
  const rdns: (readonly ['CN' | 'O' | 'OU', string])[] = [['O', opts.organization ?? 'tlsdock development certificate']];
  if (opts.organizationalUnit) rdns.push(['OU', opts.organizationalUnit]);
  if (firstDns) rdns.push(['CN', firstDns.value]);

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: distinguishedName(rdns),
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - 60 * 60 * 1000),
    notAfter,
    publicKey: pubCrypto as unknown as CryptoKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: signingAlgorithm(ca.key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension(eku, false),
      await x509.SubjectKeyIdentifierExtension.create(pubCrypto as unknown as CryptoKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      // Critical only when the subject is empty (RFC 5280 §4.2.1.6).
      new x509.SubjectAlternativeNameExtension(sanEntries(names), rdns.length === 0),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  const intermediates = [ca.cert.toString('pem') + '\n', ...ca.chainPems].filter((p) => !isSelfSigned(p));
  return {
    cert,
    certPem,
    fullchainPem: certPem + intermediates.join(''),
    keyPem: privateKey ? privateKeyToPem(privateKey) : undefined,
    notAfter,
  };
}
