import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { captureTls, parseCertificateMessage } from '../../src/net/tls-capture.js';
import { startHttpsServer, type LoopbackServer } from '../helpers/doctor-servers.js';
import { makeLeaf, makeRoot } from '../helpers/x509-factory.js';

const servers: LoopbackServer[] = [];
after(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
});

function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 255, (n >> 8) & 255, n & 255]);
}
function record(type: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, 3, 3, payload.length >> 8, payload.length & 255]), payload]);
}
function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}
function certificateMessage(certs: Buffer[]): Buffer {
  const list = Buffer.concat(certs.map((c) => Buffer.concat([u24(c.length), c])));
  return handshake(11, Buffer.concat([u24(list.length), list]));
}

test('parseCertificateMessage: certificates in sent order, across records and after ServerHello', () => {
  const a = Buffer.from('first certificate'), b = Buffer.from('second'), c = Buffer.from('third one');
  const hello = handshake(2, Buffer.alloc(40, 1));
  const msg = certificateMessage([a, b, c]);
  // The Certificate message split over two records, as servers do for big chains.
  const bytes = Buffer.concat([record(22, Buffer.concat([hello, msg.subarray(0, 10)])), record(22, msg.subarray(10)), record(20, Buffer.from([1]))]);
  assert.deepEqual(parseCertificateMessage(bytes), [a, b, c]);
});

test('parseCertificateMessage: nothing after ChangeCipherSpec (encrypted), nothing when truncated', () => {
  const msg = certificateMessage([Buffer.from('x')]);
  assert.equal(parseCertificateMessage(Buffer.concat([record(22, handshake(2, Buffer.alloc(4))), record(20, Buffer.from([1])), record(22, msg)])), null);
  assert.equal(parseCertificateMessage(record(22, msg).subarray(0, 12)), null);
  assert.equal(parseCertificateMessage(Buffer.from('HTTP/1.1 400 Bad Request\r\n')), null);
});

test('captureTls against a real server: TLS 1.2 gives the order as sent, TLS 1.3 does not', async () => {
  const root = await makeRoot('cap root');
  const inter = await makeRoot('cap inter', { issuer: root });
  const leaf = await makeLeaf(inter);
  const s = await startHttpsServer({ cert: leaf.pem + root.pem + inter.pem, key: leaf.keyPem });
  servers.push(s);
  const v12 = await captureTls({ host: '127.0.0.1', port: s.port }, { maxVersion: 'TLSv1.2' });
  assert.ok(v12.ok);
  assert.equal(v12.value.protocol, 'TLSv1.2');
  assert.deepEqual(v12.value.sentChain?.map((d) => d.equals(Buffer.from(root.cert.rawData)) ? 'root' : d.equals(Buffer.from(inter.cert.rawData)) ? 'inter' : 'leaf'), ['leaf', 'root', 'inter']);
  // Node's own view re-links by issuer and (Node 20) even drops the untrusted root that was sent.
  assert.deepEqual(v12.value.linkedChain.map((c) => c.subject), ['CN=localhost', 'CN=cap inter']);
  const v13 = await captureTls({ host: '127.0.0.1', port: s.port });
  assert.ok(v13.ok);
  assert.equal(v13.value.protocol, 'TLSv1.3');
  assert.equal(v13.value.sentChain, null);
});

test('captureTls: TLS 1.0 needs SECLEVEL=0 on the OpenSSL 3 client side', async () => {
  const leaf = await makeLeaf(await makeRoot('old'));
  const s = await startHttpsServer({ cert: leaf.pem, key: leaf.keyPem, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
  servers.push(s);
  const strict = await captureTls({ host: '127.0.0.1', port: s.port }, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
  assert.equal(strict.ok, false, 'OpenSSL 3 refuses TLS 1.0 at its default security level');
  const lenient = await captureTls({ host: '127.0.0.1', port: s.port }, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  assert.ok(lenient.ok);
  assert.equal(lenient.value.protocol, 'TLSv1');
});
