/**
 * Helpers for the proxy tests: a backend that reports what it received, an HTTPS client that trusts
 * only the given CA, and an in-process proxy in front of a backend (loopback, ephemeral ports).
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Readable } from 'node:stream';
import { parseNames } from '../../src/pki/names.js';
import { LocalCACertSource } from '../../src/proxy/cert-local-ca.js';
import { ProxyLog, type AccessEntry } from '../../src/proxy/access-log.js';
import type { ProxyEvent } from '../../src/proxy/events.js';
import { Backend, RouteTable } from '../../src/proxy/routes.js';
import { startProxyServer, type ProxyServer, type ProxyServerOptions } from '../../src/proxy/server.js';
import type { TestCA } from './pki.js';

export interface SeenRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  bodyLength: number;
  bodySha256: string;
  /** A number per backend connection: equal numbers mean the proxy reused a keep-alive connection. */
  connection: number;
}

export interface TestBackend {
  port: number;
  url: string;
  seen: SeenRequest[];
  server: http.Server;
  close(): Promise<void>;
}

/**
 * A plain-HTTP backend. By default it answers every request with JSON describing it (after reading
 * the whole body); `routes` can take over paths.
 */
export async function startBackend(routes: Record<string, http.RequestListener> = {}): Promise<TestBackend> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let nextConnection = 0;
  const ids = new WeakMap<Socket, number>();
  const server = http.createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const special = routes[path];
    if (special) return special(req, res);
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (d: Buffer) => { hash.update(d); length += d.length; });
    req.on('end', () => {
      const s: SeenRequest = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers, bodyLength: length, bodySha256: hash.digest('hex'), connection: ids.get(req.socket) ?? -1 };
      seen.push(s);
      const body = JSON.stringify(s);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-backend': 'yes', 'keep-alive': 'timeout=30' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => { ids.set(s, nextConnection++); sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port, url: `http://127.0.0.1:${port}`, seen, server,
    close: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
  };
}

export interface HttpsAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpsRequestOptions {
  ca: string | Buffer;
  method?: string;
  headers?: http.OutgoingHttpHeaders | string[];
  body?: Buffer | string | Readable;
  servername?: string;
  agent?: https.Agent | false;
  timeoutMs?: number;
  /** Judge the certificate's names for this host instead of the URL's (see viaLoopback). */
  identityHost?: string;
}

/** An HTTPS request that trusts only `ca` (never rejectUnauthorized: false). */
export function httpsRequest(url: string, opts: HttpsRequestOptions): Promise<HttpsAnswer> {
  let headers = opts.headers;
  // Node's client frames a body with neither Content-Length nor chunked for some methods (DELETE): give the length.
  if ((typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) && !Array.isArray(headers) && headers?.['content-length'] === undefined) {
    headers = { ...headers, 'content-length': Buffer.byteLength(opts.body) };
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: opts.method ?? 'GET', ca: opts.ca, headers: headers as http.OutgoingHttpHeaders, servername: opts.servername,
      agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 15_000,
      ...(opts.identityHost ? { checkServerIdentity: identityCheck(opts.identityHost) } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString()) as T });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

/** Node's own host check (SAN: DNS names, IPs), for `host` rather than the address dialled. */
export function identityCheck(host: string): (dialled: string, cert: PeerCertificate) => Error | undefined {
  return (_dialled, cert) => checkServerIdentity(host, cert);
}

/**
 * How to reach a URL that the proxy printed (https://[fd00::2]:8443/, https://box:8443/) while
 * staying on loopback: dial 127.0.0.1 on its port, send SNI only for a name (as browsers do; never
 * for an IP), send its Host header, and check the certificate's names for its host. The chain is
 * still judged against the CA; only the TCP destination differs from what a LAN client would use.
 */
export function viaLoopback(url: string): { url: string; servername?: string; headers: { host: string }; identityHost: string } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const dial = new URL(url);
  dial.hostname = '127.0.0.1';
  return { url: dial.toString(), ...(isIP(host) ? {} : { servername: host }), headers: { host: u.host }, identityHost: host };
}

export interface TestProxy {
  server: ProxyServer;
  certs: LocalCACertSource;
  port: number;
  url: (path?: string) => string;
  events: ProxyEvent[];
  access: AccessEntry[];
  close(): Promise<void>;
}

/** The proxy in this process, in front of `backend`, with a certificate from `ca` for localhost and 127.0.0.1. */
export async function startTestProxy(ca: TestCA, backendUrl: string | undefined, extra: Partial<ProxyServerOptions> & { lifetimeMs?: number; routes?: RouteTable } = {}): Promise<TestProxy> {
  const events: ProxyEvent[] = [];
  const access: AccessEntry[] = [];
  const certs = new LocalCACertSource({ loadCA: async () => ca, groups: [parseNames(['localhost', '127.0.0.1', '::1'])], events: (e) => events.push(e), lifetimeMs: extra.lifetimeMs });
  await certs.start();
  const log = new ProxyLog({ access: { write: () => true }, events: { write: () => true } });
  const record = log.request.bind(log);
  log.request = (e) => { access.push(e); record(e); };
  const server = await startProxyServer({
    listen: [{ host: '127.0.0.1', port: 0 }],
    routes: extra.routes ?? new RouteTable(backendUrl ? new Backend(new URL(backendUrl)) : undefined),
    certs,
    log,
    events: (e) => events.push(e),
    ...extra,
  });
  const port = server.addresses[0]!.port;
  return { server, certs, port, url: (p = '/') => `https://localhost:${port}${p}`, events, access, close: () => server.close() };
}
