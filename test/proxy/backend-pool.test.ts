/**
 * The backend connection pool against a real TCP server on loopback: reuse (most recent first),
 * idle connections the server closes or that time out are dropped, the idle limit, the wait queue.
 *
 *   cd /work/main && node --import tsx --test test/proxy/backend-pool.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { BackendPool, type PoolOptions } from '../../src/proxy/backend-pool.js';

let server: Server;
let port = 0;
const accepted: Socket[] = [];

before(async () => {
  server = createServer((s) => { accepted.push(s); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
});

function pool(opts: Partial<PoolOptions> = {}): BackendPool {
  return new BackendPool(() => connect({ host: '127.0.0.1', port }), { maxSockets: 4, maxIdle: 4, idleTimeoutMs: 60_000, ...opts });
}

function lease(p: BackendPool): Promise<{ socket: Socket; reused: boolean }> {
  return new Promise((resolve) => p.acquire((socket, reused) => resolve({ socket, reused })));
}

const tick = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('backend pool', () => {
  test('a released connection is reused, the most recent first', async () => {
    const p = pool();
    const a = await lease(p);
    const b = await lease(p);
    assert.equal(a.reused, false);
    p.release(a.socket);
    p.release(b.socket);
    const c = await lease(p);
    assert.equal(c.reused, true);
    assert.equal(c.socket, b.socket);
    p.close();
    c.socket.destroy();
  });

  test('an idle connection the server closes is dropped; the next lease opens a new one', async () => {
    const p = pool();
    const a = await lease(p);
    await tick();
    p.release(a.socket);
    accepted[accepted.length - 1]!.end();
    await tick();
    assert.equal(a.socket.destroyed, true);
    assert.equal(p.size, 0);
    const b = await lease(p);
    assert.equal(b.reused, false);
    b.socket.destroy();
    p.close();
  });

  test('an idle connection that sends anything unasked is dropped', async () => {
    const p = pool();
    const a = await lease(p);
    await tick();
    p.release(a.socket);
    accepted[accepted.length - 1]!.write('HTTP/1.1 408 Request Timeout\r\n\r\n');
    await tick();
    assert.equal(a.socket.destroyed, true);
    p.close();
  });

  test('idle connections time out, and no more than maxIdle are kept', async () => {
    const p = pool({ idleTimeoutMs: 100, maxIdle: 1 });
    const a = await lease(p);
    const b = await lease(p);
    p.release(a.socket);
    p.release(b.socket);
    assert.equal(b.socket.destroyed, true, 'over the idle limit');
    assert.equal(a.socket.destroyed, false);
    await tick(300);
    assert.equal(a.socket.destroyed, true, 'idle timeout');
    p.close();
  });

  test('at maxSockets, a lease waits for a connection to come back, or to close', async () => {
    const p = pool({ maxSockets: 1 });
    const a = await lease(p);
    const got: { second?: Socket; third?: { socket: Socket; reused: boolean } } = {};
    p.acquire((socket) => { got.second = socket; });
    await tick();
    assert.equal(got.second === undefined, true, 'waits while the only connection is in use');
    p.release(a.socket);
    assert.equal(got.second === a.socket, true, 'the released connection goes to the waiting lease');
    p.acquire((socket, reused) => { got.third = { socket, reused }; });
    got.second!.destroy();
    await tick();
    assert.equal(got.third?.reused, false, 'a closed connection frees its place for a new one');
    got.third!.socket.destroy();
    p.close();
  });

  test('a waiting lease can be withdrawn (its client left): it is not served later', async () => {
    const p = pool({ maxSockets: 1 });
    const a = await lease(p);
    let served = false;
    const withdraw = p.acquire(() => { served = true; });
    assert.equal(p.queued, 1);
    withdraw();
    assert.equal(p.queued, 0);
    p.release(a.socket);
    await tick();
    assert.equal(served, false);
    p.close();
  });
});
