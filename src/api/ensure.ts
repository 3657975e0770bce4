import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';
import { createRootCA } from '../pki/ca.js';
import { isPermitted } from '../pki/constraints.js';
import { issueLeaf, MAX_LOCAL_LEAF_DAYS } from '../pki/leaf.js';
import { parseNames, type CertName } from '../pki/names.js';
import { writeFilesAtomic } from '../store/atomic.js';
import { loadOrCreateCA, type StoredCA } from '../store/ca-store.js';
import { tlsdockHome } from '../store/home.js';
import { formatDuration, parseDuration } from '../integrations/duration.js';
import { withFileLock } from '../integrations/file-lock.js';
import { localNames } from '../integrations/local-names.js';
import { applyOwner, resolveOwner, type Owner } from '../integrations/owner.js';
import { judgePair, type FileRead, type PairVerdict, type RenewReason } from '../integrations/pair-check.js';
import { constraintsFor, fingerprintSha256 } from './ca.js';

/** Short-lived by default: `ensure` renews by itself at every start, so a leaked key expires soon. */
export const ENSURE_DEFAULT_DAYS = 30;
export const ENSURE_DEFAULT_RENEW_BEFORE = '10d';

export interface EnsureOptions {
  certFile: string;
  keyFile: string;
  /** Names on top of the defaults (`--name`). */
  names?: readonly string[];
  /** Add localhost, 127.0.0.1, ::1, the host name and this machine's IPs (default true). */
  defaultNames?: boolean;
  /** The CA home (`--ca-dir`), default $TLSDOCK_HOME. */
  home?: string;
  days?: number;
  /** `10d`, `12h`, `30m`, or milliseconds. */
  renewBefore?: string | number;
  /** `--owner`: NAME, UID, NAME:GROUP, UID:GID. */
  owner?: string;
  /** For tests: the clock and the host's names. */
  now?: Date;
  hostname?: string;
  interfaces?: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  passwdFile?: string;
  groupFile?: string;
}

export type EnsureAction = 'kept' | 'renewed' | 'created';

export interface EnsureResult {
  action: EnsureAction;
  /** Why the pair was replaced; null when kept. */
  reason: RenewReason | null;
  files: { cert: string; key: string };
  names: { kind: CertName['kind']; value: string }[];
  /** Default names left out because the CA may not sign for them (it was made on another machine). */
  skippedNames: string[];
  serial: string;
  fingerprintSha256: string;
  notAfter: string;
  /** Milliseconds until the certificate expires. */
  expiresInMs: number;
  ca: { subject: string; fingerprintSha256: string; created: boolean; path: string };
  owner: { uid: number; gid: number } | null;
  /** Modes and owners that were wrong and were corrected, e.g. "key mode 0644 → 0600". */
  fixed: string[];
}

function readForCheck(file: string): FileRead {
  try {
    return { bytes: fs.readFileSync(file) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return { error: 'missing', detail: 'no such file' };
    const detail = err.code === 'EACCES' ? `permission denied for uid ${process.getuid?.() ?? '?'}` : err.code === 'EISDIR' ? 'it is a folder' : (err.code ?? err.message);
    return { error: 'unreadable', detail };
  }
}

/** Default names the CA may sign for, then the user's names (which must be permitted: issueLeaf says why not). */
function wantedNames(ca: StoredCA, opts: EnsureOptions): { names: CertName[]; skipped: string[] } {
  const explicit = parseNames(opts.names ?? []);
  const names: CertName[] = [...explicit];
  const skipped: string[] = [];
  if (opts.defaultNames !== false) {
    for (const n of localNames({ hostname: opts.hostname, interfaces: opts.interfaces })) {
      if (names.some((x) => x.kind === n.kind && x.value === n.value)) continue;
      if (isPermitted(ca.constraints, n)) names.push(n);
      else skipped.push(n.value);
    }
  }
  if (names.length === 0) throw new TlsdockError('usage', 'No names to put in the certificate: give at least one --name (or drop --no-default-names).');
  return { names, skipped };
}

function octal(mode: number): string {
  return '0' + (mode & 0o777).toString(8);
}

/** Make modes exact and apply the owner; say what had to change. */
function settle(files: { cert: string; key: string }, owner: Owner | undefined, fixed: string[], quiet: boolean): void {
  for (const [file, mode, what] of [[files.key, 0o600, 'key'], [files.cert, 0o644, 'certificate']] as const) {
    const st = fs.statSync(file);
    if ((st.mode & 0o777) !== mode) {
      try {
        fs.chmodSync(file, mode);
        if (!quiet) fixed.push(`${what} mode ${octal(st.mode)} → ${octal(mode)}`);
      } catch {
        // Not ours to change: a key others can read was already replaced (keyModeProblem); a group-readable
        // key (root:ssl-cert 0640) is an admin's deliberate choice, and a readable certificate is fine.
      }
    }
    if (owner) {
      applyOwner(file, owner);
      if (!quiet && st.uid !== owner.uid) fixed.push(`${what} owner uid ${st.uid} → ${owner.uid}`);
    }
  }
}

/** Why a key we may keep still cannot stay: every user can read it, and it belongs to someone else (so no chmod). */
function keyModeProblem(key: string): RenewReason | undefined {
  const st = fs.statSync(key);
  if ((st.mode & 0o004) === 0 || st.uid === process.getuid?.() || process.getuid?.() === 0) return undefined;
  return { id: 'key-mode', message: `the key ${key} has mode ${octal(st.mode)} and belongs to uid ${st.uid}, so it cannot be made private` };
}

/** mkdir -p, giving each folder it creates to the owner, so a later non-root start can renew in place. */
function makeFolders(dir: string, owner: Owner | undefined): void {
  let first: string | undefined;
  try {
    first = fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new TlsdockError('unwritable', `Cannot create the folder ${dir}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}.`, { fix: 'point --cert/--key at a writable folder (a volume the container user owns)', cause: e });
  }
  if (!first || !owner) return;
  for (let d = dir; d.length >= first.length; d = path.dirname(d)) {
    applyOwner(d, owner);
    if (d === first) break;
  }
}

function checkTimes(opts: EnsureOptions): { days: number; renewBeforeMs: number } {
  const days = opts.days ?? ENSURE_DEFAULT_DAYS;
  if (!Number.isFinite(days) || days <= 0) throw new TlsdockError('usage', `--days must be a positive number (got ${opts.days}).`);
  if (days > MAX_LOCAL_LEAF_DAYS) throw new TlsdockError('usage', `--days ${days} is over ${MAX_LOCAL_LEAF_DAYS}, the most Apple platforms accept; Safari and macOS would reject the certificate.`, { fix: `use --days ${MAX_LOCAL_LEAF_DAYS} or less (ensure renews by itself, so short is better)` });
  const rb = opts.renewBefore ?? ENSURE_DEFAULT_RENEW_BEFORE;
  const renewBeforeMs = typeof rb === 'number' ? rb : parseDuration(rb, '--renew-before');
  if (renewBeforeMs >= days * 86_400_000) {
    throw new TlsdockError('usage', `--renew-before ${typeof rb === 'number' ? formatDuration(rb) : rb} is not shorter than --days ${days}: every start would replace the certificate.`, { fix: `e.g. --days ${days} --renew-before ${Math.max(1, Math.floor(days / 3))}d` });
  }
  return { days, renewBeforeMs };
}

function safeUser(): string {
  try { return os.userInfo().username; } catch { return `uid${process.getuid?.() ?? ''}`; }
}

/**
 * Make sure a certificate/key pair for this machine exists, is valid for a while, covers its names
 * and comes from the CA in `home`; replace it only when it does not. A CA is created only when there
 * is none, so a CA kept on a volume keeps browsers' trust across container restarts and rebuilds.
 */
export async function ensureCert(opts: EnsureOptions): Promise<EnsureResult> {
  const files = { cert: path.resolve(opts.certFile), key: path.resolve(opts.keyFile) };
  if (files.cert === files.key) throw new TlsdockError('usage', '--cert and --key must be two different files (servers such as Jupyter take them separately).');
  const { days, renewBeforeMs } = checkTimes(opts);
  const owner = opts.owner ? resolveOwner(opts.owner, { passwd: opts.passwdFile, group: opts.groupFile }) : undefined;
  const home = opts.home ? path.resolve(opts.home) : tlsdockHome();

  const { ca, created: caCreated } = await loadOrCreateCA(home, async () => {
    const who = `${safeUser()}@${os.hostname()}`;
    return createRootCA({ commonName: `tlsdock ${who}`, organization: 'tlsdock development CA', organizationalUnit: who, constraints: constraintsFor({}) });
  });
  const caX509 = new X509Certificate(Buffer.from(ca.cert.rawData));
  const { names, skipped } = wantedNames(ca, opts);
  const now = opts.now ?? new Date();

  makeFolders(path.dirname(files.key), owner);
  makeFolders(path.dirname(files.cert), owner);
  const lock = path.join(path.dirname(files.cert), `.${path.basename(files.cert)}.tlsdock-lock`);
  return withFileLock(lock, async () => {
    const judged = await judgePair({
      cert: readForCheck(files.cert), key: readForCheck(files.key), certPath: files.cert, keyPath: files.key,
      names, caCert: caX509, now, renewBeforeMs,
    });
    const modeProblem = judged.keep ? keyModeProblem(files.key) : undefined;
    const verdict: PairVerdict = modeProblem ? { keep: false, reason: modeProblem } : judged;
    const fixed: string[] = [];
    const base = {
      files,
      names: names.map((n) => ({ kind: n.kind, value: n.value })),
      skippedNames: skipped,
      ca: { subject: ca.cert.subject, fingerprintSha256: fingerprintSha256(new Uint8Array(ca.cert.rawData)), created: caCreated, path: ca.paths.cert },
    };
    if (verdict.keep) {
      settle(files, owner, fixed, false);
      const st = fs.statSync(files.key);
      return {
        ...base, action: 'kept', reason: null, serial: verdict.serial, fingerprintSha256: verdict.fingerprint256,
        notAfter: verdict.notAfter.toISOString(), expiresInMs: verdict.notAfter.getTime() - now.getTime(),
        owner: owner ? { uid: st.uid, gid: st.gid } : null, fixed,
      };
    }
    const leaf = await issueLeaf({ ca, names, days, now, organizationalUnit: `${safeUser()}@${os.hostname()}` });
    const issued = new X509Certificate(Buffer.from(leaf.cert.rawData));
    const existedBefore = fs.existsSync(files.cert) || fs.existsSync(files.key);
    // Key first: a reader that sees the new certificate also finds its key.
    writeFilesAtomic([
      { path: files.key, data: leaf.keyPem!, mode: 0o600 },
      { path: files.cert, data: leaf.fullchainPem, mode: 0o644 },
    ], { force: true });
    settle(files, owner, fixed, true);
    const st = fs.statSync(files.key);
    return {
      ...base,
      action: existedBefore ? 'renewed' : 'created',
      reason: verdict.reason,
      serial: issued.serialNumber,
      fingerprintSha256: issued.fingerprint256,
      notAfter: leaf.notAfter.toISOString(),
      expiresInMs: leaf.notAfter.getTime() - now.getTime(),
      owner: owner ? { uid: st.uid, gid: st.gid } : null,
      fixed,
    };
  });
}
