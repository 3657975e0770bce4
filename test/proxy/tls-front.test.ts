/**
 * The TLS front on a real listener: protocol and cipher policy, SNI choosing one certificate per host
 * name, ECDSA and RSA side by side, and swapping certificates with no restart while open connections
 * keep working.
 *
 *   cd /work/main && node --import tsx --test test/proxy/tls-front.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { issueLeaf } from '../../src/pki/leaf.js';
import { parseNames } from '../../src/pki/names.js';
import { servedCertFromPem, type CertSource, type ServedCert } from '../../src/proxy/cert-source.js';
import { TLS_CIPHERS, TlsFront } from '../../src/proxy/tls-front.js';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import type { KeyType } from '../../src/pki/keys.js';

/** A CertSource the test drives by hand. */
class ManualSource implements CertSource {
  readonly renewsItself = false;
  private listeners: ((c: readonly ServedCert[]) => void)[] = [];
  constructor(private certs: ServedCert[]) {}
  current() { return this.certs; }
  async start() {}
  async ensureFresh() {}
  onChange(l: (c: readonly ServedCert[]) => void) { this.listeners.push(l); }
  stop() {}
  set(certs: ServedCert[]) { this.certs = certs; for (const l of this.listeners) l(certs); }
}

let ca: TestCA;
let source: ManualSource;
let server: https.Server;
let port: number;
const certs: Record<string, ServedCert> = {};

async function leaf(names: string[], keyType?: KeyType): Promise<ServedCert> {
  const l = await issueLeaf({ ca, names: parseNames(names), days: 1, keyType });
  return servedCertFromPem(Buffer.from(l.fullchainPem), Buffer.from(l.keyPem!), { source: 'local-ca' });
}

function handshake(opts: ConnectionOptions): Promise<{ socket: TLSSocket; cert: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem, ...opts }, () => resolve({ socket, cert: socket.getPeerCertificate() }));
    socket.on('error', reject);
  });
}

before(async () => {
  ca = await makeTestCA(makeTmpDir('tlsdock-front-'));
  certs.main = await leaf(['localhost', '127.0.0.1']);
  certs.a = await leaf(['a.test']);
  certs.b = await leaf(['*.b.test']);
  certs.rsa = await leaf(['localhost', '127.0.0.1'], 'rsa-2048');
  source = new ManualSource([certs.main, certs.a, certs.b, certs.rsa]);
  const front = new TlsFront(source);
  server = https.createServer(front.serverOptions(), (_req, res) => res.end('ok'));
  front.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cleanupTmpDirs();
});

describe('policy', () => {
  test('TLS 1.3 and 1.2 are offered; 1.1 and 1.0 are refused', async () => {
    const t13 = await handshake({ servername: 'localhost' });
    assert.equal(t13.socket.getProtocol(), 'TLSv1.3');
    t13.socket.destroy();
    const t12 = await handshake({ servername: 'localhost', maxVersion: 'TLSv1.2' });
    assert.equal(t12.socket.getProtocol(), 'TLSv1.2');
    t12.socket.destroy();
    // OpenSSL 3 at its default security level will not even offer 1.1; lower it so the server is what says no.
    await assert.rejects(handshake({ servername: 'localhost', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }), /protocol|version|alert/i);
  });

  test('only AEAD suites with forward secrecy, and a CBC-only client is refused', async () => {
    for (const suite of TLS_CIPHERS.split(':')) assert.match(suite, /GCM|CHACHA20/, suite);
    assert.ok(TLS_CIPHERS.split(':').every((s) => s.startsWith('TLS_') || s.startsWith('ECDHE-')));
    await assert.rejects(handshake({ servername: 'localhost', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA:AES128-SHA' }), /handshake|cipher|alert/i);
  });

  test('client-initiated renegotiation is refused', async () => {
    const { socket } = await handshake({ servername: 'localhost', maxVersion: 'TLSv1.2' });
    const err = await new Promise<Error | null>((resolve) => {
      socket.on('error', (e) => resolve(e));
      socket.renegotiate({}, (e) => resolve(e ?? null));
    });
    assert.ok(err, 'renegotiation should fail');
    socket.destroy();
  });
});

describe('certificates', () => {
  test('SNI picks the certificate for the name; no SNI gets the default', async () => {
    const a = await handshake({ servername: 'a.test' });
    assert.equal(a.cert.fingerprint256, certs.a!.leaf.fingerprint256);
    a.socket.destroy();
    const b = await handshake({ servername: 'x.b.test' });
    assert.equal(b.cert.fingerprint256, certs.b!.leaf.fingerprint256, 'a wildcard covers its subdomains');
    b.socket.destroy();
    const none = await handshake({ servername: '', checkServerIdentity: () => undefined });
    assert.equal(none.cert.fingerprint256, certs.main!.leaf.fingerprint256);
    none.socket.destroy();
    const unknown = await handshake({ servername: 'other.test', checkServerIdentity: () => undefined });
    assert.equal(unknown.cert.fingerprint256, certs.main!.leaf.fingerprint256);
    unknown.socket.destroy();
  });

  test('sessions resume, also for a name served from its own (SNI) context', async () => {
    for (const servername of ['a.test', 'localhost']) {
      const first = await new Promise<Buffer>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername, maxVersion: 'TLSv1.2' });
        s.once('session', (session: Buffer) => { s.destroy(); resolve(session); });
        s.on('error', reject);
      });
      const again = await handshake({ servername, maxVersion: 'TLSv1.2', session: first });
      assert.equal(again.socket.isSessionReused(), true, servername);
      again.socket.destroy();
    }
  });

  test('ECDSA and RSA for the same names: each client gets the key type it can use', async () => {
    const ec = await handshake({ servername: 'localhost', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    assert.equal(ec.cert.fingerprint256, certs.main!.leaf.fingerprint256);
    ec.socket.destroy();
    const rsa = await handshake({ servername: 'localhost', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    assert.equal(rsa.cert.fingerprint256, certs.rsa!.leaf.fingerprint256);
    rsa.socket.destroy();
  });

  test('a new certificate serves the next handshake (SNI and default) while an open connection keeps working', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem });
    const get = () => new Promise<{ fp: string; socketId: unknown }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/', agent, servername: 'localhost' }, (res) => {
        const fp = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve({ fp, socketId: res.socket }));
      });
      req.on('error', reject);
    });
    const first = await get();
    assert.equal(first.fp, certs.main!.leaf.fingerprint256);
    const lastSession = await new Promise<Buffer>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2' });
      s.once('session', (session: Buffer) => { s.destroy(); resolve(session); });
      s.on('error', reject);
    });
    const fresh = await leaf(['localhost', '127.0.0.1']);
    source.set([fresh, certs.a!, certs.b!]);
    const again = await get();
    assert.equal(again.socketId, first.socketId, 'the keep-alive connection survived the swap');
    assert.equal(again.fp, certs.main!.leaf.fingerprint256, 'and still has its handshake');
    agent.destroy();
    const resumed = await handshake({ servername: 'localhost', maxVersion: 'TLSv1.2', session: lastSession });
    assert.equal(resumed.socket.isSessionReused(), true, 'a session from before the swap still resumes');
    resumed.socket.destroy();
    const viaSni = await handshake({ servername: 'localhost' });
    assert.equal(viaSni.cert.fingerprint256, fresh.leaf.fingerprint256);
    viaSni.socket.destroy();
    const noSni = await handshake({ servername: '', checkServerIdentity: () => undefined });
    assert.equal(noSni.cert.fingerprint256, fresh.leaf.fingerprint256, 'the default context was swapped too');
    noSni.socket.destroy();
  });
});
