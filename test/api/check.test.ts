import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { check } from '../../src/api/check.js';
import { TrustAnchors } from '../../src/diagnose/trust.js';
import { TlsdockError } from '../../src/errors.js';
import { startHttpServer, startHttpsServer, type LoopbackServer } from '../helpers/doctor-servers.js';
import { dns, makeLeaf, makeRoot, type Issued } from '../helpers/x509-factory.js';

let root: Issued, inter: Issued, leaf: Issued, trust: TrustAnchors;
const servers: { close(): Promise<void> | void }[] = [];

before(async () => {
  root = await makeRoot('check root');
  inter = await makeRoot('check inter', { issuer: root });
  leaf = await makeLeaf(inter, { san: [dns('localhost'), dns('app.ai-lab.local'), { type: 'ip', value: '127.0.0.1' }] });
  trust = new TrustAnchors({ nssDir: '/home/u/.pki/nssdb', nss: [{ nickname: 'root', flags: 'C', cert: root.info }], publicRootPems: [], extra: [], systemPems: [] });
});
after(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
});

async function https(chain: Issued[], tls: Record<string, unknown> = {}): Promise<LoopbackServer> {
  const s = await startHttpsServer({ cert: chain.map((c) => c.pem).join(''), key: chain[0]!.keyPem, ...tls });
  servers.push(s);
  return s;
}

/** A TCP server that, like some HTTP servers, waits for the end of headers a TLS hello never sends. */
async function patientHttp(): Promise<number> {
  const server = net.createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
  return (server.address() as net.AddressInfo).port;
}

describe('check', () => {
  test('a good server: OK, TLS 1.3, ALPN, the chain as sent', async () => {
    const s = await https([leaf, inter]);
    const r = await check({ url: s.url('localhost'), connectTo: '127.0.0.1', trust });
    assert.equal(r.browser.chromium, 'OK', r.summary);
    assert.equal(r.ok, true);
    assert.equal(r.tls.protocol, 'TLSv1.3');
    assert.equal(r.tls.alpn, 'http/1.1');
    assert.equal(r.tls.chainOrder, 'as-sent');
    assert.equal(r.tls.sent, 2);
    assert.deepEqual(r.certificates.map((c) => c.role), ['leaf', 'intermediate', 'root']);
    assert.equal(r.target, s.url('localhost').replace(/\/$/, ''));
  });

  test('chain sent out of order (with the root): seen through the TLS 1.2 capture', async () => {
    const s = await https([leaf, root, inter]);
    const r = await check({ url: s.url('localhost'), trust });
    const ids = r.findings.map((f) => f.id);
    assert.ok(ids.includes('chain-out-of-order'), ids.join());
    assert.ok(ids.includes('root-included'));
    assert.equal(r.browser.chromium, 'OK');
  });

  test('TLS 1.3-only server: the order cannot be seen, so Node\'s linked order is used and said so', async () => {
    const s = await https([leaf, root, inter], { minVersion: 'TLSv1.3' });
    const r = await check({ url: s.url('localhost'), trust });
    assert.equal(r.tls.chainOrder, 'linked');
    assert.ok(!r.findings.some((f) => f.id === 'chain-out-of-order'));
    assert.equal(r.browser.chromium, 'OK');
  });

  test('TLS 1.2-only server: order from the main handshake', async () => {
    const s = await https([leaf, root, inter], { maxVersion: 'TLSv1.2' });
    const r = await check({ url: s.url('localhost'), trust });
    assert.equal(r.tls.protocol, 'TLSv1.2');
    assert.equal(r.tls.chainOrder, 'as-sent');
    assert.ok(r.findings.some((f) => f.id === 'chain-out-of-order'));
  });

  test('--connect-to: dial 127.0.0.1, judge the URL\'s name', async () => {
    const s = await https([leaf, inter]);
    assert.equal((await check({ url: `https://app.ai-lab.local:${s.port}/`, connectTo: '127.0.0.1', trust })).browser.chromium, 'OK');
    const wrong = await check({ url: `https://other.ai-lab.local:${s.port}/`, connectTo: '127.0.0.1', trust });
    assert.equal(wrong.browser.chromium, 'ERR_CERT_COMMON_NAME_INVALID');
  });

  test('plain HTTP that answers a TLS hello: http-on-https-port', async () => {
    const s = await startHttpServer();
    servers.push(s);
    const r = await check({ url: `127.0.0.1:${s.port}`, trust });
    assert.equal(r.browser.chromium, 'ERR_SSL_PROTOCOL_ERROR');
    assert.deepEqual(r.findings.map((f) => f.id), ['http-on-https-port']);
    assert.equal(r.ok, false);
  });

  test('plain HTTP that waits in silence: found by a plain request after the TLS timeout', async () => {
    const port = await patientHttp();
    const r = await check({ url: `https://127.0.0.1:${port}`, timeoutMs: 400, trust });
    assert.deepEqual(r.findings.map((f) => f.id), ['http-on-https-port']);
  });

  test('nothing listening, or silence: TlsdockError network (exit 2)', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(check({ url: `https://127.0.0.1:${port}`, trust }), (e: unknown) => e instanceof TlsdockError && e.code === 'network' && /refused/.test(e.message));
    const silent = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    servers.push({ close: () => new Promise<void>((r) => { silent.close(() => r()); }) });
    await assert.rejects(check({ url: `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, timeoutMs: 300, trust }), (e: unknown) => e instanceof TlsdockError && e.code === 'network');
  });

  test('a non-https URL is a usage error', async () => {
    await assert.rejects(check({ url: 'http://127.0.0.1:1', trust }), (e: unknown) => e instanceof TlsdockError && e.code === 'usage');
  });
});
