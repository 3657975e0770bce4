/**
 * `--redirect-http PORT`: a plain-HTTP listener that sends every request to the same host and path
 * on the HTTPS port. 301 for GET/HEAD (browsers cache it), 308 otherwise (keeps method and body).
 */
import * as http from 'node:http';
import { isIPv6 } from 'node:net';
import { hostOf } from './routes.js';

export function redirectTarget(hostHeader: string | undefined, url: string, httpsPort: number): string | undefined {
  const host = hostOf(hostHeader);
  if (!host || /[^a-z0-9.:_-]/.test(host)) return undefined;
  const h = isIPv6(host) ? `[${host}]` : host;
  const path = url.startsWith('/') ? url : '/';
  return `https://${h}${httpsPort === 443 ? '' : `:${httpsPort}`}${path}`;
}

export function createRedirectServer(httpsPort: number): http.Server {
  const server = http.createServer((req, res) => {
    const location = redirectTarget(req.headers.host, req.url ?? '/', httpsPort);
    if (!location) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('This address only redirects to HTTPS, and the request named no valid host.\n');
      return;
    }
    const body = `Moved to ${location}\n`;
    res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 301 : 308, {
      location,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
