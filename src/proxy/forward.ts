/**
 * HTTP forwarding: one request in, the same request to the backend, the answer streamed back.
 *
 * - Every method; bodies stream both ways, so a slow side pauses the other (backpressure) and a
 *   multi-GB upload or download holds only a few socket buffers in memory.
 * - Keep-alive to the backend through the Backend's pool; a request that finds its reused idle
 *   connection just closed by the backend (the usual keep-alive race) is sent once more when that is
 *   safe: no body, idempotent method, nothing answered yet.
 * - A client that goes away aborts the backend request (the work stops upstream as well).
 * - When the backend cannot be reached, or fails before answering, the client gets the failure page
 *   (error-page.ts); if it fails half-way through a body the client connection is cut, so a
 *   truncated download can never look complete.
 *
 * The backend side is tlsdock's own HTTP/1.1 exchange (request head written here, response read by
 * response-parser.ts, connections kept by backend-pool.ts) rather than Node's http client: measured
 * side by side, Node's client cost about half the small-request throughput and a third of the large-body
 * throughput (it copies each body chunk and builds several stream objects per request); see
 * docs/proxy.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ProxyLog } from './access-log.js';
import { classifyBackendError, sendFailure, type Failure } from './error-page.js';
import type { EventSink } from './events.js';
import { backendRequestHeaders, clientAddress, clientResponseHeaders } from './headers.js';
import { BackendExchange } from './backend-exchange.js';
import type { ResponseHead } from './response-parser.js';
import type { Backend, RouteTable } from './routes.js';

export interface ForwardTimeouts {
  /** No byte either way on a backend request (the wait for the answer included) for this long → 504. */
  idleMs: number;
  /** Establishing a new backend connection. */
  connectMs: number;
}

export interface ForwardContext {
  routes: RouteTable;
  hsts: boolean;
  timeouts: ForwardTimeouts;
  log?: ProxyLog;
  events?: EventSink;
  /** True while shutting down: answers then carry `Connection: close`. */
  draining: () => boolean;
  /** Requests in flight (for a graceful shutdown) and started so far (tunnels included: activity, for the idle collector). */
  inFlight: { count: number; started: number };
}

const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Backend failures are reported at most once per backend and kind every 10 s: a page that polls a dead Jupyter would flood the log. */
function reporter(events: EventSink | undefined): (backend: Backend, f: Failure) => void {
  const last = new Map<string, number>();
  return (backend, f) => {
    if (!events) return;
    const key = `${backend.origin} ${f.kind}`;
    const now = Date.now();
    if (now - (last.get(key) ?? 0) < 10_000) return;
    last.set(key, now);
    events({ type: 'backend-error', backend: backend.origin, code: f.code ?? f.kind, message: f.message });
  };
}

export function createForwarder(ctx: ForwardContext): (req: IncomingMessage, res: ServerResponse) => void {
  const report = reporter(ctx.events);

  return function forward(req: IncomingMessage, res: ServerResponse): void {
    ctx.inFlight.count++;
    ctx.inFlight.started++;
    const log = ctx.log?.accessEnabled ? ctx.log : undefined;
    const t0 = log ? performance.now() : 0;
    const bytes0 = log ? req.socket.bytesWritten : 0;
    const backend = ctx.routes.lookup(req.headers.host);
    let failure: string | undefined;
    let exchange: BackendExchange | undefined;

    res.once('close', () => {
      ctx.inFlight.count--;
      // The client left before the answer was complete: stop the backend's work too.
      if (!res.writableFinished) exchange?.abort();
      if (log) {
        log.request({
          time: Date.now() - (performance.now() - t0), client: clientAddress(req), method: req.method ?? '', host: req.headers.host ?? '',
          path: req.url ?? '', status: res.statusCode, bytes: req.socket.bytesWritten - bytes0, ms: performance.now() - t0,
          backend: backend?.origin, error: failure ?? (res.writableFinished ? undefined : 'client closed'),
        });
      }
    });

    if (!backend) {
      failure = 'no-route';
      const host = req.headers.host ?? '(no Host header)';
      sendFailure(req, res, { kind: 'no-route', status: 404, message: `This proxy has no site for ${host}; it serves ${ctx.routes.backends().length} other route(s).` });
      return;
    }

    const headers = backendRequestHeaders(req);
    // HTTP/1.0 clients may send no Host; the request goes out as HTTP/1.1, which requires one (RFC 9112 §3.2).
    if (req.headers.host === undefined) headers.unshift('Host', backend.url.host);
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    const hasBody = te !== undefined || (cl !== undefined && cl !== '0');
    const method = req.method ?? 'GET';
    let retried = false;
    // Backpressure from the client: the exchange pauses the backend when a write returns false.
    res.on('drain', () => exchange?.resume());

    const onHead = (head: ResponseHead): void => {
      // Content-Length is written once, as parsed: repeats the parser accepted (`2, 2`) would make
      // clients refuse the answer, and one that came with chunking would make them frame by it.
      const out = clientResponseHeaders(head.rawHeaders, head.connection, ctx.hsts, true);
      if (head.contentLength !== undefined && (head.framing === 'length' || head.framing === 'none')) out.push('Content-Length', String(head.contentLength));
      // The body is still encoded with any coding besides chunked (`gzip, chunked`): name it again; Node
      // adds its own chunking after it. (An HTTP/1.0 client cannot be sent Transfer-Encoding at all.)
      if (head.transferCodings.length && req.httpVersion !== '1.0' && (head.framing === 'chunked' || head.framing === 'close')) {
        out.push('Transfer-Encoding', [...head.transferCodings, ...(head.framing === 'chunked' ? ['chunked'] : [])].join(', '));
      }
      if (ctx.draining()) out.push('Connection', 'close');
      res.writeHead(head.status, head.statusMessage, out);
    };

    const onFail = (err: NodeJS.ErrnoException, info: { reused: boolean; started: boolean }): void => {
      // The backend went away half-way through the answer: cut the client off rather than end cleanly.
      if (info.started || res.headersSent || res.destroyed) { res.destroy(); return; }
      if (!retried && !hasBody && info.reused && RETRYABLE.has(method) && STALE_CONNECTION.has(err.code ?? '')) {
        retried = true;
        send();
        return;
      }
      const f = classifyBackendError(err, backend.origin);
      failure = f.kind;
      report(backend, f);
      // Draining, or the client's request body is not all in (a stalled upload): nothing more can follow
      // on this connection, so say so and close it rather than wait for the rest of the body.
      if (ctx.draining() || !req.complete) res.setHeader('connection', 'close');
      sendFailure(req, res, f, backend.url);
    };

    const send = (): void => {
      exchange = new BackendExchange(backend, { method, path: req.url ?? '/', headers, body: hasBody ? req : undefined, chunked: te !== undefined && cl === undefined }, ctx.timeouts, {
        head: onHead,
        body: (chunk) => res.write(chunk),
        end: () => { res.end(); },
        fail: onFail,
      });
    };
    send();
  };
}
