import * as fs from 'node:fs';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';
import { parseMaterial } from '../pki/material.js';
import { caPaths, tlsdockHome } from '../store/home.js';
import { readInput } from '../store/read.js';
import { chooseAnchor, type Anchor, type AnchorKind } from '../trust/anchor.js';
import { trustStores, type StoreOptions } from '../trust/index.js';
import { shellQuote } from '../trust/runner.js';
import { STORE_GROUPS, trustContext, type Detection, type Presence, type StoreGroup, type TrustContext, type TrustStore } from '../trust/store.js';

/** `--store` values: a group, or `all` (every group, including the Windows host's store under WSL). */
export type StoreSelection = StoreGroup | 'all';

/** What `trust install` touches without --store: like mkcert, the system store, NSS and Java. */
export const DEFAULT_STORE_GROUPS: readonly StoreGroup[] = ['system', 'nss', 'java'];

export interface TrustInstallOptions {
  /** $TLSDOCK_HOME, for our CA (default: tlsdockHome()). */
  home?: string;
  /** Trust this certificate file (PEM or DER) instead of our CA. */
  caFile?: string;
  stores?: readonly StoreSelection[];
  /** macOS System keychain / Windows LocalMachine instead of the user's. */
  machine?: boolean;
  /** Stand-ins for the machine (runner, privileges, env): tests use them; the CLI passes none. */
  context?: Partial<TrustContext>;
  /** Paths and programs of each store: tests point them at sandboxes; the CLI passes none. */
  storeOptions?: StoreOptions;
}

export interface AnchorSummary {
  name: string;
  subject: string;
  fingerprintSha256: string;
  kind: AnchorKind;
  /** The file it was read from. */
  source: string;
  /** The NSS nickname / file stem tlsdock uses for it. */
  label: string;
}

export type StoreOutcome =
  | 'installed' | 'already-present' | 'removed' | 'not-present' | 'kept-foreign'
  | 'present' | 'missing'
  | 'needs-root' | 'missing-tool' | 'failed' | 'not-applicable' | 'not-found';

export interface StoreReport {
  id: string;
  group: StoreGroup;
  title: string;
  path: string;
  found: boolean;
  /** Selected, found and able to hold this anchor: what `ok` is judged on. */
  expected: boolean;
  /** Whether the anchor is in the store and trusted after the command; null when it could not be checked. */
  present: boolean | null;
  /** Whether tlsdock's own entry is there. */
  ours: boolean;
  entries: string[];
  outcome: StoreOutcome;
  message?: string;
  fix?: string;
}

export interface TrustReport {
  ok: boolean;
  action: 'install' | 'uninstall' | 'status';
  anchor: AnchorSummary;
  stores: StoreReport[];
  /** Commands that finish the job (stores that need root, missing tools), one line each. */
  fixes: string[];
}

/** Read what to trust: the CA certificate in $TLSDOCK_HOME (its key is not needed), or a `--ca` file. */
export async function loadTrustAnchor(opts: { home?: string; caFile?: string }): Promise<{ anchor: Anchor; source: string }> {
  let source: string;
  if (opts.caFile) {
    source = path.resolve(opts.caFile);
  } else {
    const home = opts.home ?? tlsdockHome();
    source = caPaths(home).cert;
    if (!fs.existsSync(source)) {
      throw new TlsdockError('not-found', `There is no CA in ${home} to trust.`, { fix: 'tlsdock ca init (or give a certificate with --ca FILE)' });
    }
  }
  const material = await parseMaterial(readInput(source, 'the CA certificate'), { source });
  const choice = chooseAnchor(material.certs.map((c) => c.x509));
  if (!choice.ok) {
    throw new TlsdockError('bad-input', `${source} ${choice.message}.`, {
      fix: choice.reason === 'leaf-without-ca' ? 'give the CA certificate that signed it (e.g. copy it out of the container with docker cp), then tlsdock trust install --ca CA_FILE' : undefined,
    });
  }
  return { anchor: choice.anchor, source };
}

export function summarizeAnchor(anchor: Anchor, source: string): AnchorSummary {
  return { name: anchor.name, subject: anchor.x509.subject.replace(/\n/g, ', '), fingerprintSha256: anchor.fingerprint256, kind: anchor.kind, source, label: anchor.label };
}

function selectedGroups(stores: readonly StoreSelection[] | undefined): { groups: Set<StoreGroup>; explicit: boolean } {
  if (!stores || stores.length === 0) return { groups: new Set(DEFAULT_STORE_GROUPS), explicit: false };
  for (const s of stores) {
    if (s !== 'all' && !(STORE_GROUPS as readonly string[]).includes(s)) {
      throw new TlsdockError('usage', `--store ${s} is not a trust store group; use ${[...STORE_GROUPS, 'all'].join(', ')}.`);
    }
  }
  return { groups: new Set(stores.includes('all') ? STORE_GROUPS : (stores as StoreGroup[])), explicit: true };
}

interface Prepared {
  ctx: TrustContext;
  anchor: Anchor;
  source: string;
  stores: TrustStore[];
  groups: Set<StoreGroup>;
  explicit: boolean;
}

async function prepare(opts: TrustInstallOptions, statusView = false): Promise<Prepared> {
  const { groups, explicit } = selectedGroups(opts.stores);
  const { anchor, source } = await loadTrustAnchor(opts);
  const ctx = trustContext(opts.context);
  const all = trustStores(ctx, { machine: opts.machine, ...opts.storeOptions });
  // status without --store shows every store (those outside the default groups as information only)
  const stores = statusView && !explicit ? all : all.filter((s) => groups.has(s.group));
  return { ctx, anchor, source, stores, groups, explicit };
}

function baseRow(store: TrustStore, det: Detection, expected: boolean): StoreReport {
  return { id: store.id, group: store.group, title: store.title, path: det.path, found: det.found, expected, present: null, ours: false, entries: [], outcome: 'not-found', message: det.note };
}

function withPresence(row: StoreReport, p: Presence): StoreReport {
  return { ...row, present: p.present, ours: p.ours, entries: p.entries, ...(p.problem ? { message: p.problem.message, fix: p.problem.fix } : {}) };
}

function errorMessage(e: unknown): { message: string; fix?: string } {
  const err = e as { message?: string; fix?: string };
  return { message: err?.message ?? String(e), fix: err?.fix };
}

const PEER_NOT_APPLICABLE = 'system stores hold CA certificates; this is a single server\'s self-signed certificate (Fedora and Arch drop such anchors from their bundles). For curl, Python, Node and git use: eval "$(tlsdock trust env --ca FILE)"';

/**
 * The command that finishes what needed root, e.g. `sudo tlsdock trust install --store system --ca /…/ca.pem`.
 * It names the file: under sudo, $HOME (and so the default CA home) is root's. sudo cannot elevate a Windows
 * process, so the Windows host's LocalMachine store (WSL) needs a shell started from an elevated Windows terminal.
 */
function privilegedFix(action: 'install' | 'uninstall', groups: StoreGroup[], source: string, opts: TrustInstallOptions, ctx: TrustContext): string {
  const args = ['tlsdock', 'trust', action, ...groups.flatMap((g) => ['--store', g]), '--ca', source, ...(opts.machine ? ['--machine'] : [])];
  const line = args.map(shellQuote).join(' ');
  if (ctx.platform === 'win32') return `from an elevated (Run as administrator) prompt: ${line}`;
  if (groups.includes('windows')) return `from a WSL shell opened in an elevated (Run as administrator) Windows terminal: ${line}`;
  return `sudo ${line}`;
}

function finish(action: TrustReport['action'], p: Prepared, rows: StoreReport[], opts: TrustInstallOptions): TrustReport {
  const fixes: string[] = [];
  if (action !== 'status') {
    const rootRows = rows.filter((r) => r.outcome === 'needs-root');
    // One command for the Unix stores, another for the Windows host's (they elevate differently).
    for (const part of [rootRows.filter((r) => r.group !== 'windows'), rootRows.filter((r) => r.group === 'windows')]) {
      if (part.length === 0) continue;
      const fix = privilegedFix(action, [...new Set(part.map((r) => r.group))], p.source, opts, p.ctx);
      for (const r of part) r.fix = fix;
      fixes.push(fix);
    }
  }
  for (const r of rows) if (r.fix && !fixes.includes(r.fix)) fixes.push(r.fix);
  let ok: boolean;
  if (action === 'uninstall') ok = rows.every((r) => !r.expected || !r.ours);
  else ok = rows.every((r) => !r.expected || r.present === true);
  return { ok, action, anchor: summarizeAnchor(p.anchor, p.source), stores: rows, fixes };
}

function noStoreFound(p: Prepared, rows: StoreReport[]): void {
  if (p.explicit && rows.length > 0 && rows.every((r) => !r.found)) {
    const why = rows.map((r) => `${r.title}: ${r.message ?? 'not found'}`).join('; ');
    throw new TlsdockError('not-found', `No ${[...p.groups].join('/')} trust store was found on this machine (${why}).`);
  }
}

/** Put the anchor into every selected store the user can change; report the rest with the command that finishes the job. */
export async function trustInstall(opts: TrustInstallOptions = {}): Promise<TrustReport> {
  const p = await prepare(opts);
  const rows: StoreReport[] = [];
  for (const store of p.stores) {
    const det = await store.detect();
    const row = baseRow(store, det, det.found && store.accepts.includes(p.anchor.kind));
    rows.push(row);
    if (!det.found) continue;
    if (!store.accepts.includes(p.anchor.kind)) {
      Object.assign(row, { outcome: 'not-applicable', message: PEER_NOT_APPLICABLE });
      continue;
    }
    if (det.missingTool) {
      Object.assign(row, { outcome: 'missing-tool', message: `${det.missingTool.tool} is not installed, so ${store.title} cannot be changed`, fix: det.missingTool.install });
      continue;
    }
    try {
      const before = await store.status(p.anchor);
      if (before.present) {
        Object.assign(row, withPresence(row, before), { outcome: 'already-present' });
        continue;
      }
      if (det.needsRoot) {
        Object.assign(row, withPresence(row, before), { outcome: 'needs-root', message: `changing ${det.path} needs root` });
        continue;
      }
      await store.install(p.anchor);
      const after = await store.status(p.anchor);
      Object.assign(row, withPresence(row, after), after.present
        ? { outcome: 'installed', message: (await store.detect()).note }
        : { outcome: 'failed', message: after.problem?.message ?? `the install ran but ${store.title} does not list the certificate afterwards` });
    } catch (e) {
      Object.assign(row, { outcome: 'failed', ...errorMessage(e) });
    }
  }
  noStoreFound(p, rows);
  return finish('install', p, rows, opts);
}

/** Remove tlsdock's entry from every selected store; entries others added (same certificate, another name) stay. */
export async function trustUninstall(opts: TrustInstallOptions = {}): Promise<TrustReport> {
  const p = await prepare(opts);
  const rows: StoreReport[] = [];
  for (const store of p.stores) {
    const det = await store.detect();
    const row = baseRow(store, det, det.found);
    rows.push(row);
    if (!det.found) continue;
    if (det.missingTool) {
      Object.assign(row, { outcome: 'missing-tool', message: `${det.missingTool.tool} is not installed, so ${store.title} cannot be checked`, fix: det.missingTool.install, expected: false });
      continue;
    }
    try {
      const before = await store.status(p.anchor);
      Object.assign(row, withPresence(row, before));
      if (!before.ours) {
        Object.assign(row, before.present
          ? { outcome: 'kept-foreign', message: `present as ${before.entries.join(', ')}, which tlsdock did not add; left in place` }
          : { outcome: 'not-present', message: undefined, fix: undefined });
        continue;
      }
      if (det.needsRoot) {
        Object.assign(row, { outcome: 'needs-root', message: `changing ${det.path} needs root` });
        continue;
      }
      await store.uninstall(p.anchor);
      const after = await store.status(p.anchor);
      Object.assign(row, withPresence(row, after), after.ours
        ? { outcome: 'failed', message: `the removal ran but tlsdock's entry is still in ${store.title}` }
        : { outcome: 'removed', message: after.present ? `still trusted through ${after.entries.join(', ')}, which tlsdock did not add` : after.problem?.message });
    } catch (e) {
      Object.assign(row, { outcome: 'failed', ...errorMessage(e) });
    }
  }
  noStoreFound(p, rows);
  return finish('uninstall', p, rows, opts);
}

/** Every store on this machine: found or not, whether the anchor is in it, its path. `ok` is false when an expected store lacks it. */
export async function trustStatus(opts: TrustInstallOptions = {}): Promise<TrustReport> {
  const p = await prepare(opts, true);
  const rows: StoreReport[] = [];
  const needUser = new Set<StoreGroup>();
  const needRoot = new Set<StoreGroup>();
  for (const store of p.stores) {
    const det = await store.detect();
    const applicable = store.accepts.includes(p.anchor.kind);
    const row = baseRow(store, det, det.found && applicable && p.groups.has(store.group));
    rows.push(row);
    if (!det.found) continue;
    if (!applicable) {
      Object.assign(row, { outcome: 'not-applicable', message: PEER_NOT_APPLICABLE });
      continue;
    }
    if (det.missingTool) {
      Object.assign(row, { outcome: 'missing-tool', message: `${det.missingTool.tool} is not installed, so ${store.title} cannot be checked`, fix: det.missingTool.install });
      continue;
    }
    try {
      const pres = await store.status(p.anchor);
      Object.assign(row, withPresence(row, pres), { outcome: pres.present ? 'present' : 'missing' });
      if (!pres.present && row.expected && det.needsRoot) needRoot.add(store.group);
      else if (!pres.present && row.expected) needUser.add(store.group);
    } catch (e) {
      Object.assign(row, { outcome: 'failed', ...errorMessage(e) });
    }
  }
  const report = finish('status', p, rows, opts);
  // What `trust install` would do about the missing ones: first as the user, then with sudo.
  const installFix = (groups: Set<StoreGroup>, sudo: boolean) =>
    // Under sudo, $HOME (and so the default CA home) is root's: name the file.
    `${sudo ? 'sudo ' : ''}tlsdock trust install ${[...groups].map((g) => `--store ${g}`).join(' ')}${opts.caFile || sudo ? ` --ca ${shellQuote(p.source)}` : ''}`;
  const extra = [...(needUser.size ? [installFix(needUser, false)] : []), ...(needRoot.size ? [installFix(needRoot, true)] : [])];
  report.fixes = [...extra, ...report.fixes.filter((f) => !extra.includes(f))];
  return report;
}
