import { isIPv4, isIPv6 } from './ip.js';
import { domainToASCII } from 'node:url';
import { isPublicSuffix } from './public-suffix.js';
import { TlsdockError } from '../errors.js';

export type NameKind = 'dns' | 'ip' | 'email';

/** A subject alternative name, normalised the way it will be written into the certificate. */
export interface CertName {
  kind: NameKind;
  /** DNS names lower-case punycode without a trailing dot; IPs canonical; emails with a punycode domain. */
  value: string;
  /** What the user typed, for messages. */
  input: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Underscores are not valid in host names, but people have them in internal DNS (`my_box.lan`)
// and Chromium matches them; allow them in non-leftmost-wildcard labels as mkcert does.
const LABEL_LOOSE = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function bad(input: string, why: string, fix?: string): TlsdockError {
  const shown = JSON.stringify(input).slice(1, -1).slice(0, 80);
  return new TlsdockError('bad-name', `"${shown}" is not a valid certificate name: ${why}.`, { fix });
}

/** Canonical text of an IPv6 address (lower case, zero runs compressed), via the WHATWG URL parser. */
function canonicalIPv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function toAsciiHost(input: string, host: string): string {
  if (/[\s/\\?#@:%<>"'`|;&$(){}[\]^~!,=+]/.test(host) || /[\u0000-\u001f\u007f]/.test(host)) {
    throw bad(input, 'it contains characters that cannot appear in a host name');
  }
  const ascii = domainToASCII(host);
  if (ascii === '') throw bad(input, 'it is not a valid (internationalised) domain name');
  return ascii.toLowerCase();
}

function checkDnsLabels(input: string, ascii: string): void {
  if (ascii.length > 253) throw bad(input, `it is ${ascii.length} characters long; DNS names are at most 253`);
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') throw bad(input, 'it has an empty label (two dots in a row, or a leading dot)');
    if (label.length > 63) throw bad(input, `the label "${label.slice(0, 20)}…" is ${label.length} characters long; labels are at most 63`);
    if (!LABEL.test(label) && !LABEL_LOOSE.test(label)) throw bad(input, `the label "${label}" may hold only letters, digits and inner hyphens`);
  }
}

function parseDns(input: string, raw: string): CertName {
  let host = raw.trim();
  if (host.endsWith('.')) host = host.slice(0, -1);
  const wildcard = host.startsWith('*.');
  const base = wildcard ? host.slice(2) : host;
  if (host === '*') throw bad(input, 'a bare "*" would match every host', 'name a domain: tlsdock issue "*.ai-lab.local"');
  if (base.includes('*')) throw bad(input, 'a wildcard may only be the whole leftmost label, as in *.example.test');
  const ascii = toAsciiHost(input, base);
  checkDnsLabels(input, ascii);
  if (/^[0-9.]+$/.test(ascii)) throw bad(input, 'it looks like an IPv4 address but is not a valid one');
  if (wildcard) {
    // Chromium refuses wildcards directly under a registry (ICANN suffixes, and unknown TLDs such as
    // `.local`, which it treats as registries too); so must we, or the certificate silently fails.
    if (isPublicSuffix(ascii)) {
      throw bad(input, `"*.${ascii}" would cover a whole public suffix, which browsers refuse`, `use a name one level deeper, such as "*.myteam.${ascii}"`);
    }
    return { kind: 'dns', value: `*.${ascii}`, input };
  }
  return { kind: 'dns', value: ascii, input };
}

/** Parse one name from the command line (DNS, wildcard, IPv4, IPv6, IDN, email). Throws a `bad-name` TlsdockError. */
export function parseName(input: string): CertName {
  const raw = input.trim();
  if (raw === '') throw bad(input, 'it is empty');
  if (raw.length > 320) throw bad(input, `it is ${raw.length} characters long`);
  if (isIPv4(raw)) return { kind: 'ip', value: raw, input };
  const unbracketed = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (isIPv6(unbracketed)) {
    if (unbracketed.includes('%')) throw bad(input, 'an IPv6 zone (%eth0) cannot appear in a certificate');
    return { kind: 'ip', value: canonicalIPv6(unbracketed), input };
  }
  const at = raw.lastIndexOf('@');
  if (at > 0) {
    const local = raw.slice(0, at);
    if (!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/.test(local)) throw bad(input, 'the part before @ is not a valid mailbox');
    const domain = parseDns(input, raw.slice(at + 1));
    if (domain.value.startsWith('*')) throw bad(input, 'an email address cannot hold a wildcard');
    return { kind: 'email', value: `${local}@${domain.value}`, input };
  }
  if (raw.includes('://')) throw bad(input, 'give the host name alone, not a URL', `tlsdock issue ${safeHost(raw)}`);
  return parseDns(input, raw);
}

function safeHost(url: string): string {
  try { return new URL(url).hostname.replace(/^\[|\]$/g, ''); } catch { return 'HOST'; }
}

/** Parse and de-duplicate, keeping the user's order (the first name names the files). */
export function parseNames(inputs: readonly string[]): CertName[] {
  const seen = new Set<string>();
  const out: CertName[] = [];
  for (const input of inputs) {
    const name = parseName(input);
    const key = `${name.kind}:${name.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

/** A file-name-safe stem for a set of names, mkcert-style: `localhost+2`, `_wildcard.ai-lab.local`. */
export function fileStem(names: readonly CertName[]): string {
  const first = names[0];
  if (!first) return 'cert';
  const base = first.value.replace(/^\*/, '_wildcard').replace(/:/g, '_').replace(/[^A-Za-z0-9._@+-]/g, '_');
  return names.length > 1 ? `${base}+${names.length - 1}` : base;
}
