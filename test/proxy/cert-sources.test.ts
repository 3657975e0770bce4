/**
 * Certificate sources: pair checks, short-lived local-CA certificates renewed ahead of expiry, and
 * watched files whose broken or mismatched replacements keep the old pair in service.
 *
 *   cd /work/main && node --import tsx --test test/proxy/cert-sources.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { issueLeaf } from '../../src/pki/leaf.js';
import { parseNames } from '../../src/pki/names.js';
import { FileCertSource } from '../../src/proxy/cert-files.js';
import { LocalCACertSource, namesAdded } from '../../src/proxy/cert-local-ca.js';
import { isLapsed, sanNamesOf, servedCertFromPem } from '../../src/proxy/cert-source.js';
import type { ProxyEvent } from '../../src/proxy/events.js';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { run } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

let ca: TestCA;
let dir: string;

async function pair(names: string[], opts: { days?: number; now?: Date } = {}): Promise<{ cert: string; key: string }> {
  const l = await issueLeaf({ ca, names: parseNames(names), days: opts.days ?? 2, now: opts.now });
  return { cert: l.fullchainPem, key: l.keyPem! };
}

function until<T>(fn: () => T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = fn();
      if (v !== undefined && v !== false) return resolve(v);
      if (Date.now() > deadline) return reject(new Error('condition not met in time'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

before(async () => {
  dir = makeTmpDir('tlsdock-certsrc-');
  ca = await makeTestCA(dir);
});
after(() => cleanupTmpDirs());

describe('servedCertFromPem', () => {
  test('accepts a matching pair and reads its names (IPv6 as people write it)', async () => {
    const p = await pair(['localhost', '127.0.0.1', '::1']);
    const c = await servedCertFromPem(Buffer.from(p.cert), Buffer.from(p.key), { source: 'file' });
    assert.deepEqual(c.names, ['localhost', '127.0.0.1', '::1']);
    assert.deepEqual(sanNamesOf(c.leaf), c.names);
    assert.equal(c.key, 'ECDSA P-256');
    assert.match(c.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('refuses a key from another pair, a broken file and an expired certificate, saying why', async () => {
    const a = await pair(['localhost']);
    const b = await pair(['localhost']);
    await assert.rejects(servedCertFromPem(Buffer.from(a.cert), Buffer.from(b.key), { source: 'file', files: { cert: 'a.pem', key: 'b.pem' } }), /The key b\.pem does not belong to the certificate a\.pem/);
    await assert.rejects(servedCertFromPem(Buffer.from(a.cert.slice(0, 200)), Buffer.from(a.key), { source: 'file', files: { cert: 'cut.pem', key: 'k.pem' } }), /cut\.pem is not valid PEM/);
    const old = await pair(['localhost'], { days: 1, now: new Date(Date.now() - 3 * 86400_000) });
    await assert.rejects(servedCertFromPem(Buffer.from(old.cert), Buffer.from(old.key), { source: 'file', files: { cert: 'old.pem', key: 'k.pem' } }), /old\.pem expired on/);
  });

  test('an encrypted key: refused with the command that decrypts it; served when the library is given its password', async () => {
    const p = await pair(['localhost']);
    const encrypted = createPrivateKey(p.key).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    await assert.rejects(servedCertFromPem(Buffer.from(p.cert), Buffer.from(encrypted), { source: 'file', files: { cert: 'c.pem', key: 'k.pem' } }),
      (e: Error & { code?: string; fix?: string }) => e.code === 'bad-password' && /The key k\.pem is encrypted/.test(e.message) && e.fix === 'openssl pkey -in k.pem -out key.pem');
    const served = await servedCertFromPem(Buffer.from(p.cert), Buffer.from(encrypted), { source: 'file', password: 'pw' });
    assert.deepEqual(served.names, ['localhost']);
  });
});

describe('LocalCACertSource', () => {
  test('issues one certificate per name group, the first being the default', async () => {
    const s = new LocalCACertSource({ loadCA: async () => ca, groups: [parseNames(['localhost', '127.0.0.1']), parseNames(['lab.ai-lab.local'])] });
    await s.start();
    s.stop();
    assert.deepEqual(s.current().map((c) => c.names), [['localhost', '127.0.0.1'], ['lab.ai-lab.local']]);
    const c = s.current()[0]!;
    const life = c.notAfter.getTime() - Date.now();
    assert.ok(life > 6.9 * 86400_000 && life <= 7 * 86400_000, `7-day certificate (got ${life / 86400_000} days)`);
    // What openssl says about our chain: the proxy serves what verifies.
    const f = join(dir, 'served.pem');
    writeFileSync(f, c.certPem);
    const v = run('openssl', ['verify', '-CAfile', ca.certFile, f]);
    assert.equal(v.status, 0, v.stderr);
  });

  test('renews at two thirds of the life, before expiry, with no gap: never a lapsed certificate in service', async () => {
    const events: ProxyEvent[] = [];
    const lifetimeMs = 3000;
    const s = new LocalCACertSource({ loadCA: async () => ca, groups: [parseNames(['localhost'])], lifetimeMs, checkEveryMs: 50, events: (e) => events.push(e) });
    const changes: string[] = [];
    s.onChange((certs) => changes.push(certs[0]!.fingerprintSha256));
    await s.start();
    const first = s.current()[0]!;
    const seen = new Set<string>([first.fingerprintSha256]);
    const stopAt = Date.now() + 2 * lifetimeMs + 500;
    while (Date.now() < stopAt) {
      const c = s.current()[0]!;
      assert.ok(!isLapsed(c), 'a lapsed certificate was in service');
      assert.ok(c.notAfter.getTime() > Date.now());
      seen.add(c.fingerprintSha256);
      await new Promise((r) => setTimeout(r, 25));
    }
    s.stop();
    assert.ok(seen.size >= 3, `expected at least two renewals in ${2 * lifetimeMs} ms, saw ${seen.size - 1}`);
    assert.ok(changes.length >= 2);
    assert.ok(events.some((e) => e.type === 'cert-issued' && e.reason === 'renewal'));
  });

  test('names given as a function: a new one (a new LAN IP) is issued at the next check; the same names, or fewer, issue nothing until the renewal', async () => {
    const events: ProxyEvent[] = [];
    let names = ['localhost', '192.168.7.10'];
    let asked = 0;
    const groups = () => { asked++; if (names.length === 0) throw new Error('no names'); return [parseNames(names)]; };
    const s = new LocalCACertSource({ loadCA: async () => ca, groups, checkEveryMs: 30, events: (e) => events.push(e) });
    await s.start();
    try {
      const first = s.current()[0]!;
      assert.deepEqual(first.names, ['localhost', '192.168.7.10']);
      // Unchanged names: the function is asked at every check, and nothing is issued.
      await until(() => asked >= 5);
      assert.equal(s.current()[0], first);
      // A function that fails keeps the certificate in service.
      names = [];
      const askedBefore = asked;
      await until(() => asked >= askedBefore + 3);
      assert.equal(s.current()[0], first);
      // The same names in another order, or a name gone (an interface that blinks): nothing is issued.
      for (const next of [['192.168.7.10', 'localhost'], ['localhost']]) {
        names = next;
        const n = asked;
        await until(() => asked >= n + 3);
        assert.equal(s.current()[0], first, `names ${next.join(', ')}`);
      }
      names = ['localhost', '10.20.30.7'];
      const renewed = await until(() => (s.current()[0] !== first ? s.current()[0] : undefined));
      assert.deepEqual(renewed.names, ['localhost', '10.20.30.7']);
      assert.ok(events.some((e) => e.type === 'cert-issued' && e.reason === 'names' && e.cert.names.includes('10.20.30.7')));
      // A manual renewal (SIGHUP) asks the function too, and drops what is gone.
      names = ['localhost'];
      await s.renewNow();
      assert.deepEqual(s.current()[0]!.names, ['localhost']);
    } finally {
      s.stop();
    }
  });

  test('namesAdded: per group, order within a group ignored', () => {
    const g = (...groups: string[][]) => groups.map((names) => parseNames(names));
    assert.equal(namesAdded(g(['localhost', '10.0.0.1']), g(['10.0.0.1', 'localhost'])), false);
    assert.equal(namesAdded(g(['localhost', '10.0.0.1']), g(['localhost'])), false);
    assert.equal(namesAdded(g(['localhost']), g(['localhost', '10.0.0.1'])), true);
    assert.equal(namesAdded(g(['localhost'], ['a.test']), g(['localhost', 'a.test'], ['a.test'])), true, 'a name moved into another group');
    assert.equal(namesAdded(g(['localhost']), g(['localhost'], ['a.test'])), true, 'a new group');
  });

  test('when the clock jumped past expiry (a machine that slept), ensureFresh issues a new one first', async () => {
    let clock = Date.now();
    const s = new LocalCACertSource({ loadCA: async () => ca, groups: [parseNames(['localhost'])], checkEveryMs: 3600_000, now: () => clock });
    await s.start();
    s.stop();
    const before = s.current()[0]!;
    clock += 8 * 86400_000;
    assert.ok(isLapsed(before, clock));
    // issueLeaf signs with the real clock; only the source's view of "now" moved. What matters: it renewed.
    await s.ensureFresh();
    assert.notEqual(s.current()[0]!.fingerprintSha256, before.fingerprintSha256);
  });

  test('a CA that cannot sign any more is a clear error, and a failed renewal keeps the current certificate', async () => {
    let fail = false;
    const events: ProxyEvent[] = [];
    const s = new LocalCACertSource({ loadCA: async () => { if (fail) throw new Error('CA unreadable'); return ca; }, groups: [parseNames(['localhost'])], events: (e) => events.push(e) });
    await s.start();
    s.stop();
    const served = s.current()[0]!;
    fail = true;
    // The source keeps using the CA it loaded last, so renewal still works without the file.
    await s.renewNow();
    assert.notEqual(s.current()[0]!.fingerprintSha256, served.fingerprintSha256);

    const expiredCA = await makeTestCA(makeTmpDir('tlsdock-oldca-'), { days: 1, now: new Date(Date.now() - 2 * 86400_000) });
    const dead = new LocalCACertSource({ loadCA: async () => expiredCA, groups: [parseNames(['localhost'])] });
    await assert.rejects(dead.start(), /The local CA .* expired on/);
  });
});

describe('FileCertSource', () => {
  test('reloads a replaced pair by itself; a broken or mismatched replacement keeps the old pair and says why', async () => {
    const d = makeTmpDir('tlsdock-files-');
    const certFile = join(d, 'tls.crt');
    const keyFile = join(d, 'tls.key');
    const p1 = await pair(['localhost']);
    writeFileSync(certFile, p1.cert);
    writeFileSync(keyFile, p1.key);
    const events: ProxyEvent[] = [];
    const s = new FileCertSource({ pairs: [{ cert: certFile, key: keyFile }], pollMs: 100, settleMs: 50, events: (e) => events.push(e) });
    await s.start();
    try {
      const first = s.current()[0]!.fingerprintSha256;

      // A new valid pair, replaced the way tools do it (write aside, rename over).
      const p2 = await pair(['localhost', '127.0.0.1']);
      writeFileSync(`${keyFile}.tmp`, p2.key);
      renameSync(`${keyFile}.tmp`, keyFile);
      writeFileSync(`${certFile}.tmp`, p2.cert);
      renameSync(`${certFile}.tmp`, certFile);
      const second = await until(() => { const fp = s.current()[0]!.fingerprintSha256; return fp !== first ? fp : undefined; });
      assert.deepEqual(s.current()[0]!.names, ['localhost', '127.0.0.1']);
      assert.ok(events.some((e) => e.type === 'cert-reloaded' && e.trigger === 'change'));

      // Garbage over the certificate: refused, old one kept.
      writeFileSync(certFile, '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n');
      const refused = await until(() => events.find((e) => e.type === 'cert-reload-rejected'));
      assert.equal(s.current()[0]!.fingerprintSha256, second);
      assert.match((refused as Extract<ProxyEvent, { type: 'cert-reload-rejected' }>).reason, /not valid PEM|not base64/);

      // A valid certificate whose key is not the one on disk: refused too.
      const p3 = await pair(['localhost']);
      writeFileSync(certFile, p3.cert);
      await until(() => events.filter((e) => e.type === 'cert-reload-rejected').length >= 2 || undefined);
      assert.equal(s.current()[0]!.fingerprintSha256, second);
      assert.match(JSON.stringify(events.at(-1)), /does not belong to the certificate/);

      // Its key arrives: now the pair is whole and goes into service (also on an explicit reload, as SIGHUP does).
      writeFileSync(keyFile, p3.key);
      const result = await s.reload('signal');
      const now = s.current()[0]!.fingerprintSha256;
      assert.notEqual(now, second);
      assert.equal(now, (await servedCertFromPem(Buffer.from(p3.cert), Buffer.from(p3.key), { source: 'file' })).fingerprintSha256);
      assert.ok(result.reloaded.length === 1 || result.unchanged === 1);
    } finally {
      s.stop();
    }
  });

  test('start-up fails with one sentence when a file is missing or expired', async () => {
    const d = makeTmpDir('tlsdock-files-');
    const missing = new FileCertSource({ pairs: [{ cert: join(d, 'nope.pem'), key: join(d, 'nope-key.pem') }], watch: false });
    await assert.rejects(missing.start(), /nope\.pem does not exist/);
    const old = await pair(['localhost'], { days: 1, now: new Date(Date.now() - 3 * 86400_000) });
    writeFileSync(join(d, 'old.pem'), old.cert);
    writeFileSync(join(d, 'old-key.pem'), old.key);
    const expired = new FileCertSource({ pairs: [{ cert: join(d, 'old.pem'), key: join(d, 'old-key.pem') }], watch: false });
    await assert.rejects(expired.start(), /old\.pem expired on/);
    assert.ok(readFileSync(join(d, 'old.pem')).length > 0);
  });
});
