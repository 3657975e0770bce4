import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name as AsnName, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { x509 } from './x509lib.js';

const OIDS = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11' } as const;

/**
 * A distinguished name built from typed UTF8String values. @peculiar/x509 parses plain string
 * values (so `Team, "AI" lab` would become `AI`); building the ASN.1 Name keeps them verbatim.
 */
export function distinguishedName(parts: ReadonlyArray<readonly [keyof typeof OIDS, string]>): x509.Name {
  const rdns = parts.map(([type, value]) => new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type: OIDS[type], value: new AttributeValue({ utf8String: value }) }),
  ]));
  return new x509.Name(AsnConvert.serialize(new AsnName(rdns)));
}
