import * as fs from 'node:fs';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';
import type { NameConstraints } from '../pki/constraints.js';
import { readNameConstraints } from '../pki/name-constraints-ext.js';
import { writeFileAtomic } from '../store/atomic.js';
import { tlsdockHome } from '../store/home.js';
import { parseTarget, probeTls } from '../net/probe.js';
import { normalizeFingerprint, type Anchor, type AnchorKind } from '../trust/anchor.js';
import { browserOutlook, planFirstUse, viewCert, type BrowserOutlook, type CertView } from '../trust/first-use.js';
import { trustInstall, type TrustInstallOptions, type TrustReport } from './trust.js';

export interface FetchPreview {
  url: string;
  host: string;
  port: number;
  /** What the server presented, leaf first. */
  certificates: CertView[];
  /** What would be trusted, or null when nothing can be (see `refused`). */
  anchor: (CertView & { kind: AnchorKind }) | null;
  /** Why this anchor. */
  reason?: string;
  refused?: { message: string; fix: string };
  /** Whether browsers will accept the server once the anchor is trusted. */
  outlook: BrowserOutlook | null;
}

export interface TrustFetchOptions extends Omit<TrustInstallOptions, 'caFile'> {
  url: string;
  /** Dial this address instead of resolving the URL's host. */
  connectTo?: string;
  timeoutMs?: number;
  /** Trust without asking. */
  yes?: boolean;
  /** Trust only if the server's certificate or the anchor has this SHA-256 fingerprint. */
  fingerprint?: string;
  /** Called once the server's certificates are read, before any decision (the CLI prints them). */
  onPreview?: (preview: FetchPreview) => void;
  /** Asked when neither `yes` nor `fingerprint` is given; without it, that is a usage error. */
  confirm?: (preview: FetchPreview) => Promise<boolean>;
}

export interface TrustFetchResult {
  ok: boolean;
  preview: FetchPreview;
  /** The user said no: nothing was installed. */
  declined: boolean;
  /** Where the anchor was kept (for `trust uninstall --ca` later). */
  savedTo: string | null;
  install: TrustReport | null;
  browsers: {
    /** True when a browser store now holds the anchor and the certificate passes browsers' checks for this host. */
    accepted: boolean;
    message: string;
    fix?: string;
  };
}

async function caConstraints(anchor: Anchor): Promise<NameConstraints | undefined> {
  if (anchor.kind !== 'ca') return undefined;
  return readNameConstraints(new Uint8Array(anchor.der));
}

function checkFingerprint(given: string, preview: FetchPreview): void {
  const want = normalizeFingerprint(given);
  if (!want) throw new TlsdockError('usage', `--fingerprint ${given} is not a SHA-256 fingerprint (64 hex digits, colons optional).`);
  const seen = [preview.certificates[0]?.fingerprintSha256, preview.anchor?.fingerprintSha256].filter((f): f is string => Boolean(f));
  if (!seen.some((f) => f.replace(/:/g, '') === want)) {
    throw new TlsdockError('bad-input', `The server's certificate (SHA-256 ${seen[0]}) does not match --fingerprint; nothing was installed.`, {
      fix: 'check that you reached the right server; compare with tlsdock ca show (or openssl x509 -fingerprint -sha256) on the server\'s side',
    });
  }
}

function browserVerdict(preview: FetchPreview, report: TrustReport): TrustFetchResult['browsers'] {
  const browserStores = report.stores.filter((s) => s.group === 'nss' || s.id.startsWith('macos:') || s.id.includes('windows:'));
  const holding = browserStores.filter((s) => s.present);
  const outlook = preview.outlook!;
  if (holding.length === 0) {
    return { accepted: false, message: 'No browser store holds it yet, so browsers will still warn.', fix: report.fixes[0] ?? 'tlsdock trust status' };
  }
  if (!outlook.accepted) {
    const why = outlook.problems.map((p) => `${p.message} (${p.chromium})`).join(' ');
    return {
      accepted: false,
      message: `Browsers will still refuse ${preview.host}: ${why} Issue a correct certificate from tlsdock's CA, serve it, and trust that CA (tlsdock trust install).`,
      fix: outlook.fix,
    };
  }
  const firefox = holding.some((s) => s.id.startsWith('nss:firefox'));
  return {
    accepted: true,
    message: `Browsers will accept https://${preview.host}:${preview.port}/ after they restart (they read trust at start-up): ${holding.map((s) => s.title).join(', ')}.${preview.anchor?.kind === 'peer' && firefox ? ' (Peer trust in Firefox was not verified by tlsdock\'s tests.)' : ''}`,
  };
}

/**
 * Trust on first use: read what the server at `url` presents, show it, ask (or check `fingerprint`),
 * keep the anchor in $TLSDOCK_HOME/trusted/ and install it like `trust install --ca`.
 */
export async function trustFetch(opts: TrustFetchOptions): Promise<TrustFetchResult> {
  const target = parseTarget(opts.url);
  const probe = await probeTls({ host: target.host, port: target.port, connectTo: opts.connectTo, timeoutMs: opts.timeoutMs });
  const plan = planFirstUse(probe.chain);
  const leaf = probe.chain[0];
  const preview: FetchPreview = {
    url: target.url,
    host: target.host,
    port: target.port,
    certificates: probe.chain.map(viewCert),
    anchor: plan.ok ? { ...viewCert(plan.anchor.x509), kind: plan.anchor.kind } : null,
    reason: plan.ok ? plan.reason : undefined,
    refused: plan.ok ? undefined : { message: plan.message, fix: plan.fix },
    outlook: plan.ok && leaf ? browserOutlook(leaf, target.host, { constraints: await caConstraints(plan.anchor) }) : null,
  };
  opts.onPreview?.(preview);
  if (!plan.ok) throw new TlsdockError('not-found', plan.message, { fix: plan.fix });

  if (opts.fingerprint !== undefined) {
    checkFingerprint(opts.fingerprint, preview);
  } else if (!opts.yes) {
    if (!opts.confirm) throw new TlsdockError('usage', 'Trusting a server needs a confirmation: not on a terminal, so pass --yes or --fingerprint SHA256.');
    if (!(await opts.confirm(preview))) {
      return { ok: false, preview, declined: true, savedTo: null, install: null, browsers: { accepted: false, message: 'Nothing was installed.' } };
    }
  }

  const home = opts.home ?? tlsdockHome();
  const savedTo = path.join(home, 'trusted', `${plan.anchor.fileStem}.pem`);
  fs.mkdirSync(path.dirname(savedTo), { recursive: true, mode: 0o700 });
  writeFileAtomic(savedTo, plan.anchor.pem, 0o644, { force: true });
  const install = await trustInstall({ home, caFile: savedTo, stores: opts.stores, machine: opts.machine, context: opts.context, storeOptions: opts.storeOptions });
  return { ok: install.ok, preview, declined: false, savedTo, install, browsers: browserVerdict(preview, install) };
}
