import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transportFindings } from '../../src/diagnose/transport.js';

const base = { host: 'localhost', port: 8888, address: '127.0.0.1', protocol: 'TLSv1.3', legacyProtocol: null };

test('plain HTTP on the port: ERR_SSL_PROTOCOL_ERROR with the proxy fix', () => {
  const [f] = transportFindings({ ...base, plainHttp: 'HTTP/1.1 400 Bad Request', protocol: null });
  assert.equal(f!.id, 'http-on-https-port');
  assert.equal(f!.browserError, 'ERR_SSL_PROTOCOL_ERROR');
  assert.match(f!.fix!, /tlsdock proxy --to http:\/\/127\.0\.0\.1:8888/);
});

test('TLS 1.0/1.1 only: version mismatch; also offered: a warning; modern: nothing', () => {
  assert.equal(transportFindings({ ...base, protocol: 'TLSv1.1' })[0]!.browserError, 'ERR_SSL_VERSION_OR_CIPHER_MISMATCH');
  assert.deepEqual(transportFindings({ ...base, legacyProtocol: 'TLSv1' }).map((f) => [f.id, f.severity, f.browserError]), [['legacy-tls-offered', 'warning', null]]);
  assert.deepEqual(transportFindings(base), []);
});
