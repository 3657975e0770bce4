/**
 * `--workers N`: one primary process and N worker processes (node:cluster), each running the whole
 * proxy on the shared listening sockets; the primary hands out connections.
 *
 * The primary owns the certificates (it alone reads the CA key, issues and renews, or watches the
 * files) and sends every change to the workers, together with one set of TLS session-ticket keys so
 * that a session resumed on another worker still resumes. Workers re-run the same program (the CLI,
 * or the library user's script) and recognise themselves by TLSDOCK_PROXY_WORKER. A worker that dies
 * is replaced; on stop the primary tells every worker to drain and waits for them.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { TlsdockError, type ErrorCode } from '../errors.js';
import type { LogFormat } from './access-log.js';
import type { ListenAddress } from './address.js';
import type { ProxyTimeouts } from './server.js';
import { isLapsed, servedCertFromPem, type CertSource, type ServedCert } from './cert-source.js';
import type { EventSink } from './events.js';
import { workerExecArgv, workerMallocTunables } from './worker-memory.js';

export const WORKER_ENV = 'TLSDOCK_PROXY_WORKER';
export const WORKER_CONFIG_ENV = 'TLSDOCK_PROXY_WORKER_CONFIG';
export const WORKER_ENTRY_ENV = 'TLSDOCK_PROXY_WORKER_ENTRY';

/**
 * Everything a lean worker needs to serve, as plain data (it arrives in an environment variable).
 * Lean workers run dist/proxy-worker.cjs, which holds only the data path: no certificate-making code,
 * no @peculiar/x509 (loading it slows large transfers down, see cert-source.ts), a smaller heap.
 */
export interface LeanWorkerConfig {
  listen: ListenAddress[];
  redirectHttp?: ListenAddress;
  to?: string;
  routes: { host: string; url: string }[];
  extraCAs: string[];
  hsts: boolean;
  timeouts?: Partial<ProxyTimeouts>;
  maxHeaderBytes?: number;
  log: { format: LogFormat; access: boolean } | null;
}

/**
 * The lean worker bundle next to the CLI's (bin/../dist/proxy-worker.cjs), when it was built with it;
 * $TLSDOCK_PROXY_WORKER_ENTRY overrides. One older than the CLI bundle is a leftover of an earlier
 * build and is not used (it would serve with old code): the proxy then serves in-process.
 */
export function leanWorkerEntry(): string | undefined {
  const override = process.env[WORKER_ENTRY_ENV];
  if (override) return existsSync(override) ? override : undefined;
  if (!process.argv[1]) return undefined;
  const dist = path.join(path.dirname(process.argv[1]), '..', 'dist');
  const entry = path.join(dist, 'proxy-worker.cjs');
  try {
    const cli = statSync(path.join(dist, 'tlsdock.cjs')).mtimeMs;
    return statSync(entry).mtimeMs >= cli - 60_000 ? entry : undefined;
  } catch {
    return undefined;
  }
}

export function readWorkerConfig(): LeanWorkerConfig {
  const text = process.env[WORKER_CONFIG_ENV];
  if (!text) throw new TlsdockError('internal', `A proxy worker started without ${WORKER_CONFIG_ENV}.`);
  return JSON.parse(text) as LeanWorkerConfig;
}

export function isProxyWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_ENV] === '1';
}

interface WireCert {
  certPem: string;
  keyPem: string;
  source: ServedCert['source'];
  files?: ServedCert['files'];
  marginMs?: number;
}

type ToWorker =
  | { tlsdock: 'certs'; certs: WireCert[]; renewsItself: boolean; ticketKeys: string }
  | { tlsdock: 'stop'; reason: string };

type ToPrimary =
  | { tlsdock: 'hello' }
  | { tlsdock: 'listening'; addresses: ListenAddress[]; redirect?: ListenAddress }
  | { tlsdock: 'failed'; code: ErrorCode; message: string; fix?: string }
  | { tlsdock: 'renew' };

function isMessage<T extends { tlsdock: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { tlsdock?: unknown }).tlsdock === 'string';
}

function wire(certs: readonly ServedCert[]): WireCert[] {
  return certs.map((c) => ({ certPem: c.certPem, keyPem: c.keyPem, source: c.source, files: c.files, marginMs: c.marginMs }));
}

// ---------------------------------------------------------------------------------------------
// Worker side
// ---------------------------------------------------------------------------------------------

/** The certificates as the primary last sent them. */
export class RemoteCertSource implements CertSource {
  renewsItself = true;
  ticketKeys?: Buffer;
  private certs: ServedCert[] = [];
  private readonly listeners: ((certs: readonly ServedCert[]) => void)[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly onMessage = (m: unknown) => {
    if (!isMessage<ToWorker>(m) || m.tlsdock !== 'certs') return;
    void this.accept(m);
  };

  constructor() {
    process.on('message', this.onMessage);
  }

  private async accept(m: Extract<ToWorker, { tlsdock: 'certs' }>): Promise<void> {
    const parsed: ServedCert[] = [];
    for (const w of m.certs) {
      parsed.push(await servedCertFromPem(Buffer.from(w.certPem), Buffer.from(w.keyPem), { source: w.source, files: w.files, marginMs: w.marginMs, checkValidity: false }));
    }
    this.certs = parsed;
    this.renewsItself = m.renewsItself;
    this.ticketKeys = Buffer.from(m.ticketKeys, 'base64');
    for (const l of this.listeners) l(parsed);
    for (const w of this.waiting.splice(0)) w();
  }

  current(): readonly ServedCert[] {
    return this.certs;
  }

  private next(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TlsdockError('internal', 'The proxy worker got no certificate from the primary process.')), timeoutMs);
      timer.unref();
      this.waiting.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  start(): Promise<void> {
    if (this.certs.length) return Promise.resolve();
    const first = this.next(30_000);
    // Ask only now that we listen: a message that arrives before a 'message' listener exists is lost.
    send({ tlsdock: 'hello' });
    return first;
  }

  ensureFresh(): Promise<void> {
    if (!this.certs.some((c) => isLapsed(c))) return Promise.resolve();
    send({ tlsdock: 'renew' });
    return this.next(10_000);
  }

  onChange(listener: (certs: readonly ServedCert[]) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    process.off('message', this.onMessage);
  }
}

function send(m: ToPrimary): void {
  process.send?.(m);
}

export function reportListening(addresses: ListenAddress[], redirect?: ListenAddress): void {
  send({ tlsdock: 'listening', addresses, redirect });
}

/** Tell the primary why this worker could not start, then leave. */
export function reportFailureAndExit(e: unknown): never {
  const err = e instanceof TlsdockError ? e : new TlsdockError('internal', (e as Error)?.message ?? String(e));
  process.send?.({ tlsdock: 'failed', code: err.code, message: err.message, fix: err.fix } satisfies ToPrimary, undefined, undefined, () => process.exit(2));
  setTimeout(() => process.exit(2), 2000).unref();
  // Keep the type checker honest: the process ends in one of the callbacks above.
  throw err;
}

/**
 * Run `stop` when the primary says so, or when it disappears. Ctrl-C (and a closing terminal's
 * SIGHUP) reach every process of the group: the primary coordinates, the workers ignore them.
 */
export function onStopRequest(stop: (reason: string) => void): void {
  process.on('SIGINT', () => { /* the primary decides */ });
  process.on('SIGHUP', () => { /* the primary reloads and sends the certificates */ });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('disconnect', () => stop('primary gone'));
  process.on('message', (m: unknown) => {
    if (isMessage<ToWorker>(m) && m.tlsdock === 'stop') stop(m.reason);
  });
}

// ---------------------------------------------------------------------------------------------
// Primary side
// ---------------------------------------------------------------------------------------------

export interface WorkerPool {
  addresses: ListenAddress[];
  redirect?: ListenAddress;
  count: number;
  close(reason: string, graceMs: number): Promise<void>;
}

export interface StartWorkersOptions {
  count: number;
  certs: CertSource;
  events?: EventSink;
  /** Run dist/proxy-worker.cjs with this configuration instead of re-running the CLI. */
  lean?: { entry: string; config: LeanWorkerConfig };
  /**
   * Every worker has died and none will be restarted (more than 5 exits in 30 s); nothing serves any
   * more. Called once, after start-up only (a failure before that rejects startWorkers' promise).
   */
  onLost?: (err: TlsdockError) => void;
}

export async function startWorkers(opts: StartWorkersOptions): Promise<WorkerPool> {
  if (opts.lean) {
    // One worker: let it accept by itself (no hand-off through this process); several: round-robin.
    if (opts.count === 1) cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: opts.lean.entry, args: [], execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
  }
  // Replacements get the addresses the first workers ended up on: one asked for port 0 would otherwise
  // listen on a new random port (the shared socket closes when its last worker dies).
  let leanConfig = opts.lean?.config;
  const memoryEnv = { GLIBC_TUNABLES: workerMallocTunables(process.env.GLIBC_TUNABLES) };
  const ticketKeys = randomBytes(48).toString('base64');
  const certsMessage = (): ToWorker => ({ tlsdock: 'certs', certs: wire(opts.certs.current()), renewsItself: opts.certs.renewsItself, ticketKeys });
  const workers = new Map<number, Worker>();
  let stopping = false;
  const recentExits: number[] = [];
  // Referenced on purpose: while a replacement is pending, nothing else may keep this process alive.
  const restarts = new Set<NodeJS.Timeout>();
  let firstListening: ((m: Extract<ToPrimary, { tlsdock: 'listening' }>) => void) | undefined;
  let firstFailure: ((e: TlsdockError) => void) | undefined;

  const fork = (slot: number): void => {
    const worker = cluster.fork({ [WORKER_ENV]: '1', TLSDOCK_PROXY_WORKER_SLOT: String(slot), ...(leanConfig ? { [WORKER_CONFIG_ENV]: JSON.stringify(leanConfig) } : {}), ...memoryEnv });
    workers.set(slot, worker);
    worker.on('message', (m: unknown) => {
      if (!isMessage<ToPrimary>(m)) return;
      if (m.tlsdock === 'hello') worker.send(certsMessage());
      else if (m.tlsdock === 'listening') firstListening?.(m);
      else if (m.tlsdock === 'failed') firstFailure?.(new TlsdockError(m.code, m.message, { fix: m.fix }));
      else if (m.tlsdock === 'renew') opts.certs.ensureFresh().then(() => worker.send(certsMessage()), () => { /* reported by the source */ });
    });
    worker.on('exit', (code, signal) => {
      if (workers.get(slot) === worker) workers.delete(slot);
      if (stopping) return;
      if (firstListening) {
        // It never got to listen (and said nothing): starting more would fail the same way.
        firstFailure?.(new TlsdockError('internal', `A proxy worker process exited (${signal ?? `code ${code}`}) before it could listen; run with --workers 0 to see the error in this process.`));
        return;
      }
      const now = Date.now();
      recentExits.push(now);
      while (recentExits.length && recentExits[0]! < now - 30_000) recentExits.shift();
      const restarting = recentExits.length <= 5;
      opts.events?.({ type: 'worker-exit', worker: slot, code, signal, restarting });
      if (restarting) {
        const timer = setTimeout(() => { restarts.delete(timer); if (!stopping) fork(slot); }, 500);
        restarts.add(timer);
      } else if (workers.size === 0 && restarts.size === 0) {
        opts.onLost?.(new TlsdockError('internal', `Every proxy worker process died (the last: ${signal ?? `code ${code}`}), ${recentExits.length} times in 30 s; the proxy stopped.`, {
          fix: 'run it with --workers 0 to see the error in this process',
        }));
      }
    });
  };

  opts.certs.onChange(() => { for (const w of workers.values()) if (w.isConnected()) w.send(certsMessage()); });

  const ready = new Promise<Extract<ToPrimary, { tlsdock: 'listening' }>>((resolve, reject) => {
    let count = 0;
    let first: Extract<ToPrimary, { tlsdock: 'listening' }> | undefined;
    firstListening = (m) => { first ??= m; if (++count === opts.count) { firstListening = undefined; resolve(first); } };
    firstFailure = (e) => reject(e);
  });
  for (let i = 1; i <= opts.count; i++) fork(i);

  const close = async (reason: string, graceMs: number): Promise<void> => {
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    const exits = [...workers.values()].map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      if (w.isConnected()) w.send({ tlsdock: 'stop', reason } satisfies ToWorker);
      else w.process.kill('SIGTERM');
      setTimeout(() => { if (!w.isDead()) w.process.kill('SIGKILL'); }, graceMs).unref();
    }));
    await Promise.all(exits);
    opts.certs.stop();
  };

  try {
    const first = await ready;
    if (leanConfig) leanConfig = { ...leanConfig, listen: first.addresses, redirectHttp: first.redirect ?? leanConfig.redirectHttp };
    return { addresses: first.addresses, redirect: first.redirect, count: opts.count, close };
  } catch (e) {
    await close('start-up failed', 2000);
    throw e;
  }
}

