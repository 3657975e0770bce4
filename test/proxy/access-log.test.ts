/**
 * Access and event log lines, and the batching that keeps lines whole when processes share stdout.
 *
 *   cd /work/main && node --import tsx --test test/proxy/access-log.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAccess, formatEvent, ProxyLog, type AccessEntry } from '../../src/proxy/access-log.js';

const entry: AccessEntry = { time: Date.UTC(2030, 0, 2, 3, 4, 5), client: '127.0.0.1', method: 'GET', host: 'localhost:8443', path: '/api', status: 200, bytes: 2048, ms: 3.21, backend: 'http://127.0.0.1:8888' };

describe('formats', () => {
  test('human: one readable line', () => {
    assert.match(formatAccess(entry, 'human'), /^\[\d\d:\d\d:\d\d\] 127\.0\.0\.1 GET localhost:8443\/api 200 2\.0kB 3\.2ms\n$/);
    assert.match(formatAccess({ ...entry, websocket: true, status: 101, error: 'client closed' }, 'human'), / 101 .* websocket \(client closed\)\n$/);
  });
  test('json: one object per line with an ISO time', () => {
    const o = JSON.parse(formatAccess(entry, 'json'));
    assert.equal(o.time, '2030-01-02T03:04:05.000Z');
    assert.equal(o.status, 200);
    assert.equal(o.ms, 3.2);
    assert.equal(o.backend, 'http://127.0.0.1:8888');
  });
  test('events: human sentence or JSON with the event name', () => {
    const e = { type: 'cert-reload-rejected' as const, files: { cert: 'a.pem', key: 'a-key.pem' }, reason: 'a-key.pem is missing', keeping: { names: ['x'], notAfter: '2030-01-01T00:00:00.000Z', fingerprintSha256: 'AA', source: 'file' as const } };
    assert.match(formatEvent(e, 'human'), /kept the certificate in service \(valid until 2030-01-01T00:00:00\.000Z\): the new a\.pem \/ a-key\.pem was refused: a-key\.pem is missing/);
    const o = JSON.parse(formatEvent(e, 'json'));
    assert.equal(o.event, 'cert-reload-rejected');
    assert.equal(o.reason, 'a-key.pem is missing');
  });
});

describe('ProxyLog', () => {
  test('batches lines and writes pieces of at most 4096 bytes that end at a line end', () => {
    const writes: string[] = [];
    const log = new ProxyLog({ format: 'json', access: { write: (s: string) => writes.push(s) }, events: { write: () => true } });
    for (let i = 0; i < 300; i++) log.request({ ...entry, path: `/p/${i}`.padEnd(100, 'x') });
    log.flush();
    assert.ok(writes.length > 1);
    for (const w of writes) {
      assert.ok(Buffer.byteLength(w) <= 4096, `piece of ${Buffer.byteLength(w)} bytes`);
      assert.ok(w.endsWith('\n'));
    }
    const lines = writes.join('').trim().split('\n');
    assert.equal(lines.length, 300);
    assert.equal(JSON.parse(lines[299]!).path.startsWith('/p/299'), true);
  });
  test('human: what the start-up summary showed is not logged again; names and addresses that change later are', () => {
    const lines: string[] = [];
    const log = new ProxyLog({ access: null, events: { write: (s: string) => lines.push(s) } });
    const cert = { names: ['localhost', '10.1.2.3'], notAfter: '2030-01-01T00:00:00.000Z', fingerprintSha256: 'AA', source: 'local-ca' as const };
    log.event({ type: 'name-skipped', name: '203.0.113.9', reason: 'not permitted' });
    log.event({ type: 'cert-issued', reason: 'start', cert });
    assert.deepEqual(lines, []);
    log.event({ type: 'name-skipped', name: '203.0.113.10', reason: 'not permitted' });
    log.event({ type: 'cert-issued', reason: 'names', cert });
    log.event({ type: 'urls-changed', urls: ['https://localhost:8443/', 'https://10.1.2.3:8443/'], added: ['https://10.1.2.3:8443/'], removed: ['https://10.9.9.9:8443/'] });
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /left 203\.0\.113\.10 out of the certificate: not permitted/);
    assert.match(lines[1]!, /names changed: issued a new certificate for localhost, 10\.1\.2\.3/);
    assert.match(lines[2]!, /addresses changed: open https:\/\/10\.1\.2\.3:8443\/ \(gone: https:\/\/10\.9\.9\.9:8443\/\)/);
  });
  test('access: null turns the access log off', () => {
    const log = new ProxyLog({ access: null, events: { write: () => true } });
    assert.equal(log.accessEnabled, false);
    log.request(entry);
    log.flush();
  });
});
