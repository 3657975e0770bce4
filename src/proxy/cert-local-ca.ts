/**
 * Short-lived certificates from the local CA, kept in memory and renewed long before they lapse.
 *
 * Why short-lived: nothing on disk to leak or forget, and a renewal path that runs every few days is a
 * path that works. Renewal happens at two thirds of the life (7 days → after ~4.7 days), checked by
 * an unref'd timer, so the proxy never needs a restart and a failed renewal has days of retries.
 * Timers run on a monotonic clock that stops while a laptop sleeps; each tick therefore compares
 * wall-clock time, and the server asks `ensureFresh()` before a handshake when the clock says the
 * certificate has lapsed.
 *
 * The names can change while the proxy runs (a laptop joins another network and gets a new LAN IP):
 * given a function for its groups, each tick asks it again and issues at once when it names something
 * the certificates in service lack, so the URL the proxy prints for the new address works without a
 * restart. A name that went away is dropped only at the next renewal (or reload): an interface that
 * blinks (Wi-Fi reconnecting, DHCP renewing, docker0 losing carrier) would otherwise cost its clients
 * a certificate without their address until the next check, and an extra name harms nobody.
 */
import * as os from 'node:os';
import { TlsdockError } from '../errors.js';
import type { KeyType } from '../pki/keys.js';
import { issueLeaf, type SigningCA } from '../pki/leaf.js';
import type { CertName } from '../pki/names.js';
import { certFacts, isLapsed, servedCertFromPem, EXPIRY_MARGIN_MS, type CertSource, type ServedCert } from './cert-source.js';
import type { EventSink, IssueReason } from './events.js';

export const DEFAULT_CERT_LIFETIME_MS = 7 * 86400_000;
export const DEFAULT_RENEW_AFTER = 2 / 3;
export const DEFAULT_RENEW_CHECK_MS = 60_000;

export interface LocalCASourceOptions {
  /** Load the signing CA. Called again at every renewal, so a CA replaced on disk is picked up. */
  loadCA: () => Promise<SigningCA>;
  /**
   * One certificate per group; the first group's is the default one (no SNI, unknown names). A
   * function is asked again at every check and renewal; new names get new certificates at once,
   * names gone are dropped at the next renewal.
   */
  groups: NameGroups | (() => NameGroups);
  lifetimeMs?: number;
  /** Fraction of the life after which a new certificate is issued. */
  renewAfter?: number;
  checkEveryMs?: number;
  keyType?: KeyType;
  events?: EventSink;
  now?: () => number;
}

export type NameGroups = readonly (readonly CertName[])[];

function nameKey(n: CertName): string {
  return `${n.kind}:${n.value}`;
}

/** Does `now` name anything `issued` lacks? Group by group (each is its own certificate); order within a group does not matter. */
export function namesAdded(issued: NameGroups, now: NameGroups): boolean {
  if (now.length !== issued.length) return true;
  return now.some((group, i) => {
    const had = new Set(issued[i]!.map(nameKey));
    return group.some((n) => !had.has(nameKey(n)));
  });
}

export class LocalCACertSource implements CertSource {
  readonly renewsItself = true;
  private certs: ServedCert[] = [];
  private issuedAt = 0;
  private issuedFor: NameGroups = [];
  private lastCA?: SigningCA;
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private readonly listeners: ((certs: readonly ServedCert[]) => void)[] = [];
  private readonly lifetimeMs: number;
  private readonly renewAfter: number;
  private readonly checkEveryMs: number;
  private readonly now: () => number;
  private readonly marginMs: number;

  constructor(private readonly opts: LocalCASourceOptions) {
    if (typeof opts.groups !== 'function') checkGroups(opts.groups);
    this.lifetimeMs = opts.lifetimeMs ?? DEFAULT_CERT_LIFETIME_MS;
    this.renewAfter = opts.renewAfter ?? DEFAULT_RENEW_AFTER;
    this.checkEveryMs = opts.checkEveryMs ?? Math.min(DEFAULT_RENEW_CHECK_MS, Math.max(50, Math.floor(this.lifetimeMs / 20)));
    this.now = opts.now ?? Date.now;
    if (!(this.lifetimeMs >= 1000)) throw new TlsdockError('usage', 'The certificate lifetime must be at least one second.');
    // Short lifetimes (tests) get a proportionally short safety margin.
    this.marginMs = Math.min(EXPIRY_MARGIN_MS, this.lifetimeMs / 10);
  }

  current(): readonly ServedCert[] {
    return this.certs;
  }

  /** When the next renewal is due (wall clock, ms). */
  renewAt(): number {
    const first = this.certs[0];
    if (!first) return 0;
    const notAfter = Math.min(...this.certs.map((c) => c.notAfter.getTime()));
    return this.issuedAt + (notAfter - this.issuedAt) * this.renewAfter;
  }

  async start(): Promise<void> {
    await this.issueAll('start');
    this.timer = setInterval(() => this.tick(), this.checkEveryMs);
    this.timer.unref();
  }

  ensureFresh(): Promise<void> {
    if (this.certs.some((c) => isLapsed(c, this.now()))) return this.renew('expired');
    return Promise.resolve();
  }

  /** Issue fresh certificates now (a manual reload). */
  renewNow(): Promise<void> {
    return this.renew('renewal');
  }

  onChange(listener: (certs: readonly ServedCert[]) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const due = this.now() >= this.renewAt();
    if (!due && !this.namesChanged()) return;
    const lapsed = this.certs.some((c) => isLapsed(c, this.now()));
    this.renew(lapsed ? 'expired' : due ? 'renewal' : 'names').catch(() => { /* reported as an event by renew() */ });
  }

  /** The groups to issue for now; throws when a group is empty (the certificates in service stay). */
  private groups(): NameGroups {
    const g = this.opts.groups;
    if (typeof g !== 'function') return g;
    const fresh = g();
    checkGroups(fresh);
    return fresh;
  }

  private namesChanged(): boolean {
    if (typeof this.opts.groups !== 'function' || this.renewing) return false;
    try {
      return namesAdded(this.issuedFor, this.groups());
    } catch {
      return false; // issueAll reports the error at the next due renewal
    }
  }

  /** One renewal at a time; a failure keeps the current certificates and is retried at the next tick. */
  private renew(reason: Exclude<IssueReason, 'start'>): Promise<void> {
    this.renewing ??= this.issueAll(reason)
      .catch((e: unknown) => {
        this.opts.events?.({ type: 'cert-renewal-failed', message: (e as Error).message, retryInMs: this.checkEveryMs });
        throw e;
      })
      .finally(() => { this.renewing = undefined; });
    return this.renewing;
  }

  private async loadCA(): Promise<SigningCA> {
    try {
      this.lastCA = await this.opts.loadCA();
    } catch (e) {
      // The CA file went missing or unreadable while we run: keep signing with the one we have.
      if (!this.lastCA) throw e;
    }
    return this.lastCA!;
  }

  private async issueAll(reason: IssueReason): Promise<void> {
    const groups = this.groups();
    const ca = await this.loadCA();
    const issuedAt = this.now();
    const fresh: ServedCert[] = [];
    for (const names of groups) {
      const leaf = await issueLeaf({
        ca,
        names,
        days: this.lifetimeMs / 86400_000,
        keyType: this.opts.keyType,
        organization: 'tlsdock proxy (short-lived)',
        organizationalUnit: `${safeUser()}@${os.hostname()}`,
        now: new Date(issuedAt),
      });
      if (leaf.notAfter.getTime() - this.marginMs <= issuedAt) {
        throw new TlsdockError('bad-input', `The local CA (${ca.cert.subject}) expired on ${ca.cert.notAfter.toISOString().slice(0, 10)}, so it cannot issue certificates any more.`, {
          fix: 'make a new CA and trust it: tlsdock ca init --force && tlsdock trust install',
        });
      }
      fresh.push(await servedCertFromPem(Buffer.from(leaf.fullchainPem), Buffer.from(leaf.keyPem!), { source: 'local-ca', now: issuedAt, marginMs: this.marginMs }));
    }
    this.certs = fresh;
    this.issuedAt = issuedAt;
    this.issuedFor = groups;
    for (const c of fresh) this.opts.events?.({ type: 'cert-issued', reason, cert: certFacts(c) });
    for (const l of this.listeners) l(fresh);
  }
}

function checkGroups(groups: NameGroups): void {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) throw new TlsdockError('internal', 'The proxy has no names to put in its certificate.');
}

function safeUser(): string {
  try { return os.userInfo().username; } catch { return 'user'; }
}
