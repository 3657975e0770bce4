import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectKeyIdentifier, id_ce_subjectKeyIdentifier, type Extension, type Name } from '@peculiar/asn1-x509';
import { formatName } from './dn.js';
import { toPem } from './material.js';

/**
 * The facts about a certificate that issuing needs (names, validity, key identifier, encodings),
 * read with @peculiar/asn1-x509 alone. @peculiar/x509 and its dependency-injection runtime take
 * ~40 ms to load, a third of a one-shot `tlsdock issue`; the doctor still uses it, loaded on demand.
 */
export class ParsedCertificate {
  readonly asn: Certificate;
  readonly rawData: Uint8Array;

  /** `asn` when the caller has the decoded form already (a certificate just signed). */
  constructor(der: Uint8Array, asn?: Certificate) {
    this.rawData = Uint8Array.from(der);
    this.asn = asn ?? AsnConvert.parse(this.rawData, Certificate);
  }

  get pem(): string { return toPem('CERTIFICATE', this.rawData); }
  get subjectName(): Name { return this.asn.tbsCertificate.subject; }
  get subject(): string { return formatName(this.asn.tbsCertificate.subject); }
  get issuer(): string { return formatName(this.asn.tbsCertificate.issuer); }
  /** Lower-case hex, as in our JSON output. */
  get serialNumber(): string { return Buffer.from(this.asn.tbsCertificate.serialNumber).toString('hex'); }
  get notBefore(): Date { return this.asn.tbsCertificate.validity.notBefore.getTime(); }
  get notAfter(): Date { return this.asn.tbsCertificate.validity.notAfter.getTime(); }
  /** DER of the SubjectPublicKeyInfo. */
  get spki(): Uint8Array { return new Uint8Array(AsnConvert.serialize(this.asn.tbsCertificate.subjectPublicKeyInfo)); }
  /** The raw key bits, what key identifiers are hashed from (RFC 5280 §4.2.1.2 method 1). */
  get publicKeyBits(): Uint8Array { return new Uint8Array(this.asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey); }

  extension(oid: string): Extension | undefined {
    return this.asn.tbsCertificate.extensions?.find((e) => e.extnID === oid);
  }

  get subjectKeyIdentifier(): Uint8Array | undefined {
    const ext = this.extension(id_ce_subjectKeyIdentifier);
    return ext ? new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier).buffer) : undefined;
  }

  /** Same subject and issuer: a root (or a self-signed leaf); chains sent by servers leave these out. */
  get selfIssued(): boolean {
    return this.subject === this.issuer;
  }
}
