/**
 * Listen addresses, routes and the URLs printed at start-up.
 *
 *   cd /work/main && node --import tsx --test test/proxy/address.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4Fallback, parseListen, urlChanges, urlsFor } from '../../src/proxy/address.js';
import { Backend, hostOf, parseBackendUrl, parseRoute, RouteTable } from '../../src/proxy/routes.js';
import { redirectTarget } from '../../src/proxy/redirect.js';

describe('parseListen', () => {
  test('port alone means every address (IPv6 and IPv4)', () => {
    assert.deepEqual(parseListen('8443'), { host: '::', port: 8443 });
    assert.deepEqual(parseListen(':8443'), { host: '::', port: 8443 });
    assert.deepEqual(parseListen('0'), { host: '::', port: 0 });
  });
  test('IPv4, bracketed IPv6 and host names', () => {
    assert.deepEqual(parseListen('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
    assert.deepEqual(parseListen('[::1]:443'), { host: '::1', port: 443 });
    assert.deepEqual(parseListen('localhost:9000'), { host: 'localhost', port: 9000 });
  });
  test('nonsense is refused with the expected form', () => {
    for (const bad of ['', 'abc', '70000', '::1:443', '[nope]:1', '1.2.3.4:', 'host:port']) {
      assert.throws(() => parseListen(bad), /expected \[HOST:\]PORT|brackets/, bad);
    }
  });
});

describe('ipv4Fallback', () => {
  test('only the dual-stack wildcard, only when the kernel has no IPv6, falls back to every IPv4 address', () => {
    assert.deepEqual(ipv4Fallback({ host: '::', port: 8443 }, 'EAFNOSUPPORT'), { host: '0.0.0.0', port: 8443 });
    assert.deepEqual(ipv4Fallback({ host: '::', port: 8443 }, 'EADDRNOTAVAIL'), { host: '0.0.0.0', port: 8443 });
    assert.equal(ipv4Fallback({ host: '::', port: 8443 }, 'EADDRINUSE'), undefined, 'a port in use is an error, not a reason to listen elsewhere');
    assert.equal(ipv4Fallback({ host: '::1', port: 8443 }, 'EAFNOSUPPORT'), undefined, 'a specific address has no stand-in');
    assert.equal(ipv4Fallback({ host: '0.0.0.0', port: 8443 }, 'EADDRNOTAVAIL'), undefined);
  });
});

describe('urlsFor', () => {
  test('a wildcard listener lists every typeable name; IPv6 in brackets; no wildcards', () => {
    assert.deepEqual(urlsFor([{ host: '::', port: 8443 }], ['localhost', '127.0.0.1', '::1', 'box', '*.lab.local', '192.168.1.5']), [
      'https://localhost:8443/', 'https://127.0.0.1:8443/', 'https://[::1]:8443/', 'https://box:8443/', 'https://192.168.1.5:8443/',
    ]);
  });
  test('port 443 is left out; an IPv4-only wildcard skips IPv6 names; loopback listeners offer localhost', () => {
    assert.deepEqual(urlsFor([{ host: '0.0.0.0', port: 443 }], ['localhost', '::1']), ['https://localhost/']);
    assert.deepEqual(urlsFor([{ host: '127.0.0.1', port: 9 }], ['localhost', 'box']), ['https://localhost:9/', 'https://127.0.0.1:9/']);
  });
});

describe('urlChanges', () => {
  test('added and removed, in the order of each list; the same URLs in another order are no change', () => {
    assert.deepEqual(urlChanges(['https://a/', 'https://b/'], ['https://b/', 'https://c/', 'https://d/']), { added: ['https://c/', 'https://d/'], removed: ['https://a/'] });
    assert.deepEqual(urlChanges(['https://a/', 'https://b/'], ['https://b/', 'https://a/']), { added: [], removed: [] });
  });
});

describe('backends and routes', () => {
  test('backend URLs: http(s) origins only; a bare host:port means http', () => {
    assert.equal(parseBackendUrl('http://127.0.0.1:8888').origin, 'http://127.0.0.1:8888');
    assert.equal(parseBackendUrl('127.0.0.1:8888').origin, 'http://127.0.0.1:8888');
    assert.equal(parseBackendUrl('https://[::1]:8888/').origin, 'https://[::1]:8888');
    assert.throws(() => parseBackendUrl('ftp://x'), /must be http:\/\/ or https:\/\//);
    assert.throws(() => parseBackendUrl('http://x:1/base'), /origin only \(no path\)/);
    assert.throws(() => parseBackendUrl('http://u:p@x:1'), /credentials/);
    assert.throws(() => parseBackendUrl('http://'), /is not a URL/);
  });
  test('routes: HOST=URL', () => {
    const r = parseRoute('Lab.AI-Lab.local=http://127.0.0.1:8888');
    assert.equal(r.host, 'lab.ai-lab.local');
    assert.equal(r.url.port, '8888');
    assert.throws(() => parseRoute('nohost'), /expected HOST=URL/);
    assert.throws(() => parseRoute('bad host=http://x'), /not a host name/);
  });
  test('the table picks by Host header (port and case ignored), wildcards, then the default', () => {
    const def = new Backend(new URL('http://127.0.0.1:1'));
    const lab = new Backend(new URL('http://127.0.0.1:2'));
    const any = new Backend(new URL('http://127.0.0.1:3'));
    const t = new RouteTable(def, [{ host: 'lab.test', backend: lab }, { host: '*.apps.test', backend: any }]);
    assert.equal(t.lookup('LAB.test:8443'), lab);
    assert.equal(t.lookup('x.apps.test'), any);
    assert.equal(t.lookup('apps.test'), def);
    assert.equal(t.lookup(undefined), def);
    assert.equal(new RouteTable(undefined, [{ host: 'lab.test', backend: lab }]).lookup('other.test'), undefined);
    t.close();
  });
  test('hostOf strips the port and IPv6 brackets', () => {
    assert.equal(hostOf('[::1]:8443'), '::1');
    assert.equal(hostOf('Example.test:1'), 'example.test');
    assert.equal(hostOf(undefined), '');
  });
});

describe('redirectTarget', () => {
  test('same host and path, on the HTTPS port', () => {
    assert.equal(redirectTarget('box:8080', '/lab?x=1', 8443), 'https://box:8443/lab?x=1');
    assert.equal(redirectTarget('[::1]:80', '/', 443), 'https://[::1]/');
    assert.equal(redirectTarget(undefined, '/', 443), undefined);
    assert.equal(redirectTarget('evil.test/x', '/', 443), undefined);
  });
});
