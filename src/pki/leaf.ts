import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, GeneralName, KeyIdentifier, KeyUsage, KeyUsageFlags, SubjectAlternativeName, SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName, id_ce_subjectKeyIdentifier,
  id_kp_clientAuth, id_kp_emailProtection, id_kp_serverAuth,
} from '@peculiar/asn1-x509';
import { TlsdockError } from '../errors.js';
import { extension, keyIdentifier, signCertificate } from './cert-sign.js';
import { describeConstraints, isPermitted, type NameConstraints } from './constraints.js';
import { distinguishedName } from './dn.js';
import { generatePrivateKey, privateKeyToPem, type KeyType } from './keys.js';
import { DEFAULT_LEAF_DAYS } from './limits.js';
import { pemToDer } from './material.js';
import type { CertName } from './names.js';
import { ParsedCertificate } from './parsed-certificate.js';
import { randomSerial } from './serial.js';

export { DEFAULT_LEAF_DAYS, MAX_LOCAL_LEAF_DAYS } from './limits.js';

/** A signing CA as loaded from the store: its certificate, key and the chain above it (not including itself). */
export interface SigningCA {
  cert: ParsedCertificate;
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
  cert: ParsedCertificate;
  certPem: string;
  /** Leaf followed by the CA chain minus any self-signed root: what a server should send. */
  fullchainPem: string;
  /** Absent when a CSR's public key was signed. */
  keyPem?: string;
  notAfter: Date;
}

function subjectAltName(names: readonly CertName[]): SubjectAlternativeName {
  return new SubjectAlternativeName(names.map((n) => new GeneralName(n.kind === 'email' ? { rfc822Name: n.value } : n.kind === 'ip' ? { iPAddress: n.value } : { dNSName: n.value })));
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
  // Whole seconds: X.509 times have no fractions, and the JSON output should say what the certificate says.
  const notAfter = new Date(Math.floor(Math.min(now.getTime() + days * 86400_000, caNotAfter) / 1000) * 1000);

  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject;
  if (opts.publicKey) {
    publicKey = opts.publicKey;
  } else {
    privateKey = await generatePrivateKey(opts.keyType ?? 'ecdsa-p256');
    publicKey = createPublicKey(privateKey);
  }
  const isRsa = publicKey.asymmetricKeyType === 'rsa';
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));

  const usage = KeyUsageFlags.digitalSignature | (isRsa ? KeyUsageFlags.keyEncipherment : 0);
  const hasServerNames = names.some((n) => n.kind !== 'email');
  const eku: string[] = [];
  if (hasServerNames) eku.push(id_kp_serverAuth);
  if (opts.client || !hasServerNames) eku.push(id_kp_clientAuth);
  const emailOnly = names.every((n) => n.kind === 'email');
  if (emailOnly) eku.push(id_kp_emailProtection);

  // The CN is informational (browsers read only the SAN). Only a DNS name goes there: OpenSSL checks a
  // host-like CN against DNS name constraints, so an IP in the CN could fail an IP-only constrained CA.
  const firstDns = names.find((n) => n.kind === 'dns');
  const rdns: (readonly ['CN' | 'O' | 'OU', string])[] = [['O', opts.organization ?? 'tlsdock development certificate']];
  if (opts.organizationalUnit) rdns.push(['OU', opts.organizationalUnit]);
  if (firstDns) rdns.push(['CN', firstDns.value]);

  // The authority key id must equal the issuer's subject key id when it has one (imported CAs may
  // use another method than SHA-1 of the key); OpenSSL will not link them otherwise.
  const authorityKeyId = ca.cert.subjectKeyIdentifier ?? keyIdentifier(ca.cert.spki);
  const cert = signCertificate({
    serial: randomSerial(),
    subject: distinguishedName(rdns),
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - 60 * 60 * 1000),
    notAfter,
    spki,
    extensions: [
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      extension(id_ce_keyUsage, true, new KeyUsage(usage)),
      extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage(eku)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(spki))),
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(authorityKeyId) })),
      // Critical only when the subject is empty (RFC 5280 §4.2.1.6).
      extension(id_ce_subjectAltName, rdns.length === 0, subjectAltName(names)),
    ],
  }, ca.key);
  const certPem = cert.pem;
  const intermediates = [ca.cert, ...ca.chainPems.map((p) => new ParsedCertificate(pemToDer(p)))].filter((c) => !c.selfIssued).map((c) => c.pem);
  return {
    cert,
    certPem,
    fullchainPem: certPem + intermediates.join(''),
    keyPem: privateKey ? privateKeyToPem(privateKey) : undefined,
    notAfter,
  };
}
