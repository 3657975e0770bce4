/**
 * Does the certificate cover the host the browser visits? Chromium's rules
 * (net/cert/x509_certificate.cc, VerifyHostname), checked against Chromium 156 in
 * test/e2e/doctor-chromium.test.ts:
 *  - only subjectAltName counts; the CN is ignored (no fallback, even for IPs);
 *  - an IP host matches only iPAddress entries (never a dNSName that spells the IP);
 *  - a wildcard is only the whole leftmost label ("*.a.b"), matches exactly one label, never the
 *    bare domain, never an IP, and never directly under a registry: "*.local", "*.com" and
 *    "*.co.uk" match nothing (unknown TLDs such as .local count as registries).
 */
import { isIP, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { isPublicSuffix } from '../pki/public-suffix.js';
import type { CertInfo, SubjectAltNames } from './cert-info.js';
import { finding, type Finding } from './findings.js';

export interface Host {
  kind: 'dns' | 'ip';
  /** Lower-case punycode without trailing dot, or a canonical IP. */
  value: string;
  /** As the user typed it. */
  input: string;
}

/** Normalise what a user visits ("[::1]", "Bücher.test.", "127.0.0.1") the way a browser does. */
export function parseHost(input: string): Host {
  const raw = input.trim().replace(/^\[|\]$/g, '');
  if (isIP(raw)) return { kind: 'ip', value: isIPv6(raw) ? new URL(`http://[${raw}]/`).hostname.slice(1, -1) : raw, input };
  const ascii = domainToASCII(raw.replace(/\.$/, '')).toLowerCase();
  return { kind: 'dns', value: ascii || raw.toLowerCase(), input };
}

/** A wildcard's base is a registry ("*.local", "*.co.uk"): Chromium never matches it. */
function isRegistry(domain: string): boolean {
  return isPublicSuffix(domain);
}

function splitFirst(name: string): [string, string] {
  const dot = name.indexOf('.');
  return dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot + 1)];
}

/** Chromium's VerifyHostname over the SAN only. */
export function covers(san: SubjectAltNames | undefined, host: Host): boolean {
  if (!san) return false;
  if (host.kind === 'ip') return san.ip.includes(host.value);
  const [hostLabel, hostDomain] = splitFirst(host.value);
  const wildcardsAllowed = hostDomain !== '' && !isRegistry(hostDomain) && /[^0-9.]/.test(host.value);
  for (const entry of san.dns) {
    const presented = entry.toLowerCase().replace(/\.$/, '');
    const [label, domain] = splitFirst(presented);
    if (domain !== hostDomain) continue;
    if (label === hostLabel && label !== '*') return true;
    if (label === '*' && wildcardsAllowed) return true;
  }
  return false;
}

/** Every name in the SAN, for messages: "localhost, 127.0.0.1". */
export function listNames(san: SubjectAltNames | undefined): string[] {
  return san ? [...san.dns, ...san.ip] : [];
}

function describeNames(cert: CertInfo): string {
  const names = listNames(cert.san);
  if (names.length === 0) return 'no host names at all';
  return names.length === 1 ? `only ${names[0]}` : `only ${names.slice(0, 6).join(', ')}${names.length > 6 ? `, … (${names.length} names)` : ''}`;
}

/** Why a host is not covered, beyond "it is not listed", when we can tell. */
function whyNotCovered(cert: CertInfo, host: Host): string {
  const san = cert.san;
  if (!san) return '';
  if (host.kind === 'ip') {
    if (san.dns.includes(host.value)) return ` (${host.value} is listed as a DNS name; browsers match an IP only against IP entries)`;
    if (san.ip.length === 0) return ' (it lists no IP addresses)';
    return '';
  }
  for (const entry of san.dns) {
    const [label, domain] = splitFirst(entry.toLowerCase());
    if (label !== '*') continue;
    if (host.value === domain) return ` (${entry} does not cover ${domain} itself)`;
    const hostDomain = splitFirst(host.value)[1];
    if (hostDomain === domain && isRegistry(domain)) return ` (browsers ignore ${entry}: a wildcard directly under .${domain} matches nothing)`;
    if (host.value.endsWith(`.${domain}`) && hostDomain !== domain) return ` (${entry} covers one label only, not ${host.value})`;
  }
  return '';
}

/** A name worth re-issuing the certificate for: usable SAN entries, the CN if it is a host name, and the hosts visited. */
export function namesToIssue(cert: CertInfo | undefined, hosts: readonly Host[]): string[] {
  const out: string[] = [];
  const add = (n: string) => {
    const v = n.toLowerCase();
    if (v && !out.includes(v)) out.push(v);
  };
  for (const h of hosts) add(h.value);
  if (cert) {
    for (const n of cert.san?.dns ?? []) if (!wildcardProblem(n) && !isIP(n)) add(n);
    for (const n of cert.san?.ip ?? []) add(n);
    const cn = cert.commonName;
    if (!cert.san && cn && /^(\*\.)?[a-z0-9_.-]+$/i.test(cn) && !wildcardProblem(cn)) add(cn);
  }
  if (out.length === 0) add('localhost');
  return out;
}

/** The `tlsdock issue` command that makes a certificate covering `names`. */
export function issueCommand(names: readonly string[], out = 'certs/'): string {
  return `tlsdock issue ${names.map((n) => (n.includes('*') ? `"${n}"` : n)).join(' ')} --out ${out}`;
}

/** Why browsers will never match this dNSName entry, or undefined when it is usable. */
export function wildcardProblem(entry: string): string | undefined {
  const name = entry.toLowerCase().replace(/\.$/, '');
  if (!name.includes('*')) return undefined;
  if (name === '*') return 'a bare "*" matches nothing';
  const [label, domain] = splitFirst(name);
  if (label !== '*' || domain.includes('*')) return 'browsers accept a wildcard only as the whole leftmost label, as in *.example.test';
  if (isRegistry(domain)) return `browsers refuse a wildcard directly under .${domain}`;
  return undefined;
}

export interface NameContext {
  /** The hosts to check (the URL's host for check; every --host for inspect). */
  hosts: readonly Host[];
  /** The command that makes a certificate with the right names (see issueCommand). */
  issueCommand: string;
}

/** no-subject-alt-name, name-mismatch, wildcard-misuse, ip-in-dns-name. */
export function nameFindings(cert: CertInfo, ctx: NameContext): Finding[] {
  const out: Finding[] = [];
  const fix = ctx.issueCommand;
  const san = cert.san;
  const hasHostNames = !!san && san.dns.length + san.ip.length > 0;
  if (!hasHostNames) {
    const cn = cert.commonName;
    const message = san
      ? `The certificate's subjectAltName lists no host name or IP (only ${san.email.length ? 'email addresses' : 'other kinds of name'}), so it is valid for no server.`
      : cn
        ? `The certificate names ${cn} only in its CN; browsers ignore the CN and read only subjectAltName.`
        : 'The certificate has no subjectAltName, so it names no host at all; browsers read only subjectAltName.';
    out.push(finding('no-subject-alt-name', 'error', message, fix, 'ERR_CERT_COMMON_NAME_INVALID'));
  } else {
    for (const host of ctx.hosts) {
      if (covers(san, host)) continue;
      out.push(finding('name-mismatch', 'error', `The certificate does not cover ${host.value}: it names ${describeNames(cert)}${whyNotCovered(cert, host)}.`, fix, 'ERR_CERT_COMMON_NAME_INVALID'));
    }
  }
  for (const entry of san?.dns ?? []) {
    const problem = wildcardProblem(entry);
    if (problem) out.push(finding('wildcard-misuse', 'warning', `The name ${entry} is never matched: ${problem}.`, fix));
    else if (isIP(entry)) out.push(finding('ip-in-dns-name', 'warning', `${entry} is listed as a DNS name, which browsers never match to the IP; it must be an IP entry.`, fix));
  }
  return out;
}
