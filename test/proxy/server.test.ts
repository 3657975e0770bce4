/**
 * The proxy server's guard for a machine that slept past its certificate's end: timers stop during
 * suspend, so the renewal tick may not have run when the first client comes back. The server must
 * never show the expired certificate: it refuses that connection, renews, and the next one gets a
 * fresh certificate.
 *
 *   cd /work/main && node --import tsx --test test/proxy/server.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { startTestProxy } from '../helpers/proxy.js';
import { eventually } from '../helpers/jupyter.js';

let ca: TestCA;

before(async () => {
  ca = await makeTestCA(makeTmpDir('tlsdock-server-'));
});

after(() => cleanupTmpDirs());

/** One handshake that trusts only the test CA; the outcome as data (an error code, or the certificate's end). */
function handshake(port: number, servername?: string): Promise<{ ok: true; validTo: number } | { ok: false; code: string }> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: ca.certPem, servername, timeout: 5000 }, () => {
      const validTo = Date.parse(s.getPeerCertificate().valid_to);
      s.destroy();
      resolve({ ok: true, validTo });
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? e.message }));
    s.on('timeout', () => { s.destroy(); resolve({ ok: false, code: 'timeout' }); });
  });
}

for (const servername of [undefined, 'localhost']) {
  test(`slept past the certificate's end (${servername ? 'SNI' : 'an IP, no SNI'}): that connection is refused, never shown the expired certificate; the next gets a fresh one`, async () => {
    const proxy = await startTestProxy(ca, undefined, { lifetimeMs: 3000 });
    try {
      // What a suspended machine does to the renewal timer: it does not run.
      proxy.certs.stop();
      const old = proxy.certs.current()[0]!;
      await new Promise((r) => setTimeout(r, old.notAfter.getTime() - Date.now() + 1100)); // X.509 times have whole seconds
      assert.ok(old.notAfter.getTime() < Date.now(), 'the certificate in service has expired');

      // No SNI means no callback in which to wait for the renewal: that first connection is refused.
      // (With SNI the server refuses it too, today: the guard runs before the client says its name.)
      const first = await handshake(proxy.port, servername);
      assert.ok(first.ok ? first.validTo > Date.now() : first.code !== 'CERT_HAS_EXPIRED', `never the expired certificate (${JSON.stringify(first)})`);
      if (!servername) assert.equal(first.ok, false, 'refused');

      // That connection set off the renewal; once the new certificate is issued, the next handshake gets it.
      await eventually(async () => assert.ok(proxy.events.some((e) => e.type === 'cert-issued' && e.reason === 'expired'), 'no certificate was issued after the expired one was refused'), 10_000, 20);
      const next = await handshake(proxy.port, servername);
      assert.ok(next.ok, `the next connection gets a certificate (${JSON.stringify(next)})`);
      assert.ok(next.validTo > Date.now());
    } finally {
      await proxy.close();
    }
  });
}
