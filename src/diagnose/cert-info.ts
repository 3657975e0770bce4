import { X509Certificate } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax, BasicConstraints, Certificate, ExtendedKeyUsage, KeyUsage, NameConstraints as AsnNameConstraints,
  SubjectAlternativeName, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage, id_ce_nameConstraints, id_ce_subjectAltName,
  id_pe_authorityInfoAccess, type KeyUsageType,
} from '@peculiar/asn1-x509';
import type { NameConstraints } from '../pki/constraints.js';
import { readNameConstraints } from '../pki/name-constraints-ext.js';
import { x509 } from '../pki/x509lib.js';

export type SignatureHash = 'md2' | 'md4' | 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'eddsa' | 'unknown';

/** Signature algorithm OIDs → the hash they use; PSS carries its hash in parameters (treated as sha256+, never weak). */
const SIGNATURE_HASH: Record<string, SignatureHash> = {
  '1.2.840.113549.1.1.2': 'md2', '1.2.840.113549.1.1.3': 'md4', '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.10045.4.1': 'sha1', '1.2.840.10040.4.3': 'sha1', '1.3.14.3.2.29': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224', '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256', '1.2.840.10045.4.3.2': 'sha256', '1.2.840.113549.1.1.10': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384', '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512', '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': 'eddsa', '1.3.101.113': 'eddsa',
};

export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_ANY = '2.5.29.37.0';
const AIA_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';

export interface SubjectAltNames {
  dns: string[];
  /** Canonical text (IPv6 compressed, lower case). */
  ip: string[];
  email: string[];
}

export interface PublicKeyFacts {
  type: string;
  /** RSA modulus length, or the EC field size. */
  bits: number;
  curve?: string;
}

interface Extensions {
  basicConstraints?: { ca: boolean; pathLen?: number };
  keyUsage?: KeyUsageType[];
  extKeyUsage?: string[];
  san?: SubjectAltNames;
  nameConstraints?: { permitted: NameConstraints; excluded: NameConstraints };
  caIssuers: string[];
  signatureHash: SignatureHash;
}

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 };

export function canonicalIp(ip: string): string {
  return isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

function emptyNames(): NameConstraints {
  return { dns: [], ip: [], email: [] };
}

/**
 * One certificate as the doctor sees it. Node's X509Certificate gives the cheap facts (names,
 * dates, key, signature checks); the extensions Node does not expose are decoded with
 * @peculiar/asn1-x509 only when first asked for, because that decoding costs ~0.5 ms a
 * certificate and a bundle of a hundred roots never needs it.
 */
export class CertInfo {
  readonly x509: X509Certificate;
  readonly der: Buffer;
  /** Where this certificate came from, for messages: "cert.pem (certificate 2)", "sent by the server (#2)". */
  readonly origin: string;
  private ext?: Extensions;
  private b64?: string;
  private readonly verified = new Map<CertInfo, boolean>();

  constructor(cert: X509Certificate | Buffer, origin: string) {
    this.x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
    this.der = this.x509.raw;
    this.origin = origin;
  }

  get subject(): string { return this.x509.subject; }
  get issuer(): string { return this.x509.issuer; }
  get notBefore(): Date { return new Date(this.x509.validFrom); }
  get notAfter(): Date { return new Date(this.x509.validTo); }
  get fingerprint256(): string { return this.x509.fingerprint256; }
  /** The DER as base64: a cheap identity to compare with PEM bundles without parsing them. */
  get base64(): string { return (this.b64 ??= this.der.toString('base64')); }
  /** Subject equals issuer: a root, or a self-signed leaf. */
  get selfIssued(): boolean { return this.subject === this.issuer; }

  get commonName(): string | undefined {
    return /(?:^|\n)CN=([^\n]*)/.exec(this.subject)?.[1];
  }

  /** A short human name: the CN, else the whole subject on one line. */
  get name(): string {
    return this.commonName ?? this.subject.replace(/\n/g, ', ');
  }

  get issuerName(): string {
    return /(?:^|\n)CN=([^\n]*)/.exec(this.issuer)?.[1] ?? this.issuer.replace(/\n/g, ', ');
  }

  get publicKey(): PublicKeyFacts {
    const key = this.x509.publicKey;
    const d = key.asymmetricKeyDetails ?? {};
    const type = key.asymmetricKeyType ?? 'unknown';
    if (type === 'rsa' || type === 'rsa-pss') return { type: 'rsa', bits: d.modulusLength ?? 0 };
    if (type === 'ec') return { type, bits: CURVE_BITS[d.namedCurve ?? ''] ?? 0, curve: d.namedCurve };
    return { type, bits: 0 };
  }

  /** Whether `issuer`'s key made this certificate's signature (cached: path building asks often). */
  signedBy(issuer: CertInfo): boolean {
    let ok = this.verified.get(issuer);
    if (ok === undefined) {
      try {
        ok = this.issuer === issuer.subject && this.x509.verify(issuer.x509.publicKey);
      } catch {
        ok = false; // an algorithm OpenSSL will not verify (MD2, …) cannot link a path either
      }
      this.verified.set(issuer, ok);
    }
    return ok;
  }

  get basicConstraints(): Extensions['basicConstraints'] { return this.extensions().basicConstraints; }
  get keyUsage(): KeyUsageType[] | undefined { return this.extensions().keyUsage; }
  get extKeyUsage(): string[] | undefined { return this.extensions().extKeyUsage; }
  /** undefined when the certificate has no subjectAltName extension at all. */
  get san(): SubjectAltNames | undefined { return this.extensions().san; }
  get nameConstraints(): Extensions['nameConstraints'] { return this.extensions().nameConstraints; }
  get caIssuers(): string[] { return this.extensions().caIssuers; }
  get signatureHash(): SignatureHash { return this.extensions().signatureHash; }

  /** Marked as a CA: basicConstraints CA:TRUE (Node reads this one without a full decode). */
  get isCA(): boolean { return this.x509.ca; }

  /** Whether the EKU (if any) lets this certificate serve TLS (absent EKU = any use). */
  get allowsServerAuth(): boolean {
    const eku = this.extKeyUsage;
    return eku === undefined || eku.includes(EKU_SERVER_AUTH) || eku.includes(EKU_ANY);
  }

  private extensions(): Extensions {
    if (this.ext) return this.ext;
    const cert = AsnConvert.parse(this.der, Certificate);
    const out: Extensions = { caIssuers: [], signatureHash: SIGNATURE_HASH[cert.signatureAlgorithm.algorithm] ?? 'unknown' };
    for (const e of cert.tbsCertificate.extensions ?? []) {
      const value = e.extnValue.buffer;
      try {
        switch (e.extnID) {
          case id_ce_basicConstraints: {
            const bc = AsnConvert.parse(value, BasicConstraints);
            out.basicConstraints = { ca: bc.cA, pathLen: bc.pathLenConstraint };
            break;
          }
          case id_ce_keyUsage:
            out.keyUsage = AsnConvert.parse(value, KeyUsage).toJSON();
            break;
          case id_ce_extKeyUsage:
            out.extKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
            break;
          case id_ce_subjectAltName: {
            const san: SubjectAltNames = { dns: [], ip: [], email: [] };
            for (const n of AsnConvert.parse(value, SubjectAlternativeName)) {
              if (n.dNSName !== undefined) san.dns.push(n.dNSName);
              else if (n.iPAddress !== undefined) san.ip.push(canonicalIp(n.iPAddress));
              else if (n.rfc822Name !== undefined) san.email.push(n.rfc822Name);
            }
            out.san = san;
            break;
          }
          case id_ce_nameConstraints:
            out.nameConstraints = this.readConstraints(value);
            break;
          case id_pe_authorityInfoAccess:
            for (const ad of AsnConvert.parse(value, AuthorityInfoAccessSyntax)) {
              if (ad.accessMethod === AIA_CA_ISSUERS && ad.accessLocation.uniformResourceIdentifier) out.caIssuers.push(ad.accessLocation.uniformResourceIdentifier);
            }
            break;
        }
      } catch {
        // A malformed extension: Chromium refuses such certificates outright; we report what we can read.
      }
    }
    this.ext = out;
    return out;
  }

  private readConstraints(value: ArrayBuffer): { permitted: NameConstraints; excluded: NameConstraints } {
    const read = readNameConstraints(Uint8Array.from(this.der));
    const permitted = read ? { dns: read.dns, ip: read.ip, email: read.email } : emptyNames();
    const excluded = emptyNames();
    // readNameConstraints only counts excluded subtrees; they matter to the verdict, so read them here.
    if (read && read.excluded > 0) {
      for (const st of AsnConvert.parse(value, AsnNameConstraints).excludedSubtrees ?? []) {
        if (st.base.dNSName !== undefined) excluded.dns.push(st.base.dNSName);
        else if (st.base.iPAddress !== undefined) excluded.ip.push(st.base.iPAddress);
        else if (st.base.rfc822Name !== undefined) excluded.email.push(st.base.rfc822Name);
      }
    }
    return { permitted, excluded };
  }
}
