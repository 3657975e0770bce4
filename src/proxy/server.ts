/**
 * The proxy as one running thing: HTTPS listeners (one per --listen address) sharing the TLS front,
 * the forwarder and the WebSocket handler; the optional HTTP→HTTPS redirect; timeouts and limits;
 * a graceful stop (stop accepting, let requests in flight finish, close tunnels, then close).
 */
import * as https from 'node:https';
import { STATUS_CODES, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import { TlsdockError } from '../errors.js';
import type { ProxyLog } from './access-log.js';
import { ANY_HOST, ipv4Fallback, type ListenAddress } from './address.js';
import { isLapsed, type CertSource } from './cert-source.js';
import type { EventSink } from './events.js';
import { createForwarder, type ForwardContext } from './forward.js';
import { IdleCollector } from './idle-gc.js';
import { createRedirectServer } from './redirect.js';
import type { RouteTable } from './routes.js';
import { TlsFront } from './tls-front.js';
import { createUpgradeHandler, type Tunnels } from './websocket.js';

export interface ProxyTimeouts {
  /** A client must send its request headers within this (slow-loris). */
  headersMs: number;
  /** An idle keep-alive connection from a client is closed after this. */
  keepAliveMs: number;
  /** No byte either way for this long, on a client connection or a backend request → closed (504 if nothing was answered yet). Bodies may take as long as they like while they move. */
  idleMs: number;
  /** Opening a connection to the backend. */
  connectMs: number;
  /** The TLS handshake. */
  handshakeMs: number;
  /** On stop: how long requests in flight may take to finish. */
  drainMs: number;
}

export const DEFAULT_TIMEOUTS: ProxyTimeouts = {
  headersMs: 30_000,
  keepAliveMs: 75_000,
  idleMs: 300_000,
  connectMs: 10_000,
  handshakeMs: 10_000,
  drainMs: 10_000,
};

/** Jupyter (Tornado) accepts 64 KiB of headers; so must we: localhost cookies from many notebook ports add up. */
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;

export const STREAM_BUFFER_BYTES = 64 * 1024;

export interface ProxyServerOptions {
  listen: readonly ListenAddress[];
  routes: RouteTable;
  /** Started already. */
  certs: CertSource;
  hsts?: boolean;
  /** Plain-HTTP listener that redirects to the first HTTPS listener's port. */
  redirectHttp?: ListenAddress;
  log?: ProxyLog;
  events?: EventSink;
  timeouts?: Partial<ProxyTimeouts>;
  maxHeaderBytes?: number;
}

export interface ProxyServer {
  /** Where it really listens (port 0 resolved). */
  addresses: ListenAddress[];
  redirectAddress?: ListenAddress;
  front: TlsFront;
  inFlight(): number;
  /** Share TLS session-ticket keys (48 bytes) with other processes serving the same listeners. */
  setTicketKeys(keys: Buffer): void;
  /** Graceful stop; resolves when everything is closed. Safe to call more than once. */
  close(reason?: string): Promise<void>;
}

function listenError(e: NodeJS.ErrnoException, l: ListenAddress, what: string): TlsdockError {
  const where = `${l.host === ANY_HOST ? '' : `${l.host}:`}${l.port}`;
  if (e.code === 'EADDRINUSE') return new TlsdockError('network', `Port ${l.port} is already in use${l.host === ANY_HOST ? '' : ` on ${l.host}`}, so the ${what} cannot listen there.`, { fix: `pick another with --listen PORT, or see what holds it: ss -ltnp 'sport = :${l.port}'` });
  if (e.code === 'EACCES') return new TlsdockError('network', `Listening on port ${l.port} needs privileges this user does not have.`, { fix: `use a port above 1023 (--listen 8443), or allow it: sudo setcap cap_net_bind_service=+ep "$(command -v node)"` });
  if (e.code === 'EADDRNOTAVAIL') return new TlsdockError('network', `${l.host} is not an address of this machine, so the ${what} cannot listen on ${where}.`, { fix: 'use an address this machine has (ip addr), or --listen PORT for all of them' });
  return new TlsdockError('network', `The ${what} cannot listen on ${where}: ${e.message}.`, { cause: e });
}

/**
 * A request the HTTP parser refuses (headers too large, too slow, malformed). Node's own handler
 * destroys the socket right after writing the status, which over TLS often loses the answer; end it
 * instead, so the client reads why.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), 2000).unref();
}

async function listenOn(server: https.Server | HttpServer, l: ListenAddress, what: string): Promise<ListenAddress> {
  const attempt = (host: string) => new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => { server.off('listening', onListening); reject(e); };
    const onListening = () => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port: l.port, ipv6Only: false });
  });
  try {
    await attempt(l.host);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const instead = ipv4Fallback(l, err.code);
    if (!instead) throw listenError(err, l, what);
    try { await attempt(instead.host); } catch (e2) { throw listenError(e2 as NodeJS.ErrnoException, l, what); }
  }
  const a = server.address() as AddressInfo;
  return { host: a.address, port: a.port };
}

export async function startProxyServer(opts: ProxyServerOptions): Promise<ProxyServer> {
  const t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const front = new TlsFront(opts.certs);
  const sockets = new Set<Socket>();
  const tunnels: Tunnels = { open: new Set() };
  let closing: Promise<void> | undefined;
  const ctx: ForwardContext = {
    routes: opts.routes,
    hsts: opts.hsts ?? false,
    timeouts: { idleMs: t.idleMs, connectMs: t.connectMs },
    log: opts.log,
    events: opts.events,
    draining: () => closing !== undefined,
    inFlight: { count: 0, started: 0 },
  };
  const collector = new IdleCollector(() => ctx.inFlight.started, () => ctx.inFlight.count > 0);
  const forward = createForwarder(ctx);
  const upgrade = createUpgradeHandler(ctx, tunnels);

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const first = opts.certs.current()[0];
    if (first && isLapsed(first)) {
      // The clock jumped past the certificate's end (a machine waking up). Renew; until then a source
      // that can renew refuses the connection rather than show an expired certificate.
      opts.certs.ensureFresh().catch(() => { /* reported by the source */ });
      if (opts.certs.renewsItself) socket.destroy();
    }
  };

  const servers: https.Server[] = [];
  const addresses: ListenAddress[] = [];
  const stopAll = () => { for (const s of servers) s.close(); };
  try {
    for (const l of opts.listen) {
      const server = https.createServer({
        ...front.serverOptions(),
        handshakeTimeout: t.handshakeMs,
        maxHeaderSize: opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
        // A whole-request deadline would kill large uploads; idle and header timeouts guard instead.
        requestTimeout: 0,
        headersTimeout: t.headersMs,
        keepAliveTimeout: t.keepAliveMs,
        // How often Node enforces headersTimeout (its default, 30 s, would let a slow client linger that long).
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(t.headersMs / 3))),
        noDelay: true,
        // 64 KiB stream buffers (Node 20's default is 16): a quarter of the pause/resume turns and TLS
        // writes on large bodies, still a bounded amount per connection.
        highWaterMark: STREAM_BUFFER_BYTES,
      }, forward);
      // Later than the backend's idle timeout, so a request waiting for a slow backend gets its 504 page.
      server.timeout = t.idleMs + 5000;
      server.on('connection', onConnection);
      server.on('upgrade', upgrade);
      server.on('clientError', answerClientError);
      // Browsers drop handshakes (a certificate they do not trust yet, a port probe): not worth a log line.
      server.on('tlsClientError', () => {});
      front.attach(server);
      servers.push(server);
      addresses.push(await listenOn(server, l, 'proxy'));
    }
  } catch (e) {
    stopAll();
    collector.stop();
    throw e;
  }

  let redirect: HttpServer | undefined;
  let redirectAddress: ListenAddress | undefined;
  if (opts.redirectHttp) {
    redirect = createRedirectServer(addresses[0]!.port);
    redirect.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
    try {
      redirectAddress = await listenOn(redirect, opts.redirectHttp, 'HTTP redirect');
    } catch (e) {
      stopAll();
      collector.stop();
      throw e;
    }
  }

  async function drain(reason: string): Promise<void> {
    opts.events?.({ type: 'shutdown', signal: reason, inFlight: ctx.inFlight.count });
    const closed = Promise.all([...servers, ...(redirect ? [redirect] : [])].map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const end of [...tunnels.open]) end();
    const deadline = Date.now() + t.drainMs;
    while (ctx.inFlight.count > 0 && Date.now() < deadline) {
      for (const s of servers) s.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const s of sockets) s.destroy();
    await closed;
    opts.routes.close();
    opts.certs.stop();
    collector.stop();
    opts.log?.flush();
    opts.events?.({ type: 'stopped' });
  }

  return {
    addresses,
    redirectAddress,
    front,
    inFlight: () => ctx.inFlight.count,
    setTicketKeys(keys) { front.setTicketKeys(keys); },
    close(reason = 'stop') {
      closing ??= drain(reason);
      return closing;
    },
  };
}
