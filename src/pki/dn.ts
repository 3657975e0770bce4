import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';

const OIDS = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11' } as const;

/** Short names for the text form, as OpenSSL and @peculiar/x509 print them. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'E', '2.5.4.42': 'G', '2.5.4.43': 'I', '2.5.4.4': 'SN', '2.5.4.12': 'T',
};

/**
 * A distinguished name with UTF8String values, kept verbatim (parsing a string form would split
 * `Team, "AI" lab` at the comma).
 */
export function distinguishedName(parts: ReadonlyArray<readonly [keyof typeof OIDS, string]>): Name {
  return new Name(parts.map(([type, value]) => new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type: OIDS[type], value: new AttributeValue({ utf8String: value }) }),
  ])));
}

function escapeValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ')
    .replace(/[\r\n\t]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * The one-line text of a name (`O=tlsdock development CA, CN=tlsdock me@host`), in certificate order
 * with RFC 4514 escaping. This is the form our JSON has always carried (it is @peculiar/x509's), so
 * outputs stay stable now that the signing path no longer loads that library.
 */
export function formatName(name: Name): string {
  return name.map((rdn) => rdn.map((atv) => {
    const type = SHORT_NAMES[atv.type] ?? atv.type;
    const value = atv.value.anyValue ? `#${Buffer.from(atv.value.anyValue).toString('hex')}` : escapeValue(atv.value.toString());
    return `${type}=${value}`;
  }).join('+')).join(', ');
}
