/**
 * `up()`: the one-minute path. Make the CA if there is none, trust it in the stores this user can
 * change (and say which need root), start the HTTPS proxy to Jupyter's port with short-lived
 * certificates, and say whether anything listens there yet. Running it again reuses the CA and
 * trust; if a tlsdock proxy of this CA already serves the port, it says so instead of failing.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { TlsdockError } from '../errors.js';
import { isWildcard, parseListen, urlsFor, DEFAULT_LISTEN_PORT, UP_DEFAULT_TO, type ListenAddress } from '../proxy/address.js';
import { jupyterHint } from '../proxy/error-page.js';
import { parseBackendUrl } from '../proxy/routes.js';
import { isProxyWorker } from '../proxy/workers.js';
import { tlsdockHome } from '../store/home.js';
import type { StoreOptions, TrustContext } from '../trust/index.js';
import { fingerprintSha256 } from './ca.js';
import { ensureLocalCA, startProxy, type ProxyHandle, type ProxyOptions } from './proxy.js';
import { trustInstall, type StoreSelection, type TrustReport } from './trust.js';

export { UP_DEFAULT_TO };

export interface UpOptions extends Omit<ProxyOptions, 'certFiles' | 'keyPassword'> {
  /** Skip the trust step (default: install into the default stores: system, NSS, Java). */
  noTrust?: boolean;
  /** Limit the trust step to these store groups. */
  stores?: readonly StoreSelection[];
  /** Stand-ins for the machine in the trust step: tests point the stores at sandboxes. */
  trustContext?: Partial<TrustContext>;
  trustStoreOptions?: StoreOptions;
}

export interface UpResult {
  ca: { created: boolean; subject: string; fingerprintSha256: string; path: string };
  /** null when skipped (noTrust); `error` when the trust step could not run at all (the proxy still starts). */
  trust: TrustReport | { error: { code: string; message: string; fix: string | null } } | null;
  /**
   * refusesOtherHosts: the backend is a Jupyter that answers 403 to a Host other than localhost or a
   * loopback IP (started without --ServerApp.allow_remote_access), so the host-name and LAN URLs
   * would fail; null when nothing listens, or it is not Jupyter, or it could not be told.
   */
  backend: { url: string; listening: boolean; hint: string; refusesOtherHosts: boolean | null };
  /** A tlsdock proxy with this CA already serves the port: nothing was started. */
  alreadyRunning: { urls: string[] } | null;
  /** The running proxy (null when alreadyRunning). */
  proxy: ProxyHandle | null;
}

/** Whether something accepts TCP connections at the backend's address. */
export function isListening(url: URL, timeoutMs = 1000): Promise<boolean> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (v: boolean) => { s.destroy(); resolve(v); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** GET /api with this Host: the status, and whether the body is Jupyter's `{"version": "…"}`. */
function askApi(url: URL, host: string, timeoutMs: number): Promise<{ status: number; jupyter: boolean } | null> {
  return new Promise((resolve) => {
    const req = http.get(new URL('/api', url), { headers: { host, accept: 'application/json' }, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 4096) body += d; });
      res.on('error', () => resolve(null));
      res.on('end', () => {
        let jupyter = false;
        try { jupyter = typeof (JSON.parse(body) as { version?: unknown }).version === 'string'; } catch { /* not JSON: not Jupyter */ }
        resolve({ status: res.statusCode ?? 0, jupyter });
      });
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
  });
}

/**
 * Jupyter started without --ServerApp.allow_remote_access refuses (403) a request from loopback whose
 * Host is not local; behind the proxy, which keeps the Host header, that is every URL but localhost's.
 * Asked with a documentation address (RFC 5737) as Host, standing for a LAN IP; Jupyter's /api
 * answers `{"version": …}` to localhost without a token, which tells it from other servers. null:
 * not plain HTTP, not Jupyter (or one under a base_url), or no answer in time.
 */
export async function refusesOtherHosts(url: URL, timeoutMs = 2000): Promise<boolean | null> {
  if (url.protocol !== 'http:') return null;
  const local = await askApi(url, `localhost:${url.port || 80}`, timeoutMs);
  if (local?.status !== 200 || !local.jupyter) return null;
  const other = await askApi(url, `192.0.2.1:${url.port || 80}`, timeoutMs);
  return other?.status === 403 ? true : other?.status === 200 ? false : null;
}

/**
 * Does a server at this address present a certificate from our CA? Then it is (almost surely) our
 * proxy: the names its certificate carries (for the URLs to print), else null.
 */
function servedByOurCA(address: ListenAddress, caPem: string): Promise<string[] | null> {
  const host = isWildcard(address.host) ? '127.0.0.1' : address.host.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const s = tls.connect({ host, port: address.port, ca: caPem, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    const done = (v: string[] | null) => { s.destroy(); resolve(v); };
    s.setTimeout(2000, () => done(null));
    s.once('secureConnect', () => done(s.authorized ? sanNames(s.getPeerX509Certificate()?.subjectAltName) : null));
    s.once('error', () => done(null));
  });
}

/** "DNS:localhost, IP Address:0:0:0:0:0:0:0:1" → ['localhost', '::1'] (IPv6 in its short form, as URLs write it). */
function sanNames(san: string | undefined): string[] {
  return (san ?? '').split(', ').flatMap((entry) => {
    if (entry.startsWith('DNS:')) return [entry.slice(4)];
    if (entry.startsWith('IP Address:')) {
      const ip = entry.slice(11);
      return [ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip];
    }
    return [];
  });
}

export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const to = opts.to ?? (opts.routes?.length ? undefined : UP_DEFAULT_TO);
  const listen = opts.listen?.length ? opts.listen : [String(DEFAULT_LISTEN_PORT)];
  const proxyOpts: ProxyOptions = { ...opts, to, listen };
  if (isProxyWorker()) {
    // A --workers process: the primary did the CA and trust steps.
    const proxy = await startProxy(proxyOpts);
    return { ca: { created: false, subject: '', fingerprintSha256: '', path: '' }, trust: null, backend: { url: to ?? '', listening: false, hint: '', refusesOtherHosts: null }, alreadyRunning: null, proxy };
  }
  const backendUrl = to ? parseBackendUrl(to) : undefined;
  for (const l of listen) parseListen(l); // usage errors before anything is created
  const home = opts.home ?? tlsdockHome();

  const { ca, created } = await ensureLocalCA(home);
  const caFacts = { created, subject: ca.cert.subject, fingerprintSha256: fingerprintSha256(new Uint8Array(ca.cert.rawData)), path: ca.paths.cert };

  let trust: UpResult['trust'] = null;
  if (!opts.noTrust) {
    try {
      trust = await trustInstall({ home, stores: opts.stores, context: opts.trustContext, storeOptions: opts.trustStoreOptions });
    } catch (e) {
      if (!(e instanceof TlsdockError)) throw e;
      trust = { error: { code: e.code, message: e.message, fix: e.fix ?? null } };
    }
  }

  const listening = backendUrl ? await isListening(backendUrl) : false;
  const backend = {
    url: backendUrl?.origin ?? '',
    listening,
    hint: backendUrl ? jupyterHint(backendUrl) : '',
    refusesOtherHosts: backendUrl && listening ? await refusesOtherHosts(backendUrl) : null,
  };

  let proxy: ProxyHandle;
  try {
    proxy = await startProxy({ ...proxyOpts, home });
  } catch (e) {
    const first = parseListen(listen[0]!);
    const names = e instanceof TlsdockError && /already in use/.test(e.message) && first.port !== 0 ? await servedByOurCA(first, ca.certPem) : null;
    if (names) return { ca: caFacts, trust, backend, alreadyRunning: { urls: urlsFor([first], names) }, proxy: null };
    throw e;
  }
  return { ca: caFacts, trust, backend, alreadyRunning: null, proxy };
}
