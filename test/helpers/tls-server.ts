/**
 * A tiny HTTPS server for end-to-end tests: serves a fixed HTML page with a given
 * certificate (chain) and key on a loopback address and an ephemeral port.
 */
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface TestServerRequest {
  method: string;
  url: string;
  /** The Host header as sent by the client (e.g. "app.ai-lab.local:43121"). */
  host: string;
}

export interface TestServer {
  port: number;
  /** The address the server listens on (e.g. "127.0.0.1" or "::1"). */
  host: string;
  /** `https://HOST:PORT/` — HOST defaults to the listen address; IPv6 literals get brackets. */
  url: (host?: string) => string;
  /** Requests answered so far (a handshake that fails certificate checks never gets here). */
  requests: TestServerRequest[];
  close(): Promise<void>;
}

export interface StartTlsServerOptions {
  /** PEM certificate; may be a chain (leaf first, then intermediates). */
  cert: string | Buffer;
  /** PEM private key of the leaf. */
  key: string | Buffer;
  /** Listen address; default 127.0.0.1. Only loopback addresses are allowed. */
  host?: string;
  /** Inner HTML of <body>; default "tlsdock test server". The <title> is always "tlsdock test". */
  body?: string;
}

export const TEST_PAGE_TITLE = 'tlsdock test';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startTlsServer(opts: StartTlsServerOptions): Promise<TestServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`startTlsServer: refusing non-loopback listen address ${host}`);
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>${TEST_PAGE_TITLE}</title></head>` +
    `<body>${opts.body ?? 'tlsdock test server'}</body></html>`;
  const requests: TestServerRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  // Browsers abort handshakes they do not trust; that is expected, not an error.
  server.on('tlsClientError', () => {});
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    port,
    host,
    url: (h = host) => `https://${formatHost(h)}:${port}/`,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from a browser would otherwise hold close() open.
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
