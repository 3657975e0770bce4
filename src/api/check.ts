import { CertInfo } from '../diagnose/cert-info.js';
import type { FixContext } from '../diagnose/context.js';
import { buildReport, judgeServerCertificate, summarizePath, type CertificateSummary } from '../diagnose/doctor.js';
import type { DoctorReport } from '../diagnose/findings.js';
import { issueCommand, namesToIssue, parseHost } from '../diagnose/names.js';
import { transportFindings } from '../diagnose/transport.js';
import type { TrustAnchors } from '../diagnose/trust.js';
import { observeServer } from '../net/observe.js';
import { parseTarget } from '../net/probe.js';
import { loadTrustAnchors } from './anchors.js';

export interface CheckOptions {
  /** https://host:port/ or host:port. */
  url: string;
  /** Dial this address but judge the URL's host (SNI and name), like curl --connect-to. */
  connectTo?: string;
  caFiles?: readonly string[];
  timeoutMs?: number;
  now?: Date;
  /** For $HOME (the NSS database Chromium reads) and $TLSDOCK_HOME. */
  env?: NodeJS.ProcessEnv;
  trust?: TrustAnchors;
}

export interface CheckResult extends DoctorReport {
  tls: {
    address: string;
    protocol: string | null;
    alpn: string | null;
    cipher: string | null;
    /** 'TLSv1'/'TLSv1.1' when the server still accepts it. */
    legacyProtocol: string | null;
    /** 'as-sent': the chain below is in the server's order; 'linked': TLS 1.3 only, so in Node's issuer order. */
    chainOrder: 'as-sent' | 'linked';
    /** How many certificates the server sent. */
    sent: number;
  };
  /** The chain as judged, leaf first. */
  certificates: CertificateSummary[];
}

/** Connect to a live server, read what it presents, and predict what Chromium will show. */
export async function check(opts: CheckOptions): Promise<CheckResult> {
  const t = parseTarget(opts.url);
  const [facts, trust] = await Promise.all([
    observeServer({ host: t.host, port: t.port, connectTo: opts.connectTo, timeoutMs: opts.timeoutMs }),
    opts.trust ? Promise.resolve(opts.trust) : loadTrustAnchors({ env: opts.env, caFiles: opts.caFiles }),
  ]);
  const host = parseHost(t.host);
  const findings = transportFindings(facts);
  const tlsFacts = { address: facts.address, protocol: facts.protocol, alpn: facts.alpn, cipher: facts.cipher, legacyProtocol: facts.legacyProtocol, chainOrder: facts.order, sent: facts.chain.length };
  const chain = facts.chain.map((c, i) => new CertInfo(c, facts.order === 'as-sent' ? `sent by the server (#${i + 1})` : 'sent by the server'));
  const leaf = chain[0];
  if (!leaf) return { ...buildReport(t.url, t.url, findings, true), tls: tlsFacts, certificates: [] };
  const ctx: FixContext = { issueCommand: issueCommand(namesToIssue(leaf, [host])), url: t.url, isOurCa: (c) => trust.isOurCa(c) };
  const judged = judgeServerCertificate({ leaf, presented: chain.slice(1), hosts: [host], trust, now: opts.now ?? new Date(), ctx, judgeOrder: facts.order === 'as-sent' });
  findings.push(...judged.findings);
  return { ...buildReport(t.url, t.url, findings, true), tls: tlsFacts, certificates: summarizePath(judged.chain) };
}
