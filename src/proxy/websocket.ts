/**
 * WebSocket upgrades (Jupyter kernels, terminals, events): the handshake goes to the backend with
 * the same X-Forwarded-* headers as any request; once the backend answers 101, the two sockets are
 * piped to each other and the proxy no longer looks at the bytes. A backend that refuses the
 * upgrade (403 for a bad origin or token, 404 for a dead kernel) has its answer passed through.
 *
 * Idle timeouts do not apply to a tunnel (a kernel can be quiet for hours); TCP keep-alive on both
 * sides notices a peer that vanished.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { classifyBackendError } from './error-page.js';
import { backendRequestHeaders, clientAddress, clientResponseHeaders } from './headers.js';
import type { ForwardContext } from './forward.js';

export interface Tunnels {
  /** Open tunnels: each entry ends both sides. */
  open: Set<() => void>;
}

function head(status: number, message: string | undefined, raw: string[]): string {
  let text = `HTTP/1.1 ${status} ${message || STATUS_CODES[status] || ''}\r\n`;
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return text + '\r\n';
}

/** Answer on a raw socket that never became HTTP again (before or instead of a 101). */
function reply(socket: Duplex, status: number, message: string): void {
  const body = message + '\n';
  if (socket.writable) {
    socket.end(head(status, undefined, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'Connection', 'close', 'X-Tlsdock-Error', 'upgrade']) + body);
  }
  socket.destroy();
}

function tune(s: Duplex): void {
  const sock = s as Socket;
  sock.setTimeout?.(0);
  sock.setNoDelay?.(true);
  sock.setKeepAlive?.(true, 30_000);
}

export function createUpgradeHandler(ctx: ForwardContext, tunnels: Tunnels): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return function upgrade(req: IncomingMessage, socket: Duplex, firstBytes: Buffer): void {
    const t0 = performance.now();
    ctx.inFlight.started++;
    const backend = ctx.routes.lookup(req.headers.host);
    let status = 0;
    let error: string | undefined;
    let logged = false;
    const bytes0 = (socket as Socket).bytesWritten ?? 0;
    const log = (): void => {
      if (logged || !ctx.log?.accessEnabled) return;
      logged = true;
      ctx.log.request({
        time: Date.now() - (performance.now() - t0), client: clientAddress(req), method: req.method ?? 'GET', host: req.headers.host ?? '', path: req.url ?? '',
        status, bytes: ((socket as Socket).bytesWritten ?? 0) - bytes0, ms: performance.now() - t0, backend: backend?.origin, websocket: true, error,
      });
    };

    const protocol = String(req.headers.upgrade ?? '').toLowerCase();
    if (!backend || protocol !== 'websocket' || ctx.draining()) {
      status = !backend ? 404 : ctx.draining() ? 503 : 400;
      error = !backend ? 'no-route' : ctx.draining() ? 'shutting down' : `upgrade to ${protocol || '?'} not supported`;
      reply(socket, status, !backend ? `No site is configured for ${req.headers.host ?? '(no Host header)'}.` : error);
      log();
      return;
    }

    tune(socket);
    const up = backend.upgradeRequest(req.method ?? 'GET', req.url ?? '/', backendRequestHeaders(req, true), ctx.timeouts.connectMs + ctx.timeouts.idleMs);
    const onEarlyClientError = (): void => { up.destroy(); };
    socket.on('error', onEarlyClientError);
    socket.once('close', () => { if (!status) { error = 'client closed'; up.destroy(); log(); } });

    up.on('upgrade', (upRes: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
      status = 101;
      tune(upSocket);
      upSocket.setTimeout(0);
      socket.off('error', onEarlyClientError);
      // The 101 goes through as the backend sent it: Connection, Upgrade and Sec-WebSocket-* are the handshake.
      socket.write(head(101, upRes.statusMessage, upRes.rawHeaders));
      if (upHead.length) socket.write(upHead);
      if (firstBytes.length) upSocket.write(firstBytes);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        tunnels.open.delete(endGracefully);
        upSocket.destroy();
        socket.destroy();
        log();
      };
      const endGracefully = (): void => { upSocket.end(); socket.end(); setTimeout(end, 1000).unref(); };
      tunnels.open.add(endGracefully);
      upSocket.on('error', end);
      socket.on('error', end);
      upSocket.on('close', end);
      socket.on('close', end);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });

    up.on('response', (upRes: IncomingMessage) => {
      // The backend said no (bad token, bad origin, no such kernel): pass its answer on and close.
      status = upRes.statusCode ?? 502;
      error = 'upgrade refused by the backend';
      socket.write(head(status, upRes.statusMessage, [...clientResponseHeaders(upRes.rawHeaders, upRes.headers.connection, ctx.hsts), 'Connection', 'close']));
      upRes.pipe(socket);
      upRes.on('error', () => socket.destroy());
      socket.once('close', log);
    });

    up.on('timeout', () => up.destroy(Object.assign(new Error('the backend did not answer the WebSocket handshake'), { code: 'ETIMEDOUT' })));
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (status) return;
      const f = classifyBackendError(err, backend.origin);
      status = f.status;
      error = f.kind;
      reply(socket, f.status, f.message);
      log();
    });
    up.end();
  };
}
