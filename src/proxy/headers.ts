/**
 * What the backend sees of a request, and what the client sees of a response.
 *
 * Requests: every end-to-end header as the client sent it (names' case kept, Host untouched, so
 * Jupyter's origin checks and redirects see the name the browser used), minus hop-by-hop headers
 * (RFC 9110 §7.6.1) and minus any X-Forwarded-* / Forwarded the client sent (a client could forge
 * them: we are the edge). Then our own X-Forwarded-For / -Proto / -Host / -Port:
 *  - Proto is always `https`, also on WebSocket upgrades (the scheme of the page is https; some
 *    proxies send `wss`, which backends do not expect);
 *  - Port is the port of the socket the request arrived on, not the one in the Host header (which a
 *    client chooses, and which is absent for 443).
 */
import type { IncomingMessage } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
]);

/** Request headers we replace, or answer ourselves (Expect: the 100 Continue already went out). */
const REQUEST_ONLY_OURS = new Set([
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip', 'expect',
]);

/** Extra header names a sender marked hop-by-hop in its Connection header (rare: usually just keep-alive/close/upgrade). */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (!text.includes(',') && /^\s*(keep-alive|close|upgrade)\s*$/i.test(text)) return undefined;
  const set = new Set<string>();
  for (const t of text.split(',')) {
    const n = t.trim().toLowerCase();
    if (n && n !== 'close' && n !== 'keep-alive' && n !== 'upgrade') set.add(n);
  }
  return set.size ? set : undefined;
}

/** The client's address as backends expect it in X-Forwarded-For (IPv4-mapped IPv6 unwrapped). */
export function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * Raw [name, value, …] headers for the backend request. `upgrade` adds Connection/Upgrade back
 * (they are hop-by-hop, but a WebSocket handshake must carry them to the backend).
 */
export function backendRequestHeaders(req: IncomingMessage, upgrade = false): string[] {
  const raw = req.rawHeaders;
  const extra = connectionTokens(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || REQUEST_ONLY_OURS.has(lower) || extra?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  out.push('X-Forwarded-For', clientAddress(req), 'X-Forwarded-Proto', 'https');
  if (req.headers.host) out.push('X-Forwarded-Host', req.headers.host);
  out.push('X-Forwarded-Port', String(req.socket.localPort ?? ''));
  // A body of unknown length arrived chunked and goes out chunked again (backend-exchange.ts re-frames it);
  // other codings the client applied (`gzip, chunked`) stay named: the data inside is still gzip.
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && req.headers['content-length'] === undefined) out.push('Transfer-Encoding', /(^|,)\s*chunked\s*$/i.test(te) ? te : 'chunked');
  if (upgrade) out.push('Connection', 'Upgrade', 'Upgrade', String(req.headers.upgrade ?? 'websocket'));
  return out;
}

export const HSTS_VALUE = 'max-age=31536000';

/**
 * Raw [name, value, …] headers for the client: the backend's, minus hop-by-hop, plus HSTS when asked.
 * `dropLength`: leave every Content-Length out; the caller writes the one value it parsed (or none when
 * the body was chunked or ran until close: the client would frame by it).
 */
export function clientResponseHeaders(rawHeaders: string[], connection: string | string[] | undefined, hsts: boolean, dropLength = false): string[] {
  const extra = connectionTokens(connection);
  const out: string[] = [];
  let sawHsts = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || extra?.has(lower) || (dropLength && lower === 'content-length')) continue;
    if (lower === 'strict-transport-security') sawHsts = true;
    out.push(name, rawHeaders[i + 1]!);
  }
  if (hsts && !sawHsts) out.push('Strict-Transport-Security', HSTS_VALUE);
  return out;
}
