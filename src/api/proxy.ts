/**
 * `startProxy()`: the HTTPS reverse proxy as a library operation. It resolves what to serve (names,
 * routes, listen addresses), where the certificates come from (the local CA, short-lived and renewed
 * in memory; or files, watched), and runs the proxy in this process or in N worker processes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { TlsdockError } from '../errors.js';
import { localNames } from '../integrations/local-names.js';
import { createRootCA } from '../pki/ca.js';
import { isPermitted } from '../pki/constraints.js';
import type { KeyType } from '../pki/keys.js';
import { assertPermitted } from '../pki/leaf.js';
import { parseName, parseNames, type CertName } from '../pki/names.js';
import type { ProxyLog } from '../proxy/access-log.js';
import { DEFAULT_LISTEN_PORT, isWildcard, parseListen, urlChanges, urlsFor, type ListenAddress } from '../proxy/address.js';
import { FileCertSource, type CertFilePair, type ReloadResult } from '../proxy/cert-files.js';
import { DEFAULT_CERT_LIFETIME_MS, DEFAULT_RENEW_AFTER, LocalCACertSource } from '../proxy/cert-local-ca.js';
import type { CertSource } from '../proxy/cert-source.js';
import type { EventSink, ProxyEvent } from '../proxy/events.js';
import { parseBackendUrl, parseRoute, routeTable, type RouteTable } from '../proxy/routes.js';
import { startProxyServer, type ProxyServer, type ProxyTimeouts } from '../proxy/server.js';
import { serveAsWorker } from '../proxy/worker-serve.js';
import { isProxyWorker, leanWorkerEntry, reportFailureAndExit, startWorkers, type LeanWorkerConfig, type WorkerPool } from '../proxy/workers.js';
import { loadCA, loadOrCreateCA, type StoredCA } from '../store/ca-store.js';
import { caPaths, tlsdockHome } from '../store/home.js';
import { constraintsFor, fingerprintSha256 } from './ca.js';

export interface ProxyOptions {
  /** The backend for every host without its own route, e.g. http://127.0.0.1:8888. */
  to?: string;
  /** `HOST=URL`: requests for HOST go to URL (each HOST gets its own certificate, chosen by SNI). */
  routes?: readonly string[];
  /** `[HOST:]PORT`, repeatable; default `8443` on every address (IPv6 and IPv4). */
  listen?: readonly string[];
  /** Extra names for the certificate (local CA mode), beyond this machine's own. */
  names?: readonly string[];
  /** Leave out this machine's names (host name, LAN IPs); localhost and loopback stay unless `names` replace them. */
  noLocalNames?: boolean;
  /** Serve these certificate files instead of the local CA's (pairs in order: cert[i] with key[i]). */
  certFiles?: readonly CertFilePair[];
  keyPassword?: string;
  /** The CA home (default $TLSDOCK_HOME). */
  home?: string;
  keyType?: KeyType;
  /** Life of each local-CA certificate (default 7 days); renewed after 2/3 of it. */
  certLifetimeMs?: number;
  renewCheckMs?: number;
  /** `[HOST:]PORT` of a plain-HTTP listener that redirects to HTTPS. */
  redirectHttp?: string;
  /** Send Strict-Transport-Security (opt-in: a browser then refuses plain HTTP to these names for a year). */
  hsts?: boolean;
  /**
   * Serving processes (node:cluster). 0 or unset: serve in this process. N: a primary (this process:
   * certificates, renewal, file watching) and N workers; they run the lean bundle dist/proxy-worker.cjs
   * when it is there (the CLI's default is 1), else re-run this program.
   */
  workers?: number;
  /** Access and event log writer; none by default. */
  log?: ProxyLog;
  /** Every event, as data. */
  events?: EventSink;
  timeouts?: Partial<ProxyTimeouts>;
  maxHeaderBytes?: number;
  /** Stat-polling interval for certificate files (default 2 s). */
  pollMs?: number;
}

export interface ProxyCertInfo {
  names: string[];
  notAfter: string;
  fingerprintSha256: string;
  key: string;
  source: 'local-ca' | 'file';
  files?: { cert: string; key: string };
}

export interface ProxyInfo {
  /** What to open in a browser. */
  urls: string[];
  listen: ListenAddress[];
  redirect: ListenAddress | null;
  /** host '*' is the default backend (--to). */
  backends: { host: string; url: string }[];
  certificates: ProxyCertInfo[];
  /** Local-CA mode: how long each certificate lives and when the next one is made. */
  renewal: { lifetimeHours: number; renewAfterFraction: number } | null;
  ca: { subject: string; fingerprintSha256: string; path: string; created: boolean } | null;
  skippedNames: { name: string; reason: string }[];
  workers: number;
  pid: number;
}

export interface ProxyHandle {
  role: 'single' | 'primary' | 'worker';
  /** As of now: after a renewal it shows the new certificates (and URLs, when the names changed). */
  readonly info: ProxyInfo;
  /** Files: read them again now (as SIGHUP does). Local CA: issue fresh certificates now. */
  reload(): Promise<ReloadResult | null>;
  /** Graceful stop: stop accepting, finish requests in flight, close. */
  close(reason?: string): Promise<void>;
  /** Resolves once stopped; rejects when every worker process died and none could be restarted. */
  closed: Promise<void>;
}

function combineSinks(opts: ProxyOptions): EventSink {
  return (e: ProxyEvent) => {
    opts.log?.event(e);
    opts.events?.(e);
  };
}

function readCAPem(home: string): string[] {
  try {
    return [fs.readFileSync(caPaths(home).cert, 'utf8')];
  } catch {
    return [];
  }
}

/** The checked --to and --route values, as plain data (what a lean worker process is handed). */
export function routeSpecs(opts: Pick<ProxyOptions, 'to' | 'routes'>): { to?: string; routes: { host: string; url: string }[] } {
  const routes = (opts.routes ?? []).map(parseRoute);
  if (!opts.to && routes.length === 0) {
    throw new TlsdockError('usage', 'Say where to forward: --to URL (such as --to http://127.0.0.1:8888) or --route HOST=URL.');
  }
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.host)) throw new TlsdockError('usage', `--route ${r.host} is given twice.`);
    seen.add(r.host);
  }
  return { to: opts.to ? parseBackendUrl(opts.to).origin : undefined, routes: routes.map((r) => ({ host: r.host, url: r.url.origin })) };
}

/** Backends and routes from --to and --route (validated; nothing is contacted). */
export function buildRoutes(opts: Pick<ProxyOptions, 'to' | 'routes' | 'home'>): RouteTable {
  const spec = routeSpecs(opts);
  return routeTable(spec.to, spec.routes, { extraCAs: readCAPem(opts.home ?? tlsdockHome()) });
}

function parseListens(opts: ProxyOptions): ListenAddress[] {
  const list = (opts.listen?.length ? opts.listen : [String(DEFAULT_LISTEN_PORT)]).map((l) => parseListen(l));
  return list;
}

async function createDefaultCA(): Promise<{ certPem: string; keyPem: string }> {
  let user = 'user';
  try { user = os.userInfo().username; } catch { /* no passwd entry in some containers */ }
  return createRootCA({ commonName: `tlsdock ${user}@${os.hostname()}`, organization: 'tlsdock development CA', organizationalUnit: `${user}@${os.hostname()}`, constraints: constraintsFor({}) });
}

/** Load the CA in `home`, creating one (as `tlsdock issue` does) when there is none. */
export async function ensureLocalCA(home: string): Promise<{ ca: StoredCA; created: boolean }> {
  return loadOrCreateCA(home, createDefaultCA);
}

/**
 * The certificate groups for local-CA mode: the first holds this machine's names (those the CA may
 * sign for; others are skipped and reported) plus --name; each route host gets its own.
 */
export function certificateGroups(ca: StoredCA, opts: Pick<ProxyOptions, 'names' | 'noLocalNames'>, listen: readonly ListenAddress[], routeHosts: readonly string[]): { groups: CertName[][]; skipped: { name: string; reason: string }[] } {
  const explicit = parseNames(opts.names ?? []);
  assertPermitted(ca, explicit);
  const skipped: { name: string; reason: string }[] = [];
  const candidates: CertName[] = opts.noLocalNames ? parseNames(['localhost', '127.0.0.1', '::1']) : localNames();
  for (const l of listen) {
    if (!isWildcard(l.host)) {
      try { candidates.push(parseName(l.host)); } catch { /* a host name that is not a valid certificate name is reported when listening fails */ }
    }
  }
  const main: CertName[] = [];
  const add = (n: CertName) => { if (!main.some((m) => m.kind === n.kind && m.value === n.value)) main.push(n); };
  for (const n of candidates) {
    if (isPermitted(ca.constraints, n)) add(n);
    else if (!skipped.some((s) => s.name === n.value)) skipped.push({ name: n.value, reason: 'the local CA is not permitted to sign for it (its name constraints); add it with tlsdock ca init --force --permit …' });
  }
  for (const n of explicit) add(n);
  const groups = [main];
  for (const host of routeHosts) {
    const name = parseName(host);
    assertPermitted(ca, [name]);
    groups.push([name]);
  }
  return { groups, skipped };
}

function certInfo(source: CertSource): ProxyCertInfo[] {
  return source.current().map((c) => ({ names: c.names, notAfter: c.notAfter.toISOString(), fingerprintSha256: c.fingerprintSha256, key: c.key, source: c.source, ...(c.files ? { files: c.files } : {}) }));
}

function checkWorkers(n: number | undefined): number {
  const count = n ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > 256) throw new TlsdockError('usage', `--workers must be a whole number from 0 to 256 (got ${n}).`);
  return count;
}

export async function startProxy(opts: ProxyOptions): Promise<ProxyHandle> {
  if (isProxyWorker()) return runWorker(opts);
  const lean = leanWorkerEntry();
  let workers = checkWorkers(opts.workers);
  // Without the lean bundle one worker would only add a process; serve here instead.
  if (workers === 1 && !lean) workers = 0;
  const home = opts.home ?? tlsdockHome();
  const sink = combineSinks(opts);
  const listen = parseListens(opts);
  const redirectHttp = opts.redirectHttp !== undefined ? parseListen(opts.redirectHttp, '--redirect-http') : undefined;
  const routes = buildRoutes({ ...opts, home });
  const routeHosts = (opts.routes ?? []).map((r) => parseRoute(r).host);
  if (opts.certFiles?.length && (opts.names?.length || opts.keyType || opts.certLifetimeMs)) {
    throw new TlsdockError('usage', '--name, --key-type and --cert-lifetime choose what the local CA issues; with --cert/--key the names come from your certificate.');
  }

  let certs: CertSource;
  let caInfo: ProxyInfo['ca'] = null;
  let skipped: ProxyInfo['skippedNames'] = [];
  if (opts.certFiles?.length) {
    certs = new FileCertSource({ pairs: opts.certFiles, password: opts.keyPassword, pollMs: opts.pollMs, events: sink });
  } else {
    const { ca, created } = await ensureLocalCA(home);
    caInfo = { subject: ca.cert.subject, fingerprintSha256: fingerprintSha256(new Uint8Array(ca.cert.rawData)), path: ca.paths.cert, created };
    // Asked again at every renewal check: a new LAN IP gets into the certificate without a restart.
    // The first call, in certs.start() below, fails for a --name the CA may not sign for, before anything listens.
    const reported = new Set<string>();
    const groups = () => {
      const plan = certificateGroups(ca, opts, listen, routeHosts);
      skipped = plan.skipped;
      for (const s of skipped) {
        if (!reported.has(s.name)) sink({ type: 'name-skipped', name: s.name, reason: s.reason });
        reported.add(s.name);
      }
      return plan.groups;
    };
    certs = new LocalCACertSource({
      loadCA: async () => (await loadCA(home)) ?? ca,
      groups,
      lifetimeMs: opts.certLifetimeMs,
      checkEveryMs: opts.renewCheckMs,
      keyType: opts.keyType,
      events: sink,
    });
  }
  try {
    await certs.start();
  } catch (e) {
    routes.close();
    throw e;
  }

  // The URLs follow the certificates: say so when they change (a laptop that joined another network).
  const watchUrls = (addresses: readonly ListenAddress[]) => {
    let urls = urlsFor(addresses, certs.current().flatMap((c) => c.names));
    certs.onChange((now) => {
      const next = urlsFor(addresses, now.flatMap((c) => c.names));
      const { added, removed } = urlChanges(urls, next);
      urls = next;
      if (added.length || removed.length) sink({ type: 'urls-changed', urls: next, added, removed });
    });
  };
  const infoFor = (addresses: ListenAddress[], redirect: ListenAddress | undefined): ProxyInfo => ({
    urls: urlsFor(addresses, certs.current().flatMap((c) => c.names)),
    listen: addresses,
    redirect: redirect ?? null,
    backends: [
      ...(routes.fallback ? [{ host: '*', url: routes.fallback.origin }] : []),
      ...(opts.routes ?? []).map((r) => { const p = parseRoute(r); return { host: p.host, url: p.url.origin }; }),
    ],
    certificates: certInfo(certs),
    renewal: certs instanceof LocalCACertSource ? { lifetimeHours: (opts.certLifetimeMs ?? DEFAULT_CERT_LIFETIME_MS) / 3600_000, renewAfterFraction: DEFAULT_RENEW_AFTER } : null,
    ca: caInfo,
    skippedNames: skipped,
    workers,
    pid: process.pid,
  });
  const reload = async (): Promise<ReloadResult | null> => {
    if (certs instanceof FileCertSource) {
      const r = await certs.reload('signal');
      sink({ type: 'reload', trigger: 'signal', reloaded: r.reloaded.length, rejected: r.rejected.length, unchanged: r.unchanged });
      return r;
    }
    await (certs as LocalCACertSource).renewNow();
    sink({ type: 'reload', trigger: 'signal', reloaded: certs.current().length, rejected: 0, unchanged: 0 });
    return null;
  };

  if (workers > 0) {
    routes.close(); // the workers make their own connections
    const spec = routeSpecs(opts);
    const config: LeanWorkerConfig = {
      listen, redirectHttp, to: spec.to, routes: spec.routes, extraCAs: readCAPem(home), hsts: opts.hsts ?? false,
      timeouts: opts.timeouts, maxHeaderBytes: opts.maxHeaderBytes,
      log: opts.log ? { format: opts.log.format, access: opts.log.accessEnabled } : null,
    };
    let pool: WorkerPool;
    let lost: TlsdockError | undefined;
    let handle: ProxyHandle | undefined;
    try {
      pool = await startWorkers({
        count: workers, certs, events: sink, lean: lean ? { entry: lean, config } : undefined,
        onLost: (e) => { lost = e; void handle?.close('workers-lost'); },
      });
    } catch (e) {
      certs.stop();
      throw e;
    }
    let closing: Promise<void> | undefined;
    let resolveClosed!: () => void;
    let rejectClosed!: (e: TlsdockError) => void;
    const closed = new Promise<void>((resolve, reject) => { resolveClosed = resolve; rejectClosed = reject; });
    closed.catch(() => { /* a library user who never awaits it must not get an unhandled rejection */ });
    watchUrls(pool.addresses);
    handle = {
      role: 'primary',
      get info() { return infoFor(pool.addresses, pool.redirect); },
      reload,
      close(reason = 'stop') {
        closing ??= (async () => {
          sink({ type: 'shutdown', signal: reason, inFlight: null });
          await pool.close(reason, (opts.timeouts?.drainMs ?? 10_000) + 5000);
          opts.log?.flush();
          sink({ type: 'stopped' });
          if (lost) rejectClosed(lost);
          else resolveClosed();
        })();
        return closing;
      },
      closed,
    };
    return handle;
  }

  let server: ProxyServer;
  try {
    server = await startProxyServer({ listen, routes, certs, hsts: opts.hsts, redirectHttp, log: opts.log, events: sink, timeouts: opts.timeouts, maxHeaderBytes: opts.maxHeaderBytes });
  } catch (e) {
    certs.stop();
    routes.close();
    throw e;
  }
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => { resolveClosed = r; });
  watchUrls(server.addresses);
  return {
    role: 'single',
    get info() { return infoFor(server.addresses, server.redirectAddress); },
    reload,
    close: (reason) => server.close(reason).then(resolveClosed),
    closed,
  };
}

/** This program was re-run as one of the --workers (no lean bundle): serve what the primary hands over. */
async function runWorker(opts: ProxyOptions): Promise<ProxyHandle> {
  try {
    const w = await serveAsWorker({
      listen: parseListens(opts),
      redirectHttp: opts.redirectHttp !== undefined ? parseListen(opts.redirectHttp, '--redirect-http') : undefined,
      routes: buildRoutes(opts),
      hsts: opts.hsts,
      log: opts.log,
      timeouts: opts.timeouts,
      maxHeaderBytes: opts.maxHeaderBytes,
    });
    return {
      role: 'worker',
      info: { urls: [], listen: w.server.addresses, redirect: w.server.redirectAddress ?? null, backends: [], certificates: [], renewal: null, ca: null, skippedNames: [], workers: 0, pid: process.pid },
      reload: async () => null,
      close: w.close,
      closed: w.closed,
    };
  } catch (e) {
    return reportFailureAndExit(e);
  }
}
