/**
 * What the doctor reports: findings with stable ids, and the report shape `inspect` and `check`
 * share (DESIGN.md, "Machine-readable output"). Ids never change meaning once released: scripts
 * and CI match on them.
 */

export type Severity = 'error' | 'warning' | 'info';

/** Every finding id the doctor can emit, with what it means. */
export const FINDING_IDS = {
  // files and formats (inspect)
  'not-pem': 'a certificate or key is DER or PKCS#12 where Jupyter and most servers want PEM',
  'key-encrypted': 'the private key is encrypted; a server started unattended stops at "Enter PEM pass phrase"',
  'key-mismatch': 'the private key does not belong to the certificate',
  'leaf-not-first': 'the certificate the key belongs to is not the first in its file, so servers send another one',
  'no-certificate': 'nothing to judge: the files hold no certificate',
  'key-file-too-open': 'a file holding a private key can be read by other users',
  'file-unreadable': 'a file cannot be read (by us)',
  'unparsable-file': 'a file is not a certificate, key or PKCS#12 file that can be read',
  'not-readable-by-user': 'the --user that runs the server cannot read a file',
  'ca-bundle': 'the files hold only CA certificates (a bundle), so no server certificate was judged',
  'ca-not-trusted': 'a root CA in the bundle is not trusted by Chromium',
  // names
  'no-subject-alt-name': 'the certificate has no subjectAltName; browsers ignore the CN',
  'name-mismatch': 'a host name or IP is not covered by the certificate',
  'wildcard-misuse': 'a wildcard name that browsers never match',
  'ip-in-dns-name': 'an IP address written as a DNS name, which browsers never match',
  // dates
  expired: 'a certificate in the chain has expired',
  'not-yet-valid': 'a certificate in the chain is not valid yet',
  'expiring-soon': 'the certificate expires soon',
  'validity-too-long': 'the validity period is longer than browsers accept for this kind of trust',
  // chain and trust
  'chain-incomplete': 'the server does not send an intermediate certificate that the chain needs',
  'chain-out-of-order': 'the chain is not sent leaf first, then each issuer',
  'root-included': 'the chain includes the self-signed root (harmless, a few bytes more per handshake)',
  'unneeded-certificate': 'a certificate is sent that is not part of the chain',
  'untrusted-issuer': 'the chain ends at a CA that Chromium does not trust',
  'self-signed': 'the certificate is self-signed',
  'self-signed-trusted-as-ca': 'a self-signed CA:FALSE certificate is trusted as a CA (C,,) instead of as a peer (P,,)',
  distrusted: 'a certificate in the chain is explicitly distrusted in the NSS database',
  'issuer-not-a-ca': 'a certificate that signs others is not marked as a CA (basicConstraints / keyUsage)',
  'path-length-exceeded': 'a CA signs deeper than its pathLenConstraint allows',
  'name-constraint-violation': 'a name in the certificate is outside the name constraints of a CA above it',
  'weak-signature': 'a certificate is signed with SHA-1 or MD5',
  // key and usage
  'ca-leaf': 'the server certificate is marked CA:TRUE',
  'eku-no-server-auth': 'the extended key usage does not allow TLS servers',
  'key-usage-no-digital-signature': 'the key usage lacks digitalSignature, which TLS needs',
  'rsa-key-too-small': 'an RSA key is shorter than 2048 bits',
  // the live connection (check)
  'tls-version-too-old': 'the server speaks only TLS below 1.2',
  'legacy-tls-offered': 'the server still accepts TLS 1.0 or 1.1',
  'http-on-https-port': 'the port speaks plain HTTP, not TLS',
  'trust-store-unreadable': 'the NSS database Chromium reads could not be read, so the prediction may be off',
} as const;

export type FindingId = keyof typeof FINDING_IDS;

/** A Chromium net error without the NET:: prefix, e.g. 'ERR_CERT_AUTHORITY_INVALID'. */
export type ChromiumError = `ERR_${string}`;

export interface Finding {
  id: FindingId;
  severity: Severity;
  /** One sentence. */
  message: string;
  /** The command that fixes it, where one exists; else a short instruction; null when nothing needs doing. */
  fix: string | null;
  /** The error Chromium shows because of this finding alone, or null when Chromium does not mind. */
  browserError: ChromiumError | null;
}

export interface BrowserVerdict {
  /** 'OK', a Chromium net error, or null when there is no server certificate to judge (e.g. a key alone). */
  chromium: 'OK' | ChromiumError | null;
  firefox?: string;
}

/** The shape `inspect` and `check` share; each adds its own facts alongside. */
export interface DoctorReport {
  ok: boolean;
  target: string;
  browser: BrowserVerdict;
  /** The verdict as one line, for people (the CLI prints it first). */
  summary: string;
  findings: Finding[];
}

export function finding(id: FindingId, severity: Severity, message: string, fix: string | null = null, browserError: ChromiumError | null = null): Finding {
  return { id, severity, message, fix, browserError };
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then notes; stable within a severity. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings.map((f, i) => [f, i] as const).sort((a, b) => SEVERITY_ORDER[a[0].severity] - SEVERITY_ORDER[b[0].severity] || a[1] - b[1]).map(([f]) => f);
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
