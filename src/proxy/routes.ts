/**
 * Backends and the host → backend table (`--to URL`, `--route HOST=URL`).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { isIPv6, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { TlsdockError } from '../errors.js';
import { BackendPool } from './backend-pool.js';
import { connectReading } from './backend-reads.js';

export interface BackendOptions {
  /** Extra CA certificates (PEM) to trust for https:// backends: the local CA, so a tlsdock-issued backend works. */
  extraCAs?: readonly string[];
  /** Most connections held open to this backend (in use + idle). */
  maxSockets?: number;
  /** Idle keep-alive connections kept for reuse. */
  maxFreeSockets?: number;
  maxHeaderBytes?: number;
}

/** One upstream server: where requests go and the pool of keep-alive connections to it. */
export class Backend {
  readonly url: URL;
  /** `http://127.0.0.1:8888`: what messages and the error page show. */
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  readonly secure: boolean;
  readonly pool: BackendPool;
  /** Largest response head accepted from the backend (Set-Cookie lines can be long). */
  readonly maxHeaderBytes: number;
  /** For https:// backends: the CAs to trust (in one context made once, not per connection) and the name to check. */
  private readonly tls: { context: SecureContext; servername: string | undefined } | undefined;

  constructor(url: URL, opts: BackendOptions = {}) {
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 64 * 1024;
    this.url = url;
    this.origin = url.origin;
    this.hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.secure = url.protocol === 'https:';
    this.port = Number(url.port) || (this.secure ? 443 : 80);
    const isIp = isIPv6(this.hostname) || /^[\d.]+$/.test(this.hostname);
    const ca = [...rootCertificates, ...(opts.extraCAs ?? [])];
    this.tls = this.secure ? { context: createSecureContext({ ca }), servername: isIp ? undefined : this.hostname } : undefined;
    this.pool = new BackendPool(() => this.connect(), { maxSockets: opts.maxSockets ?? 256, maxIdle: opts.maxFreeSockets ?? 64, idleTimeoutMs: 60_000 });
  }

  /** A new connection (TLS for https://), ready to be written to (writes wait for the handshake). */
  connect(): Socket {
    const socket = this.tls
      ? tlsConnect({ host: this.hostname, port: this.port, secureContext: this.tls.context, servername: this.tls.servername, ALPNProtocols: ['http/1.1'] })
      : connectReading(this.hostname, this.port);
    socket.setNoDelay(true);
    return socket;
  }

  /** A one-off connection for an upgrade (a WebSocket never goes back to the pool). */
  upgradeRequest(method: string, path: string, headers: string[], timeoutMs: number): http.ClientRequest {
    const opts: http.RequestOptions = { host: this.hostname, port: this.port, method, path, headers: headers as unknown as http.OutgoingHttpHeaders, agent: false, setHost: false, timeout: timeoutMs };
    // https.request hands its options to tls.connect, which takes the shared context (@types/node omits the field).
    if (this.tls) return https.request({ ...opts, secureContext: this.tls.context, servername: this.tls.servername } as https.RequestOptions);
    return http.request(opts);
  }

  close(): void {
    this.pool.close();
  }
}

/** Check a backend URL given by the user: http(s), a host, no path, query or credentials. */
export function parseBackendUrl(text: string, what = '--to'): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new TlsdockError('usage', `${what} ${text} is not a URL; give one such as http://127.0.0.1:8888.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TlsdockError('usage', `${what} ${text}: the backend must be http:// or https://.`);
  if (url.username || url.password) throw new TlsdockError('usage', `${what} ${text}: credentials in the URL are not supported.`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new TlsdockError('usage', `${what} ${text}: give the backend's origin only (no path); requests keep their own path.`, { fix: `${what} ${url.origin}  (for Jupyter under a prefix, set its base_url and open that path)` });
  }
  return url;
}

/** `HOST=URL` → a route. The host is matched against the request's Host header (port ignored). */
export function parseRoute(spec: string): { host: string; url: URL } {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new TlsdockError('usage', `--route ${spec}: expected HOST=URL, such as lab.ai-lab.local=http://127.0.0.1:8888.`);
  const host = spec.slice(0, eq).trim().toLowerCase().replace(/\.$/, '');
  if (!/^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(host) && !isIPv6(host.replace(/^\[|\]$/g, ''))) {
    throw new TlsdockError('usage', `--route ${spec}: "${host}" is not a host name.`);
  }
  return { host: host.replace(/^\[|\]$/g, ''), url: parseBackendUrl(spec.slice(eq + 1).trim(), `--route ${host}=`) };
}

/** The host of a Host header, lower-case, without port or IPv6 brackets. */
export function hostOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export class RouteTable {
  private readonly exact = new Map<string, Backend>();
  private readonly wildcards: { suffix: string; backend: Backend }[] = [];

  constructor(readonly fallback: Backend | undefined, routes: readonly { host: string; backend: Backend }[] = []) {
    for (const r of routes) {
      if (r.host.startsWith('*.')) this.wildcards.push({ suffix: r.host.slice(1), backend: r.backend });
      else this.exact.set(r.host, r.backend);
    }
  }

  get hasRoutes(): boolean {
    return this.exact.size + this.wildcards.length > 0;
  }

  /** The backend for a request's Host header; undefined when no route matches and there is no --to. */
  lookup(hostHeader: string | undefined): Backend | undefined {
    if (!this.hasRoutes) return this.fallback;
    const host = hostOf(hostHeader);
    const hit = this.exact.get(host);
    if (hit) return hit;
    for (const w of this.wildcards) if (host.endsWith(w.suffix) && host.length > w.suffix.length) return w.backend;
    return this.fallback;
  }

  backends(): Backend[] {
    return [...new Set([...(this.fallback ? [this.fallback] : []), ...this.exact.values(), ...this.wildcards.map((w) => w.backend)])];
  }

  close(): void {
    for (const b of this.backends()) b.close();
  }
}

/** A table from checked origins: one Backend (one connection pool) per origin, shared by the routes that use it. */
export function routeTable(to: string | undefined, routes: readonly { host: string; url: string }[], opts: BackendOptions = {}): RouteTable {
  const byOrigin = new Map<string, Backend>();
  const backendFor = (url: URL) => {
    let b = byOrigin.get(url.origin);
    if (!b) byOrigin.set(url.origin, (b = new Backend(url, opts)));
    return b;
  };
  return new RouteTable(to ? backendFor(new URL(to)) : undefined, routes.map((r) => ({ host: r.host, backend: backendFor(new URL(r.url)) })));
}
