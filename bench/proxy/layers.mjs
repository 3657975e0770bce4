// Minimal TLS reverse proxies that differ only in the forwarding layer, to choose one by measurement
// (bench/proxy.sh runs them next to tlsdock, nginx and Caddy when LAYERS is set).
//   node layers.mjs http   PORT UPSTREAM_PORT CERT KEY   # node:http request + keep-alive Agent (what tlsdock uses)
//   node layers.mjs undici PORT UPSTREAM_PORT CERT KEY   # undici Pool.dispatch; needs UNDICI_PATH=/path/to/undici/index.js
//   node layers.mjs bare   PORT -             CERT KEY   # the TLS server answering by itself (the ceiling; /1m: 1 MiB from memory)
// Same TLS settings for all. Header handling is the minimum (hop-by-hop out, X-Forwarded-* in).
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';

const [layer, port, upstreamPort, certFile, keyFile] = process.argv.slice(2);
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer']);
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' };

function requestHeaders(req) {
  const raw = req.rawHeaders;
  const out = [];
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  out.push('X-Forwarded-For', req.socket.remoteAddress, 'X-Forwarded-Proto', 'https');
  return out;
}

function responseHeaders(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = typeof raw[i] === 'string' ? raw[i] : raw[i].toString('latin1');
    if (!HOP.has(name.toLowerCase())) out.push(name, typeof raw[i + 1] === 'string' ? raw[i + 1] : raw[i + 1].toString('latin1'));
  }
  return out;
}

let handler;
if (layer === 'bare') {
  // /1m: 1 MiB from memory, written 256 KiB at a time as tlsdock relays a large answer. The floor of
  // what any Node relay can cost per MB on this machine (no backend, nothing parsed).
  const mib = Buffer.alloc(1 << 20, 7);
  const piece = 256 * 1024;
  handler = (req, res) => {
    if (req.url !== '/1m') return res.end('hello from backend\n');
    res.writeHead(200, { 'content-length': mib.length });
    let off = 0;
    const pump = () => {
      while (off < mib.length) { off += piece; if (!res.write(mib.subarray(off - piece, off))) return void res.once('drain', pump); }
      res.end();
    };
    pump();
  };
} else if (layer === 'http') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
  handler = (req, res) => {
    const up = http.request({ host: '127.0.0.1', port: Number(upstreamPort), method: req.method, path: req.url, headers: requestHeaders(req), agent, setHost: false });
    up.on('response', (r) => { res.writeHead(r.statusCode, responseHeaders(r.rawHeaders)); r.pipe(res); });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  };
} else if (layer === 'undici') {
  const { Pool } = await import(process.env.UNDICI_PATH ?? 'undici');
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1 });
  handler = (req, res) => {
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool.dispatch({ method: req.method, path: req.url, headers: requestHeaders(req), body: hasBody ? req : null }, {
      onConnect() {},
      onError() { if (!res.headersSent) res.writeHead(502); res.end(); },
      onHeaders(status, raw, resume) { res.writeHead(status, responseHeaders(raw)); res.on('drain', resume); return true; },
      onData(chunk) { return res.write(chunk); },
      onComplete() { res.end(); },
    });
  };
} else {
  console.error(`unknown layer ${layer}`);
  process.exit(2);
}
const server = https.createServer(tls, handler);
server.keepAliveTimeout = 75_000;
server.listen(Number(port), '127.0.0.1', () => console.log(`${layer} listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
