/**
 * Certificates from files the user manages (`--cert F --key F`, repeatable: one pair per host name
 * for SNI, or an ECDSA and an RSA pair for the same names). The files are watched (fs.watch on the
 * folder for speed, stat polling for what fs.watch misses: symlink swaps as Kubernetes secrets do
 * them, network file systems) and read again on SIGHUP. A new pair goes into service only after it
 * has been checked; a half-written, broken, mismatched or expired one keeps the old pair serving
 * and the reason is reported.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readInput } from '../store/read.js';
import { certFacts, isLapsed, servedCertFromPem, type CertSource, type ServedCert } from './cert-source.js';
import type { EventSink } from './events.js';

export interface CertFilePair {
  cert: string;
  /** May be the same file as `cert` (a combined PEM). */
  key: string;
}

export interface FileCertSourceOptions {
  pairs: readonly CertFilePair[];
  password?: string;
  /** Stat polling interval, the fallback when fs.watch misses a change (default 2 s). */
  pollMs?: number;
  /** Wait this long after a change before reading, so that a cert and key written one after the other arrive together. */
  settleMs?: number;
  /** Warn when a certificate in service has fewer days left than this (default 7). */
  warnDays?: number;
  watch?: boolean;
  events?: EventSink;
  now?: () => number;
}

export interface ReloadResult {
  reloaded: ServedCert[];
  rejected: { files: CertFilePair; reason: string }[];
  unchanged: number;
}

interface Slot {
  files: CertFilePair;
  cert: ServedCert;
  /** Hash of the bytes in service, so that repeated change events for the same content do nothing. */
  digest: string;
  /** Hash of the last bytes refused, so that one broken file is reported once, not at every poll. */
  refusedDigest?: string;
}

export class FileCertSource implements CertSource {
  readonly renewsItself = false;
  private slots: Slot[] = [];
  private readonly listeners: ((certs: readonly ServedCert[]) => void)[] = [];
  private readonly closers: (() => void)[] = [];
  private settleTimer?: NodeJS.Timeout;
  private reloading?: Promise<ReloadResult>;
  private lastFreshCheck = 0;
  private readonly warned = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: FileCertSourceOptions) {
    this.now = opts.now ?? Date.now;
  }

  current(): readonly ServedCert[] {
    return this.slots.map((s) => s.cert);
  }

  async start(): Promise<void> {
    for (const files of this.opts.pairs) {
      const { cert, digest } = await this.read(files);
      this.slots.push({ files, cert, digest });
    }
    if (this.opts.watch !== false) this.watch();
    const timer = setInterval(() => this.warnIfExpiring(), 3600_000);
    timer.unref();
    this.closers.push(() => clearInterval(timer));
    this.warnIfExpiring();
  }

  /** Read every pair again; each one that changed and passes the checks replaces the old one. */
  reload(trigger: 'change' | 'signal' | 'request' = 'signal'): Promise<ReloadResult> {
    this.reloading ??= this.reloadNow(trigger).finally(() => { this.reloading = undefined; });
    return this.reloading;
  }

  async ensureFresh(): Promise<void> {
    // A renewed file may have been written while nobody watched (or the watcher missed it); look at most every 5 s.
    if (!this.slots.some((s) => isLapsed(s.cert, this.now())) || this.now() - this.lastFreshCheck < 5000) return;
    this.lastFreshCheck = this.now();
    await this.reload('request');
  }

  onChange(listener: (certs: readonly ServedCert[]) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    for (const close of this.closers.splice(0)) close();
    if (this.settleTimer) clearTimeout(this.settleTimer);
  }

  private async read(files: CertFilePair): Promise<{ cert: ServedCert; digest: string }> {
    const certBytes = readInput(files.cert, 'the certificate');
    const keyBytes = files.key === files.cert ? certBytes : readInput(files.key, 'the key');
    const digest = createHash('sha256').update(certBytes).update('\0').update(keyBytes).digest('hex');
    const cert = await servedCertFromPem(certBytes, keyBytes, { source: 'file', files, password: this.opts.password, now: this.now() });
    return { cert, digest };
  }

  private async reloadNow(trigger: 'change' | 'signal' | 'request'): Promise<ReloadResult> {
    const result: ReloadResult = { reloaded: [], rejected: [], unchanged: 0 };
    const next = [...this.slots];
    for (const [i, slot] of this.slots.entries()) {
      let digest: string | undefined;
      try {
        const certBytes = fs.readFileSync(slot.files.cert);
        const keyBytes = slot.files.key === slot.files.cert ? certBytes : fs.readFileSync(slot.files.key);
        digest = createHash('sha256').update(certBytes).update('\0').update(keyBytes).digest('hex');
        if (digest === slot.digest || (digest === slot.refusedDigest && trigger === 'change')) { result.unchanged++; continue; }
        const cert = await servedCertFromPem(certBytes, keyBytes, { source: 'file', files: slot.files, password: this.opts.password, now: this.now() });
        next[i] = { files: slot.files, cert, digest };
        result.reloaded.push(cert);
        this.opts.events?.({ type: 'cert-reloaded', cert: certFacts(cert), trigger });
      } catch (e) {
        const reason = describeReadError(e);
        next[i] = { ...slot, refusedDigest: digest };
        result.rejected.push({ files: slot.files, reason });
        this.opts.events?.({ type: 'cert-reload-rejected', files: slot.files, reason, keeping: certFacts(slot.cert) });
      }
    }
    this.slots = next;
    if (result.reloaded.length) {
      const certs = this.current();
      for (const l of this.listeners) l(certs);
    }
    return result;
  }

  private scheduleReload(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => { this.reload('change').catch(() => { /* reported as events */ }); }, this.opts.settleMs ?? 200);
    this.settleTimer.unref();
  }

  private watch(): void {
    const files = new Set(this.opts.pairs.flatMap((p) => [path.resolve(p.cert), path.resolve(p.key)]));
    const dirs = new Map<string, Set<string>>();
    for (const f of files) {
      const dir = path.dirname(f);
      if (!dirs.has(dir)) dirs.set(dir, new Set());
      dirs.get(dir)!.add(path.basename(f));
    }
    for (const [dir, names] of dirs) {
      try {
        // Watch the folder, not the file: editors and `mv` replace the file, and a watch on the old inode goes deaf.
        const w = fs.watch(dir, { persistent: false }, (_event, name) => {
          if (!name || names.has(name.toString()) || name.toString().startsWith('..')) this.scheduleReload();
        });
        w.on('error', () => { /* the folder went away; polling still covers the files */ });
        this.closers.push(() => w.close());
      } catch { /* no inotify (some containers): polling below */ }
    }
    const interval = this.opts.pollMs ?? 2000;
    for (const f of files) {
      const onStat = (cur: fs.Stats, prev: fs.Stats) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.scheduleReload();
      };
      fs.watchFile(f, { interval, persistent: false }, onStat);
      this.closers.push(() => fs.unwatchFile(f, onStat));
    }
  }

  private warnIfExpiring(): void {
    const warnMs = (this.opts.warnDays ?? 7) * 86400_000;
    for (const { cert } of this.slots) {
      const left = cert.notAfter.getTime() - this.now();
      const last = this.warned.get(cert.fingerprintSha256) ?? 0;
      if (left < warnMs && this.now() - last > 86400_000) {
        this.warned.set(cert.fingerprintSha256, this.now());
        this.opts.events?.({ type: 'cert-expiring', cert: certFacts(cert), daysLeft: left / 86400_000 });
      }
    }
  }
}

function describeReadError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return `${err.path ?? 'a file'} is missing`;
  if (err.code === 'EACCES' || err.code === 'EPERM') return `${err.path ?? 'a file'} cannot be read (permission denied)`;
  return err.message.replace(/\.$/, '');
}
