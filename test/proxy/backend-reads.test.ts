/**
 * Backend reads through onread buffers (src/proxy/backend-reads.ts), against a real TCP server on
 * loopback: every byte arrives once and in order, no chunk handed out is ever written over by a later
 * read (of the same connection or another), large answers switch to large reads, and the number of
 * connections doing so is bounded and given back.
 *
 *   cd /work/main && node --import tsx --test test/proxy/backend-reads.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { LARGE, bulkConnections, bulkEnded, connectReading } from '../../src/proxy/backend-reads.js';

let server: Server;
let port = 0;
/** What the server sends to the next connection it accepts. */
const toSend: Buffer[] = [];
const accepted: Socket[] = [];

before(async () => {
  server = createServer((s) => {
    s.on('error', () => {});
    accepted.push(s);
    const data = toSend.shift();
    if (data) s.write(data); // and stay open: a connection in bulk mode keeps its place until it ends
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
});

/** Connect, hold reading back for `holdMs` (so the kernel queues more than one read's worth), then read everything; chunks are kept as handed out. */
async function receive(data: Buffer, holdMs = 100, onChunk?: (socket: Socket, got: number) => void): Promise<{ socket: Socket; chunks: Buffer[] }> {
  toSend.push(data);
  const socket = connectReading('127.0.0.1', port);
  const chunks: Buffer[] = [];
  socket.pause();
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      onChunk?.(socket, got);
      if (got === data.length) resolve();
    });
    socket.once('connect', () => { setTimeout(() => socket.resume(), holdMs); });
    socket.once('error', reject);
  });
  return { socket, chunks };
}

describe('backend reads', { timeout: 20_000 }, () => {
  test('a large answer arrives whole and in order, in reads larger than 64 KiB, and no handed-out chunk is reused', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const { socket, chunks } = await receive(data);
    // Compared only now, after every read: a buffer handed out and then read into again would differ.
    assert.ok(Buffer.concat(chunks).equals(data), 'the bytes received are the bytes sent');
    const largest = Math.max(...chunks.map((c) => c.length));
    assert.ok(largest > 64 * 1024 && largest <= LARGE, `largest read ${largest} bytes`);
    // A chunk never pins a buffer much larger than itself.
    for (const c of chunks) assert.ok(c.buffer.byteLength <= Math.max(2 * c.length, 8192), `chunk of ${c.length} in a buffer of ${c.buffer.byteLength}`);
    socket.destroy();
    await new Promise((r) => socket.once('close', r));
    assert.equal(bulkConnections(), 0, 'a closed connection leaves bulk mode');
  });

  test('small reads on two connections do not share memory', async () => {
    const a = await receive(Buffer.from('a'.repeat(100)), 0);
    const b = await receive(Buffer.from('b'.repeat(100)), 0);
    assert.equal(Buffer.concat(a.chunks).toString(), 'a'.repeat(100));
    assert.equal(Buffer.concat(b.chunks).toString(), 'b'.repeat(100));
    a.socket.destroy();
    b.socket.destroy();
  });

  test('the place comes back at the read that ends the answer, or later at the next read or the close', async () => {
    const data = randomBytes(1024 * 1024);
    // As the exchange does: the answer ends inside a read.
    const inside = await receive(data, 100, (s, got) => { if (got === data.length) bulkEnded(s); });
    assert.equal(bulkConnections(), 0, 'given back at once, the connection still open');
    inside.socket.destroy();

    // Ended outside a read (an upload answered before its body was in): the handle still reads into
    // the connection's own buffer, so the place stays taken until the close.
    const outside = await receive(randomBytes(1024 * 1024));
    assert.equal(bulkConnections(), 1, 'the connection that read a large answer is in bulk mode');
    bulkEnded(outside.socket);
    bulkEnded(outside.socket);
    assert.equal(bulkConnections(), 1);
    outside.socket.destroy();
    await new Promise((r) => outside.socket.once('close', r));
    assert.equal(bulkConnections(), 0, 'ending twice and closing counts once');
  });

  test('at most 32 connections read in large pieces at once', async () => {
    let most = 0;
    const all = await Promise.all(Array.from({ length: 40 }, () => receive(randomBytes(512 * 1024), 200, () => { most = Math.max(most, bulkConnections()); })));
    assert.equal(most, 32, 'the cap was reached and held');
    for (const r of all) r.socket.destroy();
    await Promise.all(all.map((r) => new Promise((done) => r.socket.once('close', done))));
    assert.equal(bulkConnections(), 0);
  });

  test('a listener that throws ends the connection; no chunk handed out is read into again', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    toSend.push(data);
    const socket = connectReading('127.0.0.1', port);
    const kept: Buffer[] = [];
    let offset = 0;
    let held: { chunk: Buffer; at: number } | undefined;
    socket.pause();
    const error = await new Promise<Error>((resolve) => {
      socket.on('data', (c: Buffer) => {
        kept.push(c);
        offset += c.length;
        if (c.length >= LARGE / 2 && !held) { held = { chunk: c, at: offset - c.length }; throw new Error('listener bug'); }
      });
      socket.once('error', resolve);
      socket.once('connect', () => { setTimeout(() => socket.resume(), 100); });
    });
    assert.equal(error.message, 'listener bug');
    assert.ok(held, 'a large chunk was handed out');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(held.chunk.equals(data.subarray(held.at, held.at + held.chunk.length)), 'the chunk handed out still holds its bytes');
    assert.equal(socket.destroyed, true);
  });
});
