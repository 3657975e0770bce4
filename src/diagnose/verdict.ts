/**
 * From findings to the one error Chromium shows. Chromium reports the most serious problem only:
 * handshake failures first (they stop the connection before any certificate is judged; key usage
 * is checked by BoringSSL before the certificate verifier runs, measured), then certificate errors
 * in the order of net/cert/cert_status_flags.cc (MapCertStatusToNetError).
 */
import { type ChromiumError, type Finding } from './findings.js';

const PRIORITY: readonly string[] = [
  'ERR_SSL_PROTOCOL_ERROR',
  'ERR_SSL_VERSION_OR_CIPHER_MISMATCH',
  'ERR_SSL_KEY_USAGE_INCOMPATIBLE',
  'ERR_CERT_INVALID',
  'ERR_CERT_REVOKED',
  'ERR_CERT_AUTHORITY_INVALID',
  'ERR_CERT_COMMON_NAME_INVALID',
  'ERR_CERTIFICATE_TRANSPARENCY_REQUIRED',
  'ERR_CERT_NAME_CONSTRAINT_VIOLATION',
  'ERR_CERT_WEAK_SIGNATURE_ALGORITHM',
  'ERR_CERT_WEAK_KEY',
  'ERR_CERT_DATE_INVALID',
  'ERR_CERT_VALIDITY_TOO_LONG',
];

function rank(code: string): number {
  const i = PRIORITY.indexOf(code);
  return i < 0 ? PRIORITY.length : i;
}

/** The finding whose error Chromium will show, or undefined when it loads the page. */
export function decisiveFinding(findings: readonly Finding[]): (Finding & { browserError: ChromiumError }) | undefined {
  let best: (Finding & { browserError: ChromiumError }) | undefined;
  for (const f of findings) {
    if (f.browserError && (!best || rank(f.browserError) < rank(best.browserError))) best = f as Finding & { browserError: ChromiumError };
  }
  return best;
}

export function chromiumVerdict(findings: readonly Finding[]): 'OK' | ChromiumError {
  return decisiveFinding(findings)?.browserError ?? 'OK';
}

/** "Chromium will show NET::ERR_… for https://… — <why>", or that it will load. */
export function summaryLine(findings: readonly Finding[], what: string): string {
  const d = decisiveFinding(findings);
  if (!d) {
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    const rest = errors ? ` — but ${errors} other problem${errors === 1 ? '' : 's'} need fixing` : warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : '';
    return `Chromium will load ${what} without a certificate warning${rest}.`;
  }
  const why = d.message.replace(/\.$/, '');
  return `Chromium will show NET::${d.browserError} for ${what} — ${/^[A-Z][a-z]/.test(why) ? why.charAt(0).toLowerCase() + why.slice(1) : why}`;
}
