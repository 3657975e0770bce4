/**
 * WebSocket upgrades through the real proxy (in this process) to a real `ws` server on loopback.
 *
 *   cd /work/main && node --import tsx --test test/proxy/websocket.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { freePort } from '../helpers/jupyter.js';
import { Backend, RouteTable } from '../../src/proxy/routes.js';
import { issueLeaf } from '../../src/pki/leaf.js';
import { parseNames } from '../../src/pki/names.js';

let ca: TestCA;
let backend: http.Server;
let wss: WebSocketServer;
let proxy: TestProxy;
const handshakes: http.IncomingMessage[] = [];

function open(url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ca: ca.certPem, ...opts });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
  });
}

before(async () => {
  ca = await makeTestCA(makeTmpDir('tlsdock-ws-'));
  backend = http.createServer((_req, res) => res.end('plain'));
  wss = new WebSocketServer({ noServer: true });
  backend.on('upgrade', (req, socket, head) => {
    handshakes.push(req);
    if (req.url === '/forbidden') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nno origin');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, binary) => ws.send(data, { binary }));
      if (req.url === '/hello') ws.send('welcome');
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  proxy = await startTestProxy(ca, `http://127.0.0.1:${(backend.address() as AddressInfo).port}`);
});

after(async () => {
  await proxy?.close();
  for (const c of wss.clients) c.terminate();
  backend.closeAllConnections();
  await new Promise((r) => backend.close(r));
  cleanupTmpDirs();
});

describe('websocket', () => {
  test('wss:// through the proxy: messages both ways, text and binary, large and small', async () => {
    const ws = await open(`wss://localhost:${proxy.port}/api/kernels/k/channels?session_id=s`, { headers: { origin: `https://localhost:${proxy.port}` } });
    const echo = (data: string | Buffer) => new Promise<WebSocket.RawData>((resolve) => { ws.once('message', (d) => resolve(d)); ws.send(data); });
    assert.equal((await echo('hello')).toString(), 'hello');
    const big = Buffer.alloc(3 * 1024 * 1024, 5);
    assert.equal(Buffer.compare(await echo(big) as Buffer, big), 0);
    ws.close();
    const hs = handshakes.at(-1)!;
    assert.equal(hs.url, '/api/kernels/k/channels?session_id=s');
    assert.equal(hs.headers.host, `localhost:${proxy.port}`);
    assert.equal(hs.headers.origin, `https://localhost:${proxy.port}`);
    assert.equal(hs.headers['x-forwarded-proto'], 'https', 'https, never wss');
    assert.equal(hs.headers['x-forwarded-port'], String(proxy.port));
    assert.equal(hs.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(hs.headers.upgrade, 'websocket');
  });

  test('bytes the backend sends right after the 101 reach the client', async () => {
    const ws = new WebSocket(`wss://localhost:${proxy.port}/hello`, { ca: ca.certPem });
    const first = await new Promise<string>((resolve, reject) => { ws.once('message', (d) => resolve(d.toString())); ws.once('error', reject); });
    assert.equal(first, 'welcome');
    ws.close();
  });

  test('a backend that refuses the upgrade has its answer passed on', async () => {
    await assert.rejects(open(`wss://localhost:${proxy.port}/forbidden`), (e: Error & { status?: number }) => e.status === 403);
  });

  test('backend down: the upgrade gets a 502', async () => {
    const down = await startTestProxy(ca, `http://127.0.0.1:${await freePort()}`);
    try {
      await assert.rejects(open(`wss://localhost:${down.port}/api/kernels/k/channels`), (e: Error & { status?: number }) => e.status === 502);
    } finally {
      await down.close();
    }
  });

  test('the backend closing the socket closes the client, and the access log records the tunnel', async () => {
    const ws = await open(`wss://localhost:${proxy.port}/closing`);
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    for (const c of wss.clients) c.terminate();
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    const e = proxy.access.find((a) => a.path === '/closing');
    assert.ok(e, 'no access entry for the tunnel');
    assert.equal(e.websocket, true);
    assert.equal(e.status, 101);
  });

  test('a quiet tunnel outlives every timeout (a kernel can sit idle for hours)', async () => {
    const strict = await startTestProxy(ca, `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, { timeouts: { idleMs: 300, headersMs: 300, keepAliveMs: 300 } });
    try {
      const ws = await open(`wss://localhost:${strict.port}/api/kernels/k/channels`);
      let closed = false;
      ws.once('close', () => { closed = true; });
      await new Promise((r) => setTimeout(r, 1500)); // five idle timeouts
      assert.equal(closed, false, 'the tunnel was closed while quiet');
      const reply = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
      ws.send('still here');
      assert.equal(await reply, 'still here');
      ws.close();
    } finally {
      await strict.close();
    }
  });

  test('stopping the proxy ends open tunnels', async () => {
    const p = await startTestProxy(ca, `http://127.0.0.1:${(backend.address() as AddressInfo).port}`);
    const ws = await open(`wss://localhost:${p.port}/x`);
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await p.close();
    await closed;
  });

  test('an https:// backend: the upgrade goes over TLS, verified against the local CA, and is refused when untrusted', async () => {
    const leaf = await issueLeaf({ ca, names: parseNames(['127.0.0.1']), days: 2 });
    const tlsBackend = https.createServer({ cert: leaf.certPem, key: leaf.keyPem! }, (_req, res) => res.end('tls'));
    const echo = new WebSocketServer({ server: tlsBackend });
    echo.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
    await new Promise<void>((r) => tlsBackend.listen(0, '127.0.0.1', r));
    const url = new URL(`https://127.0.0.1:${(tlsBackend.address() as AddressInfo).port}`);
    const trusted = await startTestProxy(ca, undefined, { routes: new RouteTable(new Backend(url, { extraCAs: [ca.certPem] })) });
    const untrusted = await startTestProxy(ca, undefined, { routes: new RouteTable(new Backend(url)) });
    try {
      const ws = await open(`wss://localhost:${trusted.port}/api/kernels/k/channels`);
      const reply = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
      ws.send('over tls');
      assert.equal(await reply, 'over tls');
      ws.close();
      await assert.rejects(open(`wss://localhost:${untrusted.port}/api/kernels/k/channels`), (e: Error & { status?: number }) => e.status === 502);
    } finally {
      await trusted.close();
      await untrusted.close();
      for (const c of echo.clients) c.terminate();
      tlsBackend.closeAllConnections();
      await new Promise((r) => tlsBackend.close(r));
    }
  });
});
