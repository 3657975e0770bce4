/**
 * The doctor's judgement of one server certificate (with what is presented beside it and the trust
 * anchors), and of a bundle of CA certificates; and the report both commands print.
 */
import { canonicalIp, type CertInfo } from './cert-info.js';
import { evaluateChain, type ChainResult, type TrustedBy } from './chain.js';
import type { FixContext } from './context.js';
import { hasErrors, sortFindings, finding, type DoctorReport, type Finding } from './findings.js';
import { rsaSizeFindings } from './keys.js';
import { nameFindings, type Host } from './names.js';
import { isWeakHash, signatureFindings } from './signatures.js';
import type { TrustAnchors } from './trust.js';
import { caLeafFinding, keyUsageFinding } from './usage.js';
import { chromiumVerdict, summaryLine } from './verdict.js';
import { dateFindings, lifetimeFindings } from './validity.js';

export interface ServerCertificateInput {
  leaf: CertInfo;
  presented: readonly CertInfo[];
  hosts: readonly Host[];
  trust: TrustAnchors;
  now: Date;
  ctx: FixContext;
  judgeOrder: boolean;
}

export interface ServerCertificateJudgement {
  findings: Finding[];
  chain: ChainResult;
}

export function judgeServerCertificate(input: ServerCertificateInput): ServerCertificateJudgement {
  const { leaf, ctx } = input;
  const chain = evaluateChain({ leaf, presented: input.presented, trust: input.trust, now: input.now, ctx, judgeOrder: input.judgeOrder });
  const findings = [
    ...keyUsageFinding(leaf, ctx),
    ...nameFindings(leaf, { hosts: input.hosts, issueCommand: ctx.issueCommand }),
    ...chain.findings,
    ...rsaSizeFindings(chain.path, chain.trustedBy, ctx),
    ...caLeafFinding(leaf, ctx),
    ...lifetimeFindings(leaf, input.now, chain.trustedBy, ctx),
    ...trustStoreFindings(input.trust),
  ];
  return { findings: dedupe(findings), chain };
}

/** Only CA certificates: check each on its own, and whether the roots are trusted. */
export function judgeBundle(certs: readonly CertInfo[], trust: TrustAnchors, now: Date, ctx: FixContext): Finding[] {
  const out: Finding[] = [finding('ca-bundle', 'info', `The files hold ${certs.length} CA certificate${certs.length === 1 ? '' : 's'} and no server certificate, so no browser verdict applies; each CA was checked on its own.`)];
  // A big bundle is a trust store (old roots linger there harmlessly); a small one is the user's own CA or chain.
  const trustStore = certs.length > 3;
  const asCa = (f: Finding): Finding => ({ ...f, message: f.message.replace(/^The certificate for /, 'The CA '), browserError: null, severity: trustStore && f.severity === 'error' ? 'warning' : f.severity });
  for (const c of certs) {
    const own: FixContext = { ...ctx, issueCommand: `renew the CA "${c.name}"` };
    out.push(...dateFindings([c], now, own, false).map(asCa));
    // A root's self-signature is never checked by anyone; a CA signed by another CA's key is.
    if (!c.selfIssued && isWeakHash(c.signatureHash)) out.push(...signatureFindings([c, c], own, false).map(asCa));
    out.push(...rsaSizeFindings([c], undefined, own).map(asCa));
    if (c.selfIssued && !trust.trustOf(c).anchor) {
      const ours = trust.isOurCa(c);
      const file = ctx.fileOf?.(c);
      out.push(finding('ca-not-trusted', trustStore ? 'info' : 'warning', `The root CA "${c.name}" is not trusted by Chromium: it is not in ${trust.nssDir ? `its NSS database (${trust.nssDir})` : 'any NSS database under $HOME'}${trust.inSystemStore(c) ? ' (the system store has it, which Chromium on Linux does not read)' : ''}.`,
        ours ? 'tlsdock trust install' : `tlsdock trust install --ca ${file ?? 'CA.pem'}`));
    }
  }
  return dedupe(out);
}

export function trustStoreFindings(trust: TrustAnchors): Finding[] {
  if (!trust.nssError) return [];
  return [finding('trust-store-unreadable', 'warning', `Chromium's NSS database ${trust.nssDir ?? ''} could not be read (${trust.nssError}), so the prediction assumes it trusts nothing.`, 'apt-get install libnss3-tools  (for certutil)')];
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.id}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface CertificateSummary {
  role: 'leaf' | 'intermediate' | 'root' | 'ca';
  subject: string;
  issuer: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  sha256: string;
  /** Where it came from: a file, the server, the NSS database, the public roots, --ca. */
  origin: string;
}

export function summarize(cert: CertInfo, role: CertificateSummary['role'], origin = cert.origin): CertificateSummary {
  // Node's own SAN text is enough for display, and avoids decoding every certificate of a big bundle.
  const names = (cert.x509.subjectAltName ?? '').split(', ').filter(Boolean).map((n) => (n.startsWith('IP Address:') ? canonicalIp(n.slice(11)) : n.replace(/^(DNS|email):/, '')));
  return {
    role,
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    names,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sha256: cert.fingerprint256,
    origin,
  };
}

const TRUSTED_BY: Record<TrustedBy, string> = { nss: 'the NSS database', public: 'a public root', extra: '--ca', peer: 'the NSS database (as a peer)' };

/** The path as judged: leaf first, each with where it came from. */
export function summarizePath(chain: ChainResult): CertificateSummary[] {
  return chain.path.map((c, i) => {
    const last = i === chain.path.length - 1;
    const role = i === 0 ? 'leaf' : last && c.selfIssued ? 'root' : 'intermediate';
    const origin = last && chain.trustedBy && i > 0 ? `${c.origin}; trusted via ${TRUSTED_BY[chain.trustedBy]}` : c.origin;
    return summarize(c, role, origin);
  });
}

/** The shared report: sorted findings, the Chromium verdict and the one-line summary. */
export function buildReport(target: string, visited: string, findings: readonly Finding[], judged: boolean): DoctorReport {
  const sorted = sortFindings(findings);
  const chromium = judged ? chromiumVerdict(sorted) : null;
  const summary = judged ? summaryLine(sorted, visited) : `No server certificate to judge in ${target}${hasErrors(sorted) ? ', and there are problems to fix' : ''}.`;
  return { ok: !hasErrors(sorted), target, browser: { chromium }, summary, findings: sorted };
}
