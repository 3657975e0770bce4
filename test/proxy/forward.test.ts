/**
 * HTTP forwarding through the real proxy server (in this process) to a real backend on loopback:
 * methods, headers, bodies both ways, keep-alive, failures, timeouts, limits, redirect, shutdown.
 *
 *   cd /work/main && node --import tsx --test test/proxy/forward.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Readable } from 'node:stream';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { httpsRequest, startBackend, startTestProxy, type SeenRequest, type TestBackend, type TestProxy } from '../helpers/proxy.js';
import { freePort } from '../helpers/jupyter.js';

let ca: TestCA;
let backend: TestBackend;
let proxy: TestProxy;
const slowRequests: { res: http.ServerResponse }[] = [];
let clientGone: Promise<void>;
let markClientGone: () => void;

before(async () => {
  ca = await makeTestCA(makeTmpDir('tlsdock-fwd-'));
  clientGone = new Promise((r) => { markClientGone = r; });
  backend = await startBackend({
    '/download': (req, res) => {
      const size = Number(new URL(req.url!, 'http://x').searchParams.get('mb') ?? '1') * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      pump();
    },
    '/slow': (_req, res) => { slowRequests.push({ res }); },
    '/hang-then-close': (req) => { req.on('close', () => markClientGone()); },
    '/chunked': (_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('part one, '); setTimeout(() => res.end('part two'), 20); },
    '/die-mid-body': (_req, res) => { res.writeHead(200, { 'content-length': '1000000' }); res.write(Buffer.alloc(1000, 1)); setTimeout(() => res.socket?.destroy(), 20); },
    '/hop': (_req, res) => { res.writeHead(200, { connection: 'keep-alive, x-private', 'x-private': 'secret', 'keep-alive': 'timeout=5', 'x-public': 'yes' }); res.end('ok'); },
    '/hsts': (_req, res) => { res.writeHead(200, { 'strict-transport-security': 'max-age=60' }); res.end('ok'); },
  });
  proxy = await startTestProxy(ca, backend.url);
});

after(async () => {
  for (const s of slowRequests) s.res.destroy();
  await proxy?.close();
  await backend?.close();
  cleanupTmpDirs();
});

function lastSeen(): SeenRequest {
  return backend.seen[backend.seen.length - 1]!;
}

describe('forwarding', () => {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
    test(`${method} reaches the backend with its method, path and query`, async () => {
      const body = method === 'GET' || method === 'OPTIONS' ? undefined : `body of ${method}`;
      const r = await httpsRequest(proxy.url(`/api/contents/a%20b?x=1&y=2`), { ca: ca.certPem, method, body });
      assert.equal(r.status, 200);
      const seen = r.json<SeenRequest>();
      assert.equal(seen.method, method);
      assert.equal(seen.url, '/api/contents/a%20b?x=1&y=2');
      assert.equal(seen.bodyLength, body ? Buffer.byteLength(body) : 0);
    });
  }

  test('HEAD gets the headers and no body', async () => {
    const r = await httpsRequest(proxy.url('/'), { ca: ca.certPem, method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-backend'], 'yes');
    assert.equal(r.body.length, 0);
  });

  test('Host is passed through as the client sent it; X-Forwarded-* are the proxy\'s', async () => {
    await httpsRequest(proxy.url('/'), {
      ca: ca.certPem,
      servername: 'localhost',
      headers: { host: 'lab.example.test:9999', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'http', 'x-forwarded-port': '1', forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6', 'X-Custom': 'Kept' },
    });
    const seen = lastSeen();
    assert.equal(seen.headers.host, 'lab.example.test:9999');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-host'], 'lab.example.test:9999');
    // From the socket the request came in on, not from the Host header.
    assert.equal(seen.headers['x-forwarded-port'], String(proxy.port));
    assert.equal(seen.headers.forwarded, undefined);
    assert.equal(seen.headers['x-real-ip'], undefined);
    assert.ok(seen.rawHeaders.includes('X-Custom'), 'header name case is kept');
    assert.equal(seen.headers['x-custom'], 'Kept');
  });

  test('hop-by-hop request headers, and those named in Connection, stay with the proxy', async () => {
    await httpsRequest(proxy.url('/'), { ca: ca.certPem, headers: ['Host', `localhost:${proxy.port}`, 'Connection', 'keep-alive, X-Hop', 'X-Hop', 'secret', 'Keep-Alive', 'timeout=9', 'TE', 'trailers', 'Proxy-Authorization', 'Basic eA==', 'X-End', 'kept'] });
    const seen = lastSeen();
    for (const h of ['x-hop', 'te', 'proxy-authorization']) assert.equal(seen.headers[h], undefined, h);
    assert.notEqual(seen.headers['keep-alive'], 'timeout=9');
    assert.equal(seen.headers['x-end'], 'kept');
  });

  test('hop-by-hop response headers are dropped, end-to-end ones kept', async () => {
    const r = await httpsRequest(proxy.url('/hop'), { ca: ca.certPem });
    assert.equal(r.headers['x-private'], undefined);
    assert.equal(r.headers['x-public'], 'yes');
    assert.equal(r.headers['strict-transport-security'], undefined, 'no HSTS unless asked');
  });

  test('a chunked DELETE body is forwarded with its framing', async () => {
    const r = await httpsRequest(proxy.url('/items/1'), { ca: ca.certPem, method: 'DELETE', headers: { 'transfer-encoding': 'chunked' }, body: Readable.from([Buffer.from('abc'), Buffer.from('def')]) });
    assert.equal(r.status, 200);
    assert.equal(r.json<SeenRequest>().bodyLength, 6);
  });

  test('a chunked response arrives whole', async () => {
    const r = await httpsRequest(proxy.url('/chunked'), { ca: ca.certPem });
    assert.equal(r.body.toString(), 'part one, part two');
  });

  test('a 20 MB upload streams through with the same checksum (chunked, unknown length)', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const body = Readable.from((function* () { for (let i = 0; i < data.length; i += 256 * 1024) yield data.subarray(i, i + 256 * 1024); })());
    const r = await httpsRequest(proxy.url('/upload'), { ca: ca.certPem, method: 'PUT', body });
    const seen = r.json<SeenRequest>();
    assert.equal(seen.bodyLength, data.length);
    assert.equal(seen.bodySha256, createHash('sha256').update(data).digest('hex'));
  });

  test('a 32 MB download streams through complete', async () => {
    const r = await httpsRequest(proxy.url('/download?mb=32'), { ca: ca.certPem });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 32 * 1024 * 1024);
    assert.equal(r.body.every((b) => b === 7), true);
  });

  test('a backend that dies half-way through a body cuts the client off (no clean, truncated answer)', async () => {
    await assert.rejects(httpsRequest(proxy.url('/die-mid-body'), { ca: ca.certPem }), /aborted|socket hang up|ECONNRESET|terminated/i);
  });

  test('sequential requests reuse one keep-alive connection to the backend', async () => {
    const agent = new https.Agent({ keepAlive: true, ca: ca.certPem, maxSockets: 1 });
    try {
      const conns = new Set<number>();
      for (let i = 0; i < 5; i++) conns.add((await httpsRequest(proxy.url('/'), { ca: ca.certPem, agent })).json<SeenRequest>().connection);
      assert.equal(conns.size, 1, `backend connections used: ${[...conns].join(', ')}`);
    } finally {
      agent.destroy();
    }
  });

  test('a client that goes away aborts the backend request', async () => {
    const req = https.request(proxy.url('/hang-then-close'), { ca: ca.certPem, agent: false });
    req.on('error', () => {});
    req.end();
    await new Promise((r) => setTimeout(r, 200));
    req.destroy();
    await Promise.race([clientGone, new Promise((_, reject) => setTimeout(() => reject(new Error('the backend request was not aborted')), 5000))]);
  });

  test('request headers up to 64 KiB pass (Jupyter cookies), more get 431', async () => {
    const ok = await httpsRequest(proxy.url('/'), { ca: ca.certPem, headers: { cookie: 'a='.padEnd(40 * 1024, 'x') } });
    assert.equal(ok.status, 200);
    const big = await httpsRequest(proxy.url('/'), { ca: ca.certPem, headers: { cookie: 'a='.padEnd(70 * 1024, 'x') } });
    assert.equal(big.status, 431);
  });

  test('the access log records each request', async () => {
    await httpsRequest(proxy.url('/logged?q=1'), { ca: ca.certPem, method: 'POST', body: 'x' });
    await new Promise((r) => setTimeout(r, 50));
    const e = proxy.access.find((a) => a.path === '/logged?q=1');
    assert.ok(e, 'no access entry');
    assert.equal(e.method, 'POST');
    assert.equal(e.status, 200);
    assert.equal(e.client, '127.0.0.1');
    assert.equal(e.backend, backend.url);
    assert.ok(e.bytes > 0);
  });
});

describe('failures', () => {
  test('backend down: 502 page that names the backend and says how to start Jupyter', async () => {
    const port = await freePort();
    const down = await startTestProxy(ca, `http://127.0.0.1:${port}`);
    try {
      const r = await httpsRequest(down.url('/lab'), { ca: ca.certPem, headers: { accept: 'text/html' } });
      assert.equal(r.status, 502);
      const html = r.body.toString();
      assert.match(html, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
      assert.match(html, new RegExp(`jupyter lab --no-browser --ip=127\\.0\\.0\\.1 --port=${port}`));
      assert.match(html, /http-equiv="refresh"/, 'the waiting page retries by itself');
      assert.equal(r.headers['retry-after'], '5');
      const api = await httpsRequest(down.url('/api/status'), { ca: ca.certPem, headers: { accept: 'application/json' } });
      assert.equal(api.status, 502);
      assert.equal(api.json<{ backend: string }>().backend, `http://127.0.0.1:${port}`);
      assert.ok(down.events.some((e) => e.type === 'backend-error'));
    } finally {
      await down.close();
    }
  });

  test('a backend that does not answer in time gets 504', async () => {
    const slow = await startTestProxy(ca, backend.url, { timeouts: { idleMs: 300 } });
    try {
      const r = await httpsRequest(slow.url('/slow'), { ca: ca.certPem });
      assert.equal(r.status, 504);
      assert.match(r.body.toString(), /did not answer in time/);
    } finally {
      await slow.close();
    }
  });

  test('a client that sends headers too slowly is cut off (header timeout)', async () => {
    const strict = await startTestProxy(ca, backend.url, { timeouts: { headersMs: 300 } });
    try {
      const { text } = await rawRequest(strict.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n');
      assert.match(text, /^HTTP\/1\.1 408/);
    } finally {
      await strict.close();
    }
  });

  test('an upload that stalls half-way gets 504 once nothing has moved for the idle timeout', async () => {
    const strict = await startTestProxy(ca, backend.url, { timeouts: { idleMs: 300 } });
    try {
      // The rest of the body will not come: the proxy answers and closes.
      const { text, closed } = await rawRequest(strict.port, 'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\nabc');
      assert.match(text, /^HTTP\/1\.1 504/);
      assert.match(text, /\r\nconnection: close\r\n/i);
      assert.ok(closed, 'the connection stayed open after the 504');
    } finally {
      await strict.close();
    }
  });

  test('an idle keep-alive connection from a client is closed after the keep-alive timeout', async () => {
    const strict = await startTestProxy(ca, backend.url, { timeouts: { keepAliveMs: 300 } });
    try {
      // A raw socket: Node's own client would close it first, on the `Keep-Alive: timeout=0` it is told.
      const { text, closed } = await rawRequest(strict.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      assert.match(text, /^HTTP\/1\.1 200/);
      assert.ok(closed, 'the proxy did not close the idle connection');
    } finally {
      await strict.close();
    }
  });

  test('a connection that never starts its TLS handshake is closed (handshake timeout)', async () => {
    const strict = await startTestProxy(ca, backend.url, { timeouts: { handshakeMs: 300 } });
    try {
      const sock = netConnect({ host: '127.0.0.1', port: strict.port });
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.on('error', () => {});
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('still open after 5 s')), 5000))]);
    } finally {
      await strict.close();
    }
  });
});

describe('options', () => {
  test('--hsts adds Strict-Transport-Security unless the backend sets its own', async () => {
    const p = await startTestProxy(ca, backend.url, { hsts: true });
    try {
      assert.equal((await httpsRequest(p.url('/'), { ca: ca.certPem })).headers['strict-transport-security'], 'max-age=31536000');
      assert.equal((await httpsRequest(p.url('/hsts'), { ca: ca.certPem })).headers['strict-transport-security'], 'max-age=60');
    } finally {
      await p.close();
    }
  });

  test('--redirect-http sends plain HTTP to the same host and path on the HTTPS port', async () => {
    const p = await startTestProxy(ca, backend.url, { redirectHttp: { host: '127.0.0.1', port: 0 } });
    try {
      const port = p.server.redirectAddress!.port;
      const get = (method: string) => new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path: '/lab/tree?x=1', headers: { host: `localhost:${port}` } }, resolve);
        req.on('error', reject);
        req.end();
      });
      const r = await get('GET');
      assert.equal(r.statusCode, 301);
      assert.equal(r.headers.location, `https://localhost:${p.port}/lab/tree?x=1`);
      r.resume();
      const post = await get('POST');
      assert.equal(post.statusCode, 308, 'keeps the method and body');
      post.resume();
    } finally {
      await p.close();
    }
  });

  test('listens on IPv6 too; X-Forwarded-For then carries the IPv6 client address', async () => {
    const p = await startTestProxy(ca, backend.url, { listen: [{ host: '::1', port: 0 }] });
    try {
      const r = await httpsRequest(`https://[::1]:${p.port}/v6`, { ca: ca.certPem });
      assert.equal(r.status, 200);
      assert.equal(r.json<SeenRequest>().headers['x-forwarded-for'], '::1');
      assert.equal(r.json<SeenRequest>().headers['x-forwarded-port'], String(p.port));
    } finally {
      await p.close();
    }
  });

  test('graceful stop: a request in flight finishes, new connections are refused', async () => {
    const p = await startTestProxy(ca, backend.url);
    const before = slowRequests.length;
    const pending = httpsRequest(p.url('/slow'), { ca: ca.certPem });
    while (slowRequests.length === before) await new Promise((r) => setTimeout(r, 10));
    const closing = p.close();
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(httpsRequest(p.url('/'), { ca: ca.certPem }), /ECONNREFUSED/);
    slowRequests[slowRequests.length - 1]!.res.end('finished late');
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'finished late');
    assert.equal(r.headers.connection, 'close');
    await closing;
  });
});

/**
 * Sends `request` over a fresh TLS connection to the proxy and reads until the proxy closes it.
 * `closed`: whether it did within 5 s (generous: the tests check that it closes at all, not when);
 * if not, the test gives up on it and `text` is what arrived by then.
 */
async function rawRequest(port: number, request: string): Promise<{ text: string; closed: boolean }> {
  const sock = tlsConnect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' });
  await new Promise<void>((r) => sock.once('secureConnect', () => r()));
  let closed = true;
  const timer = setTimeout(() => { closed = false; sock.destroy(); }, 5000);
  const text = await new Promise<string>((resolve) => {
    let received = '';
    sock.on('data', (d: Buffer) => { received += d.toString(); });
    sock.on('close', () => resolve(received));
    sock.on('error', () => resolve(received));
    sock.write(request);
  });
  clearTimeout(timer);
  return { text, closed };
}
