/**
 * The proxy's own HTTP/1.1 exchange with backends that answer with scripted bytes (a plain TCP server
 * on loopback): interim answers, bodies that run until close, malformed answers, the keep-alive race,
 * stray bytes, the connection limit, and an https:// backend.
 *
 *   cd /work/main && node --import tsx --test test/proxy/backend-exchange.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { httpsRequest, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { Backend, RouteTable } from '../../src/proxy/routes.js';
import { issueLeaf } from '../../src/pki/leaf.js';
import { parseNames } from '../../src/pki/names.js';

let ca: TestCA;

before(async () => {
  ca = await makeTestCA(makeTmpDir('tlsdock-exchange-'));
});
after(() => cleanupTmpDirs());

/** A backend that reads each request head and answers with what `answer` returns (the request number on its connection, the head). */
interface Scripted { url: string; connections: number; requests: string[]; close(): Promise<void> }
async function scripted(answer: (socket: Socket, n: number, head: string) => void, tlsServer?: Server): Promise<Scripted> {
  const server = tlsServer ?? createServer();
  const s: Scripted = { url: '', connections: 0, requests: [], close: () => new Promise((r) => { server.close(() => r()); for (const c of open) c.destroy(); }) };
  const open = new Set<Socket>();
  const onConnection = (socket: Socket): void => {
    s.connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    let n = 0;
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        s.requests.push(head);
        answer(socket, ++n, head);
      }
    });
  };
  server.on(tlsServer ? 'secureConnection' : 'connection', onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  s.url = `http://127.0.0.1:${port}`;
  return s;
}

/** The proxy in front of `backend` for `run`, both closed afterwards; `extra`: startTestProxy's options (routes, timeouts). */
async function through<T>(backend: Scripted, run: (proxy: TestProxy) => Promise<T>, extra: Parameters<typeof startTestProxy>[2] = {}): Promise<T> {
  const proxy = await startTestProxy(ca, backend.url, extra);
  try {
    return await run(proxy);
  } finally {
    await proxy.close();
    await backend.close();
  }
}

describe('answers a browser would accept from a direct connection', () => {
  test('103 Early Hints and 100 Continue are skipped; the final answer arrives whole', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
    await through(b, async (p) => {
      const r = await httpsRequest(p.url('/'), { ca: ca.certPem });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'hello');
    });
  });

  test('a body with no length runs until the backend closes, and reaches the client whole', async () => {
    const b = await scripted((s) => { s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst part, '); setTimeout(() => s.end('second part'), 30); });
    await through(b, async (p) => {
      const r = await httpsRequest(p.url('/'), { ca: ca.certPem });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'first part, second part');
    });
  });

  test('chunked with extensions and trailers arrives de-chunked', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-Checksum: 1\r\n\r\n'));
    await through(b, async (p) => {
      assert.equal((await httpsRequest(p.url('/'), { ca: ca.certPem })).body.toString(), 'abcde');
    });
  });

  test('Transfer-Encoding with a Content-Length: the chunks count, and the length does not reach the client', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'));
    await through(b, async (p) => {
      const r = await httpsRequest(p.url('/'), { ca: ca.certPem });
      assert.equal(r.body.toString(), 'ok');
      assert.equal(r.headers['content-length'], undefined);
      assert.equal((await httpsRequest(p.url('/'), { ca: ca.certPem })).body.toString(), 'ok');
      assert.equal(b.connections, 2, 'a connection that carried both is not reused');
    });
  });

  test('a transfer coding besides chunked (gzip, chunked) stays named, and the encoded body arrives as sent', async () => {
    const gz = gzipSync('hello, gzip');
    const b = await scripted((s) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n');
      s.write(`${gz.length.toString(16)}\r\n`);
      s.write(gz);
      s.write('\r\n0\r\n\r\n');
    });
    await through(b, async (p) => {
      const r = await httpsRequest(p.url('/'), { ca: ca.certPem });
      assert.equal(r.headers['transfer-encoding'], 'gzip, chunked');
      assert.equal(gunzipSync(r.body).toString(), 'hello, gzip');
    });
  });

  test('Connection: close from the backend: the next request opens a new connection', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'));
    await through(b, async (p) => {
      for (let i = 0; i < 3; i++) assert.equal((await httpsRequest(p.url('/'), { ca: ca.certPem })).body.toString(), 'ok');
      assert.equal(b.connections, 3);
    });
  });
});

describe('answers refused with a 502 that says why', () => {
  for (const [what, wire, pattern] of [
    ['not HTTP at all', 'SSH-2.0-OpenSSH_9.2\r\n', /did not answer with HTTP\/1\.1/],
    ['two different Content-Length values', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok', /cannot be passed on safely: the backend sent conflicting Content-Length values/],
    ['a head larger than 64 KiB', `HTTP/1.1 200 OK\r\nSet-Cookie: ${'a'.repeat(70_000)}\r\n\r\n`, /cannot be passed on safely: the backend's response headers are larger than 65536 bytes/],
  ] as const) {
    test(what, async () => {
      const b = await scripted((s) => s.write(wire));
      await through(b, async (p) => {
        const r = await httpsRequest(p.url('/'), { ca: ca.certPem, headers: { accept: 'application/json' } });
        assert.equal(r.status, 502);
        assert.match(r.body.toString(), pattern);
      });
    });
  }

  test('a body cut by a malformed chunk half-way cuts the client off (no clean, truncated answer)', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nnot-a-size\r\n'));
    await through(b, async (p) => {
      await assert.rejects(httpsRequest(p.url('/'), { ca: ca.certPem }), /aborted|socket hang up|ECONNRESET|terminated/i);
    });
  });
});

describe('keep-alive', () => {
  test('a reused connection the backend closed meanwhile: a GET is sent again on a new one; a POST is not', async () => {
    // Each connection answers its first request and closes on the second without a word: the race a
    // proxy meets when a backend's keep-alive timeout fires just as a request goes out.
    const b = await scripted((s, n) => { if (n === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); else s.destroy(); });
    await through(b, async (p) => {
      assert.equal((await httpsRequest(p.url('/one'), { ca: ca.certPem })).status, 200);
      assert.equal((await httpsRequest(p.url('/two'), { ca: ca.certPem })).status, 200);
      assert.equal(b.connections, 2);
      const post = await httpsRequest(p.url('/form'), { ca: ca.certPem, method: 'POST', body: 'x=1', headers: { accept: 'application/json' } });
      assert.equal(post.status, 502, 'a request with a body is never sent twice');
    });
  });

  test('bytes after a complete answer: the client gets the answer, the connection is not reused', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokSTRAY'));
    await through(b, async (p) => {
      assert.equal((await httpsRequest(p.url('/'), { ca: ca.certPem })).body.toString(), 'ok');
      assert.equal((await httpsRequest(p.url('/'), { ca: ca.certPem })).body.toString(), 'ok');
      assert.equal(b.connections, 2);
    });
  });

  test('at most maxSockets connections: more requests wait their turn and all succeed', async () => {
    const b = await scripted((s) => setTimeout(() => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 20));
    const routes = new RouteTable(new Backend(new URL(b.url), { maxSockets: 2 }));
    await through(b, async (p) => {
      const agent = new https.Agent({ keepAlive: true, ca: ca.certPem, maxSockets: 8 });
      try {
        const all = await Promise.all(Array.from({ length: 8 }, () => httpsRequest(p.url('/'), { ca: ca.certPem, agent })));
        assert.deepEqual(all.map((r) => r.status), Array(8).fill(200));
        assert.equal(b.connections, 2);
      } finally {
        agent.destroy();
      }
    }, { routes });
  });

  test('all connections busy: a request waits its turn, up to the idle timeout (504), and a client that leaves stops waiting', async () => {
    const b = await scripted(() => {}); // never answers: the one connection stays busy
    const backend = new Backend(new URL(b.url), { maxSockets: 1 });
    await through(b, async (proxy) => {
      const first = httpsRequest(proxy.url('/busy'), { ca: ca.certPem, headers: { accept: 'application/json' } });
      await until('the first request at the backend', () => b.requests.length === 1);
      const second = await httpsRequest(proxy.url('/waits'), { ca: ca.certPem, headers: { accept: 'application/json' } });
      assert.equal(second.status, 504);
      assert.match(second.body.toString(), /did not answer in time/);
      assert.equal((await first).status, 504);
      const blocker = httpsRequest(proxy.url('/busy-again'), { ca: ca.certPem }).catch(() => undefined);
      await until('the blocker at the backend', () => b.requests.length === 2);
      const leaving = https.request(proxy.url('/leaves'), { ca: ca.certPem, agent: false });
      leaving.on('error', () => {});
      leaving.end();
      await until('a request queued', () => backend.pool.queued === 1);
      leaving.destroy();
      await until('the queue emptied by the client leaving', () => backend.pool.queued === 0, 300);
      await blocker;
    }, { routes: new RouteTable(backend), timeouts: { idleMs: 400 } });
  });

  test('an upload of unknown length goes out chunked, and the request head carries our headers', async () => {
    // The scripted backend splits its input at blank lines: the request head, then the whole chunked
    // body (its last chunk, `0`, ends with one), which is when it answers.
    const b = await scripted((s, n) => { if (n === 2) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); });
    await through(b, async (p) => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(p.url('/upload'), { ca: ca.certPem, method: 'PUT', agent: false }, (res) => { res.resume(); resolve(res.statusCode!); });
        req.on('error', reject);
        req.write('hello ');
        setTimeout(() => req.end('world'), 20);
      });
      assert.equal(status, 200);
      assert.match(b.requests[0]!, /^PUT \/upload HTTP\/1\.1\r\n/);
      assert.match(b.requests[0]!, /\r\nTransfer-Encoding: chunked(\r\n|$)/);
      assert.match(b.requests[0]!, /\r\nX-Forwarded-Proto: https(\r\n|$)/);
      assert.equal(b.requests[1], '6\r\nhello \r\n5\r\nworld\r\n0');
    });
  });
});

/** A raw TLS client to the proxy (to send what Node's client will not, and to see the exact bytes back). */
function rawClient(p: TestProxy): Promise<{ socket: TLSSocket; text: () => string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = tlsConnect({ host: '127.0.0.1', port: p.port, ca: ca.certPem, servername: 'localhost' }, () => resolve({ socket, text: () => text }));
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    socket.on('error', reject);
  });
}

const until = async (what: string, cond: () => boolean, ms = 5000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('requests the backend answers before their body is in', () => {
  test('an early 413 and close while the upload is held back: the client gets the 413 and its upload is drained, not frozen', async () => {
    const b = await scripted((s) => {
      s.pause(); // let the proxy's writes back up, so the client is paused when the answer comes
      setTimeout(() => { s.write('HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'); s.end(); s.resume(); }, 100);
    });
    await through(b, async (p) => {
      const c = await rawClient(p);
      const total = 32 * 1024 * 1024;
      c.socket.write(`POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${total}\r\n\r\n`);
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = (): void => { while (sent < total) { sent += chunk.length; if (!c.socket.write(chunk)) { c.socket.once('drain', pump); return; } } };
      pump();
      await until('the 413', () => c.text().startsWith('HTTP/1.1 413'));
      await until('the whole upload accepted by the proxy', () => sent >= total && c.socket.writableLength === 0, 10_000);
      c.socket.destroy();
    });
  });

  test('a client that leaves mid-upload after a complete answer: the backend connection is closed at once, not held', async () => {
    let closedAt = 0;
    const b = await scripted((s) => {
      s.on('close', () => { closedAt = Date.now(); });
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    await through(b, async (proxy) => {
      const c = await rawClient(proxy);
      c.socket.write('PUT /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\npartial');
      await until('the answer', () => c.text().endsWith('ok'));
      const left = Date.now();
      c.socket.destroy();
      await until('the backend connection closed', () => closedAt > 0, 3000);
      assert.ok(closedAt - left < 2000);
    }, { timeouts: { idleMs: 20_000 } });
  });
});

describe('framing the client can rely on', () => {
  test('an HTTP/1.0 request without Host reaches the backend with one (HTTP/1.1 requires it)', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    await through(b, async (p) => {
      const c = await rawClient(p);
      c.socket.write('GET /old HTTP/1.0\r\n\r\n');
      await until('the answer', () => c.text().endsWith('ok'));
      c.socket.destroy();
      assert.match(b.requests[0]!, new RegExp(`^GET /old HTTP/1\\.1\\r\\nHost: ${b.url.slice('http://'.length).replace(/\./g, '\\.')}\\r\\n`));
    });
  });

  test('repeated equal Content-Length values reach the client as one', async () => {
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok'));
    await through(b, async (p) => {
      const r = await httpsRequest(p.url('/'), { ca: ca.certPem });
      assert.equal(r.body.toString(), 'ok');
      assert.equal(r.headers['content-length'], '2');
    });
  });
});

describe('https:// backends', () => {
  test('a backend with a certificate from the local CA is reached over TLS and verified', async () => {
    const leaf = await issueLeaf({ ca, names: parseNames(['127.0.0.1']), days: 2 });
    const server = createTlsServer({ cert: leaf.certPem, key: leaf.keyPem! });
    const b = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntls'), server);
    const url = b.url.replace('http:', 'https:');
    const routes = new RouteTable(new Backend(new URL(url), { extraCAs: [ca.certPem] }));
    await through(b, async (p) => {
      assert.equal((await httpsRequest(p.url('/'), { ca: ca.certPem })).body.toString(), 'tls');
    }, { routes });
    const untrusted = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntls'), createTlsServer({ cert: leaf.certPem, key: leaf.keyPem! }));
    await through(untrusted, async (p) => {
      const r = await httpsRequest(p.url('/'), { ca: ca.certPem, headers: { accept: 'application/json' } });
      assert.equal(r.status, 502);
      assert.match(r.body.toString(), /TLS connection .* failed/);
    }, { routes: new RouteTable(new Backend(new URL(untrusted.url.replace('http:', 'https:')))) });
  });
});
