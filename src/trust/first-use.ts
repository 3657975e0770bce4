import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { displayName, fingerprint256, isSelfSigned, makeAnchor, type Anchor } from './anchor.js';
import { isPermitted, type NameConstraints } from '../pki/constraints.js';

/**
 * Trust on first use, without I/O: from the certificates a server presented, decide what can be trusted
 * and whether browsers will then accept the server under the name the user typed.
 */

export interface CertView {
  subject: string;
  issuer: string;
  /** "DNS:localhost", "IP:127.0.0.1"… */
  sans: string[];
  fingerprintSha256: string;
  selfSigned: boolean;
  ca: boolean;
  notBefore: string;
  notAfter: string;
}

export function parseSans(cert: X509Certificate): string[] {
  const raw = cert.subjectAltName;
  if (!raw) return [];
  return raw.split(/,\s*/).map((s) => s.replace(/^IP Address:/, 'IP:')).filter((s) => /^(DNS|IP|email):/.test(s));
}

export function viewCert(cert: X509Certificate): CertView {
  return {
    subject: displayName(cert.subject),
    issuer: displayName(cert.issuer),
    sans: parseSans(cert),
    fingerprintSha256: fingerprint256(cert.raw),
    selfSigned: isSelfSigned(cert),
    ca: cert.ca,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

export type FirstUsePlan =
  | { ok: true; anchor: Anchor; reason: string }
  | { ok: false; message: string; fix: string };

/**
 * What to trust from a presented chain (leaf first): the self-signed root the server sent, or the
 * self-signed server certificate itself (a CA one as a CA, any other as a trusted peer). A chain that
 * stops below its root cannot be trusted on first use: the user must fetch the CA by other means.
 */
export function planFirstUse(chain: readonly X509Certificate[]): FirstUsePlan {
  const leaf = chain[0];
  if (!leaf) return { ok: false, message: 'The server presented no certificate.', fix: 'check that the URL points at a TLS server' };
  const root = chain.find((c, i) => i > 0 && c.ca && isSelfSigned(c));
  if (root) return { ok: true, anchor: makeAnchor(root, 'ca'), reason: `the server sent its root CA "${displayName(root.subject)}"` };
  if (isSelfSigned(leaf)) {
    return leaf.ca
      ? { ok: true, anchor: makeAnchor(leaf, 'ca'), reason: 'the server certificate is self-signed (and marked as a CA)' }
      : { ok: true, anchor: makeAnchor(leaf, 'peer'), reason: 'the server certificate is self-signed; browsers can trust it only as this one server (NSS "trusted peer")' };
  }
  const top = chain[chain.length - 1]!;
  const missing = displayName(top.issuer);
  return {
    ok: false,
    message: `The server sent a certificate signed by "${missing}" but not that CA itself, so it cannot be trusted on first use: trusting the server certificate alone would not make browsers accept it.`,
    fix: `get the CA certificate "${missing}" from the server's side (e.g. docker cp CONTAINER:/path/to/ca.pem ./ca.pem, or tlsdock ca export there) and run: tlsdock trust install --ca ./ca.pem`,
  };
}

export interface BrowserProblem {
  id: 'no-subject-alt-name' | 'name-not-covered' | 'expired' | 'not-yet-valid' | 'name-constraint-violation';
  message: string;
  /** What Chromium shows for it. */
  chromium: string;
}

export interface BrowserOutlook {
  accepted: boolean;
  problems: BrowserProblem[];
  /** The command that fixes it, when a new certificate does. */
  fix?: string;
}

function covers(leaf: X509Certificate, host: string): boolean {
  // Browsers never fall back to the CN and accept a wildcard only as a whole left-most label.
  if (isIP(host)) return leaf.checkIP(host) !== undefined;
  return leaf.checkHost(host, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false }) !== undefined;
}

/**
 * Whether Chromium will accept `leaf` for `host` once `anchor` is trusted (the same checks it makes:
 * SAN only, validity dates, the root's name constraints), and the `tlsdock issue` command that fixes it if not.
 */
export function browserOutlook(leaf: X509Certificate, host: string, opts: { now?: Date; constraints?: NameConstraints } = {}): BrowserOutlook {
  const now = opts.now ?? new Date();
  const problems: BrowserProblem[] = [];
  const sans = parseSans(leaf);
  const dnsAndIp = sans.filter((s) => s.startsWith('DNS:') || s.startsWith('IP:'));
  if (dnsAndIp.length === 0) {
    problems.push({ id: 'no-subject-alt-name', message: `The certificate names "${displayName(leaf.subject)}" only in its CN; browsers ignore the CN.`, chromium: 'ERR_CERT_COMMON_NAME_INVALID' });
  } else if (!covers(leaf, host)) {
    problems.push({ id: 'name-not-covered', message: `The certificate is for ${dnsAndIp.map((s) => s.replace(/^(DNS|IP):/, '')).join(', ')}, not ${host}.`, chromium: 'ERR_CERT_COMMON_NAME_INVALID' });
  }
  if (now < new Date(leaf.validFrom)) problems.push({ id: 'not-yet-valid', message: `The certificate is not valid before ${new Date(leaf.validFrom).toISOString()}.`, chromium: 'ERR_CERT_DATE_INVALID' });
  if (now > new Date(leaf.validTo)) problems.push({ id: 'expired', message: `The certificate expired on ${new Date(leaf.validTo).toISOString()}.`, chromium: 'ERR_CERT_DATE_INVALID' });
  if (opts.constraints) {
    const name = { kind: isIP(host) ? 'ip' : 'dns', value: host.toLowerCase(), input: host } as const;
    if (!isPermitted(opts.constraints, name)) {
      problems.push({ id: 'name-constraint-violation', message: `The CA's name constraints do not permit ${host}.`, chromium: 'ERR_CERT_INVALID' });
    }
  }
  if (problems.length === 0) return { accepted: true, problems };
  const names = [host, ...dnsAndIp.map((s) => s.replace(/^(DNS|IP):/, ''))].filter((n, i, all) => all.indexOf(n) === i);
  const quoted = names.map((n) => (n.startsWith('*') ? `"${n}"` : n));
  return { accepted: false, problems, fix: `tlsdock issue ${quoted.join(' ')} --out certs/` };
}
