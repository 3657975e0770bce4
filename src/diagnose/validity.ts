/**
 * Dates: expired, not yet valid, expiring soon, and lifetimes longer than browsers allow.
 *
 * Chromium 156 checks the dates of every certificate in the path, the NSS trust anchor included
 * (measured: a leaf under an expired root trusted `C,,` gives ERR_CERT_DATE_INVALID), and of a leaf
 * trusted as a peer (`P,,`). The 398-day limit applies only to publicly trusted chains
 * (CertVerifyProc::HasTooLongValidity, is_issued_by_known_root); Apple platforms refuse more than
 * 825 days for any TLS certificate issued since 2019-07-01, local CAs included.
 */
import type { CertInfo } from './cert-info.js';
import { capitalize, describeCert, roleAt, type FixContext } from './context.js';
import { finding, type Finding } from './findings.js';
import type { AnchorSource } from './trust.js';

const DAY = 86400_000;
export const APPLE_MAX_DAYS = 825;
export const PUBLIC_MAX_DAYS = 398;

function days(ms: number): number {
  return Math.round(ms / DAY);
}

function ago(ms: number): string {
  const d = Math.floor(ms / DAY);
  if (d >= 1) return `${d} day${d === 1 ? '' : 's'}`;
  const h = Math.max(1, Math.floor(ms / 3600_000));
  return `${h} hour${h === 1 ? '' : 's'}`;
}

function ymd(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Chromium's HasTooLongValidity (Baseline Requirements transitions), for publicly trusted leaves. */
export function tooLongForPublicTrust(notBefore: Date, notAfter: Date): boolean {
  const start = notBefore.getTime();
  const span = notAfter.getTime() - start;
  const at = (iso: string) => Date.parse(iso);
  if (span < 0) return true;
  if (start < at('2012-07-01') && (span > (365 * 8 + 366 * 2) * DAY || notAfter.getTime() > at('2019-07-01'))) return true;
  if (start >= at('2012-07-01') && span > (365 * 3 + 366 * 2) * DAY) return true;
  if (start >= at('2015-04-01') && span > (366 + 365 + 365 + 31 + 31 + 30) * DAY) return true;
  if (start >= at('2018-03-01') && span > 825 * DAY) return true;
  if (start >= at('2020-09-01') && span > PUBLIC_MAX_DAYS * DAY) return true;
  return false;
}

/** expired / not-yet-valid for each certificate of a path whose dates Chromium checks. */
export function dateFindings(path: readonly CertInfo[], now: Date, ctx: FixContext, countsForChromium: boolean): Finding[] {
  const out: Finding[] = [];
  const t = now.getTime();
  path.forEach((cert, i) => {
    const what = describeCert(cert, roleAt(path, i));
    const err = countsForChromium ? 'ERR_CERT_DATE_INVALID' : null;
    const fix = i === 0 ? ctx.issueCommand : `renew ${what} and re-issue what it signed`;
    if (t > cert.notAfter.getTime()) {
      out.push(finding('expired', 'error', `${capitalize(what)} expired ${ago(t - cert.notAfter.getTime())} ago (${ymd(cert.notAfter)}).`, fix, err));
    } else if (t < cert.notBefore.getTime()) {
      out.push(finding('not-yet-valid', 'error', `${capitalize(what)} is not valid until ${cert.notBefore.toISOString().replace('.000', '')}, ${ago(cert.notBefore.getTime() - t)} from now (is this machine's clock right?).`, fix, err));
    }
  });
  return out;
}

/** expiring-soon and validity-too-long, for the leaf. */
export function lifetimeFindings(leaf: CertInfo, now: Date, anchor: AnchorSource | 'peer' | undefined, ctx: FixContext): Finding[] {
  const out: Finding[] = [];
  const t = now.getTime();
  const lifetime = leaf.notAfter.getTime() - leaf.notBefore.getTime();
  const left = leaf.notAfter.getTime() - t;
  // Warn in the last third of a short certificate's life, or the last 30 days of a long one.
  if (left > 0 && t >= leaf.notBefore.getTime() && left < Math.min(30 * DAY, lifetime / 3)) {
    out.push(finding('expiring-soon', 'warning', `The certificate expires in ${ago(left)} (${ymd(leaf.notAfter)}).`, ctx.issueCommand));
  }
  const span = days(lifetime);
  if (anchor === 'public' && tooLongForPublicTrust(leaf.notBefore, leaf.notAfter)) {
    out.push(finding('validity-too-long', 'error', `The certificate is valid for ${span} days; browsers accept at most ${PUBLIC_MAX_DAYS} days from a public CA.`, 'ask the CA for a certificate of at most 398 days', 'ERR_CERT_VALIDITY_TOO_LONG'));
  } else if (span > APPLE_MAX_DAYS && leaf.notBefore.getTime() >= Date.parse('2019-07-01')) {
    out.push(finding('validity-too-long', 'warning', `The certificate is valid for ${span} days; Chromium accepts that from a local CA, but Safari, iOS and macOS refuse more than ${APPLE_MAX_DAYS}.`, ctx.issueCommand));
  }
  return out;
}
