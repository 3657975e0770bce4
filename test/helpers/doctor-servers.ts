/**
 * Loopback servers with the odd settings doctor tests need and `startTlsServer` does not offer:
 * any TLS options (old protocol versions, `DEFAULT@SECLEVEL=0` so OpenSSL 3 will serve SHA-1/MD5
 * signed or 1024-bit certificates), and a plain-HTTP server to stand on an "https" port.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackServer {
  port: number;
  /** https://HOST:PORT/ (HOST defaults to 127.0.0.1). */
  url(host?: string): string;
  close(): Promise<void>;
}

const PAGE = '<!doctype html><html><head><title>tlsdock test</title></head><body>doctor test</body></html>';

function track(server: HttpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

async function listen(server: HttpServer, scheme: 'http' | 'https'): Promise<LoopbackServer> {
  const sockets = track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    // Even the plain-HTTP server is addressed as https://: that is the mistake under test.
    url: (host = '127.0.0.1') => `https://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      void scheme;
      return closing;
    },
  };
}

/** An HTTPS server on 127.0.0.1 with exactly these TLS options (cert may be a chain in any order). */
export function startHttpsServer(options: ServerOptions): Promise<LoopbackServer> {
  const server = createHttpsServer(options, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(PAGE);
  });
  server.on('tlsClientError', () => {}); // browsers and probes abort handshakes; expected
  return listen(server as unknown as HttpServer, 'https');
}

/** A plain HTTP server on 127.0.0.1 (to be visited, wrongly, as https://). */
export function startHttpServer(): Promise<LoopbackServer> {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  });
  return listen(server, 'http');
}
