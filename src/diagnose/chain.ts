/**
 * Build and validate the chain the way Chromium 156's path builder does, from the certificates
 * presented (sent by the server, or found in the files) and the trust anchors (NSS, public roots,
 * --ca), then say what is wrong with it.
 *
 * Issuers are linked by name and signature (`X509Certificate.verify` with the issuer's key), like
 * Chromium; not with Node's `checkIssued`, because OpenSSL's check refuses an issuer whose key
 * usage lacks keyCertSign, where Chromium builds the path and then rejects it with ERR_CERT_INVALID.
 *
 * Measured facts the model relies on (test/e2e/doctor-chromium.test.ts pins them):
 *  - NSS certificates without trust flags serve as intermediates: a server that sends only its
 *    leaf loads when the intermediate sits in NSS with ",,";
 *  - a chain sent out of order, or with its root, loads;
 *  - when no path reaches a trust anchor, only ERR_CERT_AUTHORITY_INVALID is shown, whatever else is
 *    wrong (expired, SHA-1, clientAuth-only EKU): the path errors count only on an anchored path;
 *  - an intermediate trusted `C,,` on its own is a valid anchor; one marked `p,,` is distrusted.
 */
import type { CertInfo } from './cert-info.js';
import { constraintFindings } from './constraints.js';
import { capitalize, describeCert, type FixContext } from './context.js';
import { finding, type Finding } from './findings.js';
import { signatureFindings } from './signatures.js';
import type { AnchorSource, TrustAnchors } from './trust.js';
import { caFindings, ekuFinding, selfAnchorFindings } from './usage.js';
import { dateFindings } from './validity.js';

export interface ChainInput {
  leaf: CertInfo;
  /** Certificates sent after the leaf (check) or found beside it (inspect), in that order. */
  presented: readonly CertInfo[];
  trust: TrustAnchors;
  now: Date;
  ctx: FixContext;
  /** Judge the order of `presented`: only meaningful for one list a server sends as is. */
  judgeOrder: boolean;
}

export type TrustedBy = AnchorSource | 'peer';

export interface ChainResult {
  /** The path judged: leaf first; ends at the anchor, or where no issuer could be found. */
  path: CertInfo[];
  /** How the leaf is trusted, or undefined when no path reaches a trust anchor. */
  trustedBy?: TrustedBy;
  findings: Finding[];
}

type End = 'anchor' | 'peer' | 'distrusted' | 'dead-end';
interface Candidate {
  path: CertInfo[];
  end: End;
  source?: AnchorSource;
}

const MAX_DEPTH = 8;
const MAX_PATHS = 32;

/** Every path from the leaf, depth first, trusted issuers tried first (as Chromium orders them). */
function buildPaths(leaf: CertInfo, presented: readonly CertInfo[], trust: TrustAnchors): Candidate[] {
  const bySubject = new Map<string, CertInfo[]>();
  for (const c of presented) bySubject.set(c.subject, [...(bySubject.get(c.subject) ?? []), c]);
  const out: Candidate[] = [];
  const visit = (path: CertInfo[]): void => {
    if (out.length >= MAX_PATHS) return;
    const cur = path[path.length - 1]!;
    const t = trust.trustOf(cur);
    if (path.length === 1 && t.leaf) return void out.push({ path, end: 'peer' });
    if (t.anchor) return void out.push({ path, end: 'anchor', source: t.anchor });
    if (t.distrusted) return void out.push({ path, end: 'distrusted' });
    const seen = new Set(path.map((c) => c.fingerprint256));
    const issuers = new Map<string, CertInfo>();
    for (const c of [...(bySubject.get(cur.issuer) ?? []), ...trust.candidates(cur.issuer)]) {
      if (!seen.has(c.fingerprint256) && !issuers.has(c.fingerprint256) && cur.signedBy(c)) issuers.set(c.fingerprint256, c);
    }
    if (issuers.size === 0 || path.length > MAX_DEPTH) return void out.push({ path, end: 'dead-end' });
    const ranked = [...issuers.values()].sort((a, b) => rank(trust, a) - rank(trust, b));
    for (const issuer of ranked) visit([...path, issuer]);
  };
  visit([leaf]);
  return out;
}

function rank(trust: TrustAnchors, c: CertInfo): number {
  const t = trust.trustOf(c);
  return t.anchor ? 0 : t.distrusted ? 2 : 1;
}

/** The errors Chromium finds on a path that reaches a trust anchor (or a peer-trusted leaf). */
function validate(c: Candidate, input: ChainInput, counts: boolean): Finding[] {
  const { path } = c;
  const leaf = path[0]!;
  const { ctx, now } = input;
  if (c.end === 'peer') return [...dateFindings(path, now, ctx, counts), ...ekuFinding(leaf, ctx, counts)];
  const own = path.length === 1 && c.end === 'anchor'
    ? selfAnchorFindings(leaf, input.trust.trustOf(leaf).nickname, input.trust.nssDir).map((f) => (counts ? f : { ...f, browserError: null }))
    : [];
  return [
    ...own,
    ...dateFindings(path, now, ctx, counts),
    ...signatureFindings(path, ctx, counts),
    ...ekuFinding(leaf, ctx, counts),
    ...caFindings(path, counts),
    ...constraintFindings(path, ctx, counts),
  ];
}

function blocks(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.browserError !== null);
}

export function evaluateChain(input: ChainInput): ChainResult {
  const candidates = buildPaths(input.leaf, input.presented, input.trust);
  const anchored = candidates.filter((c) => c.end === 'anchor' || c.end === 'peer');
  const judged = anchored.map((c) => ({ c, findings: validate(c, input, true) }));
  const best = judged.find((j) => !blocks(j.findings)) ?? judged[0];
  if (best) {
    const trustedBy: TrustedBy = best.c.end === 'peer' ? 'peer' : best.c.source!;
    return { path: best.c.path, trustedBy, findings: [...best.findings, ...trustNotes(best.c, input), ...structureFindings(best.c.path, input)] };
  }
  // No path reaches an anchor: Chromium shows ERR_CERT_AUTHORITY_INVALID and nothing else, but the
  // other problems are still worth fixing, so they are reported without a browser error.
  const dead = candidates.find((c) => c.end === 'distrusted') ?? [...candidates].sort((a, b) => b.path.length - a.path.length)[0]!;
  const findings = [untrustedFinding(dead, input), ...validate(dead, input, false), ...structureFindings(dead.path, input)];
  return { path: dead.path, findings };
}

/** Notes on how a trusted path is trusted, when that matters to other clients. */
function trustNotes(c: Candidate, input: ChainInput): Finding[] {
  const leaf = c.path[0]!;
  const t = input.trust.trustOf(leaf);
  if (c.end === 'peer' || (c.path.length === 1 && leaf.selfIssued)) {
    return [finding('self-signed', 'info', `The certificate is self-signed and trusted as itself in NSS (nickname "${t.nickname ?? leaf.name}"); every other browser, machine and client needs the same manual step.`,
      `for a certificate every client can trust once: ${input.ctx.issueCommand} && tlsdock trust install`)];
  }
  return [];
}

function missingIssuerFix(input: ChainInput, issuerName: string): string {
  const leafFile = input.ctx.fileOf?.(input.leaf);
  if (leafFile) return `cat ${leafFile} ISSUER.pem > ${leafFile.replace(/(\.[a-z0-9]+)?$/i, '-fullchain.pem')}  (ISSUER.pem: the certificate of "${issuerName}"; tlsdock issue writes NAME-fullchain.pem for you)`;
  return `configure the server with the full chain: its certificate followed by "${issuerName}" (for tlsdock certificates, the NAME-fullchain.pem file)`;
}

function untrustedRootFix(root: CertInfo, input: ChainInput): string {
  const { trust, ctx } = input;
  if (trust.isOurCa(root)) return 'tlsdock trust install';
  const file = ctx.fileOf?.(root);
  if (file) return `tlsdock trust install --ca ${file}`;
  if (ctx.url && input.presented.some((c) => c.fingerprint256 === root.fingerprint256)) return `tlsdock trust fetch ${ctx.url}`;
  return `get the certificate of "${root.name}" from whoever runs that CA, then: tlsdock trust install --ca CA.pem`;
}

function whereNotTrusted(input: ChainInput): string {
  const nss = input.trust.nssDir ? `Chromium's NSS database (${input.trust.nssDir})` : 'Chromium\'s NSS database (there is none under $HOME)';
  return `it is not in ${nss}, not a public CA${input.trust.hasExtra ? ', and not one of the --ca files' : ''}`;
}

/** The one finding that explains ERR_CERT_AUTHORITY_INVALID for a path that reaches no anchor. */
function untrustedFinding(c: Candidate, input: ChainInput): Finding {
  const { trust, ctx } = input;
  const last = c.path[c.path.length - 1]!;
  const leaf = c.path[0]!;
  const AUTH = 'ERR_CERT_AUTHORITY_INVALID' as const;
  if (c.end === 'distrusted') {
    const t = trust.trustOf(last);
    return finding('distrusted', 'error', `${capitalize(describeCert(last, last === leaf ? 'leaf' : 'ca'))} is explicitly distrusted in NSS (nickname "${t.nickname}", flags "${t.flags}").`,
      `certutil -M -d sql:${trust.nssDir ?? '$HOME/.pki/nssdb'} -n "${t.nickname}" -t ${last.isCA || last !== leaf ? 'C,,' : 'P,,'}  (only if you do trust it)`, AUTH);
  }
  if (last.selfIssued && last.signedBy(last)) {
    if (last === leaf) {
      return finding('self-signed', 'error', `The certificate is self-signed and Chromium does not trust it: ${whereNotTrusted(input)}.`,
        `${ctx.issueCommand} && tlsdock trust install  (a certificate from a local CA you trust once)`, AUTH);
    }
    return untrustedRoot(last, input);
  }
  // The issuer is nowhere Chromium looks. Maybe it is a root we know of that Chromium does not trust…
  const known = trust.untrustedIssuerOf(last);
  if (known) return untrustedRoot(known, input);
  const stale = trust.nssNamed(last.issuer);
  const aia = last.caIssuers.length ? ` Chromium may fetch it from ${last.caIssuers[0]}, but curl, Python and Firefox will not.` : '';
  if (stale.length > 0) {
    return finding('untrusted-issuer', 'error', `${capitalize(describeCert(last, last === leaf ? 'leaf' : 'ca'))} was signed by a CA named "${last.issuerName}", but the certificate of that name in NSS (nickname "${stale[0]!.nickname}") has another key: probably an older CA that was replaced.`,
      trust.ourCa && trust.ourCa.subject === last.issuer ? 'tlsdock trust install' : `trust the CA that really signed it: tlsdock trust install --ca CA.pem`, AUTH);
  }
  const sentOrIncluded = ctx.url ? 'the server does not send' : 'the files do not include';
  return finding('chain-incomplete', 'error', `${capitalize(describeCert(last, last === leaf ? 'leaf' : 'intermediate'))} was signed by "${last.issuerName}", which ${sentOrIncluded} and Chromium does not know: either that intermediate is missing from the chain, or "${last.issuerName}" is a CA that Chromium does not trust.${aia}`,
    `${missingIssuerFix(input, last.issuerName)}; or, if "${last.issuerName}" is a root CA: tlsdock trust install --ca CA.pem`, AUTH);
}

function untrustedRoot(root: CertInfo, input: ChainInput): Finding {
  const { trust } = input;
  const notes: string[] = [];
  if (trust.isOurCa(root)) notes.push('it is tlsdock\'s own CA, not yet installed where Chromium looks');
  else if (trust.inSystemStore(root)) notes.push('the system store trusts it (so curl and Python accept it), but Chromium on Linux reads only its NSS database');
  const stale = trust.nssNamed(root.subject).filter((n) => n.cert.fingerprint256 !== root.fingerprint256);
  if (stale.length > 0) notes.push(`NSS holds a different certificate with the same name (nickname "${stale[0]!.nickname}"), probably an older CA`);
  return finding('untrusted-issuer', 'error', `The chain ends at the root CA "${root.name}", which Chromium does not trust: ${whereNotTrusted(input)}${notes.length ? `; ${notes.join('; ')}` : ''}.`,
    untrustedRootFix(root, input), 'ERR_CERT_AUTHORITY_INVALID');
}

/** chain-incomplete (Chromium copes), chain-out-of-order, root-included, unneeded-certificate. */
function structureFindings(path: readonly CertInfo[], input: ChainInput): Finding[] {
  const out: Finding[] = [];
  const sent = new Set(input.presented.map((c) => c.fingerprint256));
  const inPath = new Set(path.map((c) => c.fingerprint256));
  const where = input.ctx.url ? 'the server does not send' : 'the files do not include';
  const unsent = path.slice(1).filter((c, i) => i < path.length - 2 || !c.selfIssued).filter((c) => !sent.has(c.fingerprint256) && !input.trust.trustOf(c).anchor);
  for (const c of unsent) {
    out.push(finding('chain-incomplete', 'warning', `${capitalize(where)} the intermediate "${c.name}"; Chromium finds it in its NSS database, but curl, Python, Firefox and other machines will fail.`, missingIssuerFix(input, c.name)));
  }
  for (const c of input.presented) {
    if (c.fingerprint256 === path[0]!.fingerprint256) continue;
    if (c.selfIssued && c.isCA) out.push(finding('root-included', 'info', `The root CA "${c.name}" is ${input.ctx.url ? 'sent' : 'included'} too; clients ignore it (they need their own copy), so it only costs bytes.`, null));
    else if (!inPath.has(c.fingerprint256)) out.push(finding('unneeded-certificate', 'info', `The certificate "${c.name}" is ${input.ctx.url ? 'sent' : 'included'} but is not part of the chain.`, null));
  }
  if (input.judgeOrder) {
    const needed = path.slice(1).filter((c) => sent.has(c.fingerprint256));
    const sentOrder = input.presented.filter((c) => c.fingerprint256 !== path[0]!.fingerprint256);
    if (needed.length > 0 && sentOrder.slice(0, needed.length).map((c) => c.fingerprint256).join() !== needed.map((c) => c.fingerprint256).join()) {
      const names = sentOrder.map((c) => `"${c.name}"`).join(', ');
      const expected = needed.map((c) => `"${c.name}"`).join(', ');
      const file = input.ctx.fileOf?.(input.leaf);
      out.push(finding('chain-out-of-order', 'warning', `After the server certificate come ${names}, but each certificate should be followed by its issuer (${expected}); Chromium copes, stricter clients do not.`,
        file ? `rewrite ${file} as the server certificate, then ${expected}` : `configure the server with its certificate, then ${expected}`));
    }
  }
  return out;
}
