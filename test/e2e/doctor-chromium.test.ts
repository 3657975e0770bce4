/**
 * Chromium is the oracle: every case below is served by a real TLS server on loopback, loaded in
 * headless Chromium (Debian's /usr/bin/chromium, a sandbox HOME whose NSS database holds the test
 * CAs), and `tlsdock check --json` (the built CLI, run with the same HOME, so it reads the same NSS
 * database) must predict exactly the error Chromium shows. `inspect` with the visited host, over the
 * files the server uses, must predict the same (called in-process: the CLI's inspect is covered by
 * doctor-cli.test.ts, and one process less per case keeps this file well under a minute). `expected` pins what Chromium did when this was written, so a browser
 * upgrade that changes behaviour shows up here rather than as a silent wrong prediction.
 *
 * Measured with Chromium 156.0.8078.114 (Debian 12). Where it surprised us:
 *  - SHA-1 (and MD5) signed leaves under a trusted local CA → ERR_CERT_INVALID, not
 *    ERR_CERT_WEAK_SIGNATURE_ALGORITHM; under an untrusted CA → ERR_CERT_AUTHORITY_INVALID.
 *  - a name-constraint violation → ERR_CERT_INVALID, not ERR_CERT_NAME_CONSTRAINT_VIOLATION.
 *  - a leaf whose keyUsage lacks digitalSignature → ERR_SSL_KEY_USAGE_INCOMPATIBLE even when the CA
 *    is untrusted, the name wrong or the leaf expired (BoringSSL checks it before verification).
 *  - an expired root trusted `C,,` → ERR_CERT_DATE_INVALID (anchor dates are enforced).
 *  - a self-signed CA:FALSE leaf trusted `C,,` → ERR_CERT_INVALID; `P,,` (or `CP,,`) → loads.
 *  - a CA:TRUE leaf and a 1024-bit RSA leaf under a local CA load.
 *  - an intermediate that is only in the NSS database (no trust flags) completes the chain.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN } from '../helpers/cli.js';
import { chromiumAvailable, makeNssHome, openChromium, type ChromiumSession, type NssHome } from '../helpers/chromium.js';
import { inspect } from '../../src/api/inspect.js';
import { doctorJson } from '../helpers/doctor-cli.js';
import { startHttpServer, startHttpsServer, type LoopbackServer } from '../helpers/doctor-servers.js';
import { daysFromNow, OpensslPki, type Made } from '../helpers/openssl-pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

interface Case {
  name: string;
  /** The served chain (leaf first) and key; absent for the plain-HTTP case. */
  chain?: Made[];
  key?: Made;
  /** Host the browser visits (every name maps to 127.0.0.1). */
  host: string;
  expected: string;
  /** Finding ids check must report. */
  ids: string[];
  /** Server TLS options beyond cert/key. */
  tls?: Record<string, unknown>;
  http?: boolean;
  /** Skip the inspect comparison (the verdict depends on the live connection). */
  liveOnly?: boolean;
  /** TLSDOCK_HOME for the CLI (default: an empty one). */
  tlsdockHome?: string;
  /** Extra assertion on the check output. */
  also?: (r: Awaited<ReturnType<typeof doctorJson>>) => void;
}

const SAN = 'DNS:localhost,IP:127.0.0.1';
const servers: LoopbackServer[] = [];
const sessions: ChromiumSession[] = [];
let dir: string;
let pki: OpensslPki;
let emptyTlsdockHome: string;

function tlsdock(args: string[], home: string): void {
  execFileSync(process.execPath, [BIN, ...args], { env: { ...process.env, TLSDOCK_HOME: home }, stdio: 'pipe' });
}

/** A tlsdock-issued pair, as Made (the CA is tlsdock's own, in `home`). */
function tlsdockPair(home: string, name: string, names: string[]): Made {
  const out = join(dir, name);
  tlsdock(['issue', ...names, '--cert-file', join(out + '.pem'), '--key-file', join(out + '-key.pem')], home);
  const read = (f: string) => execFileSync('cat', [f], { encoding: 'utf8' });
  return { name, certFile: out + '.pem', keyFile: out + '-key.pem', certPem: read(out + '.pem'), keyPem: read(out + '-key.pem') };
}

async function serve(c: Case): Promise<LoopbackServer> {
  const s = c.http
    ? await startHttpServer()
    : await startHttpsServer({ cert: c.chain!.map((m) => m.certPem).join(''), key: c.key!.keyPem, ciphers: 'DEFAULT@SECLEVEL=0', ...c.tls });
  servers.push(s);
  return s;
}

/** The files a server would be configured with: the chain as one PEM file, and the key. */
function filesFor(c: Case): string[] {
  const chainFile = join(dir, `${c.name}-served.pem`);
  writeFileSync(chainFile, c.chain!.map((m) => m.certPem).join(''));
  return [chainFile, c.key!.keyFile];
}

async function runCase(c: Case, home: NssHome, browser: ChromiumSession, log?: (s: string) => void): Promise<void> {
  const s = await serve(c);
  const url = s.url(c.host);
  const env = { HOME: home.home, TLSDOCK_HOME: c.tlsdockHome ?? emptyTlsdockHome };
  const [verdict, checked, inspected] = await Promise.all([
    browser.verdict(url),
    doctorJson(['check', url, '--connect-to', '127.0.0.1'], env),
    // inspect in-process (same library the CLI calls, same $HOME): cheaper than a second process per case.
    c.liveOnly ? undefined : inspect({ files: filesFor(c), hosts: [c.host], env: { ...env, XDG_DATA_HOME: '' } }),
  ]);
  assert.equal(verdict, c.expected, `Chromium ${browser.browser.version()} changed its verdict for ${c.name}`);
  assert.equal(checked.browser.chromium, verdict, `check predicted ${checked.browser.chromium}, Chromium showed ${verdict}\n${checked.summary}`);
  const ids = checked.findings.map((f) => f.id);
  for (const id of c.ids) assert.ok(ids.includes(id), `check for ${c.name}: expected finding ${id}, got ${ids.join(', ')}`);
  assert.equal(checked.status, checked.ok ? 0 : 1);
  assert.equal(checked.ok, !checked.findings.some((f) => f.severity === 'error'));
  if (verdict !== 'OK') assert.match(checked.summary, new RegExp(`^Chromium will show NET::${verdict} for https://`));
  log?.(`check: ${checked.summary}`);
  log?.(`  findings: ${checked.findings.map((f) => `${f.id}/${f.severity}${f.browserError ? `/${f.browserError}` : ''}`).join(', ')}`);
  c.also?.(checked);
  if (inspected) {
    assert.equal(inspected.browser.chromium, verdict, `inspect predicted ${inspected.browser.chromium}, Chromium showed ${verdict}\n${inspected.summary}`);
  }
}

before(() => {
  assert.ok(chromiumAvailable(), 'system Chromium missing at /usr/bin/chromium: install the chromium package');
  dir = makeTmpDir('tlsdock-doctor-');
  pki = new OpensslPki(dir);
  emptyTlsdockHome = makeTmpDir('tlsdock-home-');
});

after(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await Promise.allSettled(servers.map((s) => s.close()));
  cleanupTmpDirs();
});

// Cases run three at a time: each waits mostly on a browser page load and a CLI process.
describe('CAs trusted C,, in NSS', { concurrency: 3 }, () => {
  const cases: Case[] = [];
  let home: NssHome;
  let browser: ChromiumSession;

  before(async () => {
    // A local root, name-constrained like tlsdock's own, and a second root with intermediates.
    const root = pki.make({ name: 'root', kind: 'ca', extra: ['nameConstraints = critical, permitted;DNS:localhost, permitted;DNS:local, permitted;DNS:test, permitted;IP:127.0.0.0/255.0.0.0'] });
    const root2 = pki.make({ name: 'root2', kind: 'ca' });
    const inter = pki.make({ name: 'inter', kind: 'ca', issuer: root2 });
    const interMissing = pki.make({ name: 'inter-missing', kind: 'ca', issuer: root2 });
    const interNss = pki.make({ name: 'inter-nss', kind: 'ca', issuer: root2 });
    const other = pki.make({ name: 'other-root', kind: 'ca' });
    const rsaRoot = pki.make({ name: 'rsa-root', kind: 'ca', key: 'rsa:2048' });
    const expiredRoot = pki.make({ name: 'expired-root', kind: 'ca', start: '20200101000000Z', end: '20200201000000Z' });
    const leaf = (name: string, o: Partial<Parameters<OpensslPki['make']>[0]> = {}) => pki.make({ name, issuer: root, san: SAN, cn: 'localhost', ...o });
    const tlsHome = makeTmpDir('tlsdock-home-');
    const untrustedTlsHome = makeTmpDir('tlsdock-home-');
    const good = tlsdockPair(tlsHome, 'good', ['localhost', '127.0.0.1']);
    const notInstalled = tlsdockPair(untrustedTlsHome, 'not-installed', ['localhost']);
    const one = (m: Made) => ({ chain: [m], key: m });

    cases.push(
      { name: 'good certificate (tlsdock issue, CA trusted)', ...one(good), host: 'localhost', expected: 'OK', ids: [], tlsdockHome: tlsHome,
        also: (r) => assert.deepEqual(r.findings.filter((f) => f.severity !== 'info'), []) },
      { name: 'CN-only certificate', ...one(leaf('cn-only', { san: undefined, cn: '*.ai-lab.local' })), host: 'app.ai-lab.local', expected: 'ERR_CERT_COMMON_NAME_INVALID', ids: ['no-subject-alt-name'],
        also: (r) => assert.match(r.summary, /names \*\.ai-lab\.local only in its CN/) },
      { name: 'wrong name', ...one(leaf('wrong-name', { san: 'DNS:other.test' })), host: 'localhost', expected: 'ERR_CERT_COMMON_NAME_INVALID', ids: ['name-mismatch'] },
      { name: 'cert for localhost visited as 127.0.0.1', ...one(leaf('localhost-only', { san: 'DNS:localhost' })), host: '127.0.0.1', expected: 'ERR_CERT_COMMON_NAME_INVALID', ids: ['name-mismatch'],
        also: (r) => assert.ok(r.findings.some((f) => f.id === 'name-mismatch' && /127\.0\.0\.1/.test(f.message) && /tlsdock issue 127\.0\.0\.1 localhost/.test(f.fix ?? ''))) },
      { name: 'untrusted CA (root sent too)', chain: [pki.make({ name: 'untrusted', issuer: other, san: SAN }), other], key: undefined, host: 'localhost', expected: 'ERR_CERT_AUTHORITY_INVALID', ids: ['untrusted-issuer'] },
      { name: 'tlsdock CA not installed', ...one(notInstalled), host: 'localhost', expected: 'ERR_CERT_AUTHORITY_INVALID', ids: ['untrusted-issuer'], tlsdockHome: untrustedTlsHome,
        also: (r) => assert.ok(r.findings.some((f) => f.id === 'untrusted-issuer' && f.fix === 'tlsdock trust install')) },
      { name: 'missing intermediate', chain: [pki.make({ name: 'via-missing', issuer: interMissing, san: SAN })], host: 'localhost', expected: 'ERR_CERT_AUTHORITY_INVALID', ids: ['chain-incomplete'],
        also: (r) => assert.ok(r.findings.some((f) => f.id === 'chain-incomplete' && f.severity === 'error' && f.message.includes('"inter-missing"'))) },
      { name: 'intermediate only in NSS (no flags)', chain: [pki.make({ name: 'via-nss', issuer: interNss, san: SAN })], host: 'localhost', expected: 'OK', ids: ['chain-incomplete'] },
      { name: 'chain out of order, root included', chain: [pki.make({ name: 'via-inter', issuer: inter, san: SAN }), root2, inter], host: 'localhost', expected: 'OK', ids: ['chain-out-of-order', 'root-included'] },
      { name: 'expired', ...one(leaf('expired', { start: '20200101000000Z', end: '20200102000000Z' })), host: 'localhost', expected: 'ERR_CERT_DATE_INVALID', ids: ['expired'] },
      { name: 'expired and for another name: the name wins', ...one(leaf('expired-other', { san: 'DNS:other.test', start: '20200101000000Z', end: '20200102000000Z' })), host: 'localhost', expected: 'ERR_CERT_COMMON_NAME_INVALID', ids: ['expired', 'name-mismatch'] },
      { name: 'untrusted CA and another name: the CA wins', chain: [pki.make({ name: 'untrusted-other', issuer: other, san: 'DNS:other.test' }), other], host: 'localhost', expected: 'ERR_CERT_AUTHORITY_INVALID', ids: ['untrusted-issuer', 'name-mismatch'] },
      { name: 'not yet valid', ...one(leaf('future', { start: daysFromNow(10), end: daysFromNow(40) })), host: 'localhost', expected: 'ERR_CERT_DATE_INVALID', ids: ['not-yet-valid'] },
      { name: 'SHA-1 leaf', ...one(leaf('sha1', { md: 'sha1' })), host: 'localhost', expected: 'ERR_CERT_INVALID', ids: ['weak-signature'] },
      { name: 'SHA-1 leaf, untrusted CA', ...one(pki.make({ name: 'sha1-untrusted', issuer: other, san: SAN, md: 'sha1' })), host: 'localhost', expected: 'ERR_CERT_AUTHORITY_INVALID', ids: ['weak-signature'] },
      { name: 'MD5-signed leaf', ...one(pki.make({ name: 'md5', issuer: rsaRoot, san: SAN, md: 'md5' })), host: 'localhost', expected: 'ERR_CERT_INVALID', ids: ['weak-signature'] },
      { name: 'RSA 1024 leaf: Chromium loads it, servers on OpenSSL 3 level 2 refuse it', ...one(pki.make({ name: 'rsa1024', issuer: rsaRoot, san: SAN, key: 'rsa:1024' })), host: 'localhost', expected: 'OK', ids: ['rsa-key-too-small'],
        also: (r) => assert.equal(r.ok, false) },
      { name: 'root trusted C,, but expired', ...one(pki.make({ name: 'via-expired-root', issuer: expiredRoot, san: SAN })), host: 'localhost', expected: 'ERR_CERT_DATE_INVALID', ids: ['expired'] },
      { name: 'EKU clientAuth only', ...one(leaf('eku-client', { extensions: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = clientAuth'] })), host: 'localhost', expected: 'ERR_CERT_INVALID', ids: ['eku-no-server-auth'] },
      { name: 'RSA key usage without digitalSignature, wrong name too', ...one(leaf('no-ds', { key: 'rsa:2048', san: 'DNS:other.test', extensions: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, keyEncipherment', 'extendedKeyUsage = serverAuth'] })), host: 'localhost', expected: 'ERR_SSL_KEY_USAGE_INCOMPATIBLE', ids: ['key-usage-no-digital-signature', 'name-mismatch'] },
      { name: 'name-constraint violation', ...one(leaf('nc-violation', { san: 'DNS:example.com', cn: 'example.com' })), host: 'example.com', expected: 'ERR_CERT_INVALID', ids: ['name-constraint-violation'] },
      { name: 'wildcard one level deep', ...one(leaf('wildcard', { san: 'DNS:*.ai-lab.local,DNS:*.local' })), host: 'app.ai-lab.local', expected: 'OK', ids: ['wildcard-misuse'] },
      { name: 'wildcard does not cover its base', ...one(leaf('wildcard-base', { san: 'DNS:*.ai-lab.local' })), host: 'ai-lab.local', expected: 'ERR_CERT_COMMON_NAME_INVALID', ids: ['name-mismatch'] },
      { name: 'CA:TRUE leaf', ...one(leaf('ca-leaf', { extensions: ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, digitalSignature, keyCertSign', 'extendedKeyUsage = serverAuth'] })), host: 'localhost', expected: 'OK', ids: ['ca-leaf'] },
      { name: 'self-signed leaf, not trusted', ...one(pki.make({ name: 'self-untrusted', san: SAN })), host: 'localhost', expected: 'ERR_CERT_AUTHORITY_INVALID', ids: ['self-signed'] },
      { name: 'TLS 1.0 only', ...one(leaf('tls10')), host: 'localhost', expected: 'ERR_SSL_VERSION_OR_CIPHER_MISMATCH', ids: ['tls-version-too-old'], tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1' }, liveOnly: true },
      { name: 'TLS 1.1 also offered', ...one(leaf('tls11-too')), host: 'localhost', expected: 'OK', ids: ['legacy-tls-offered'], tls: { minVersion: 'TLSv1.1' }, liveOnly: true },
      { name: 'HTTP on an HTTPS port', host: 'localhost', expected: 'ERR_SSL_PROTOCOL_ERROR', ids: ['http-on-https-port'], http: true, liveOnly: true },
    );
    for (const c of cases) if (c.chain && !c.key) c.key = c.chain[0];
    home = makeNssHome();
    for (const ca of [root, root2, rsaRoot, expiredRoot]) home.trust(ca.certFile);
    home.trust(join(tlsHome, 'ca.pem'), { nickname: 'tlsdock-ca' });
    home.trust(interNss.certFile, { flags: ',,' });
    browser = await openChromium({ home: home.home });
    sessions.push(browser);
  });

  // node:test registers tests synchronously, so the table is walked by index once it is built.
  for (let i = 0; i < 28; i++) {
    test(`case ${i + 1}`, async (t) => {
      const c = cases[i];
      assert.ok(c, `case ${i + 1} missing: the table has ${cases.length}`);
      t.diagnostic(c.name);
      await runCase(c, home, browser, (m) => t.diagnostic(m));
    });
  }
  test('the table has exactly the cases above', () => assert.equal(cases.length, 28));
});

describe('a self-signed leaf trusted as a CA (C,,) versus as a peer (P,,)', () => {
  let self: Made;
  before(() => {
    self = pki.make({ name: 'self', san: SAN, cn: 'localhost' });
  });

  for (const [flags, expected, ids] of [['C,,', 'ERR_CERT_INVALID', ['self-signed-trusted-as-ca']], ['P,,', 'OK', ['self-signed']]] as const) {
    test(`trusted ${flags}: ${expected}`, async () => {
      const home = makeNssHome();
      home.trust(self.certFile, { flags, nickname: 'my-self-signed' });
      const browser = await openChromium({ home: home.home });
      sessions.push(browser);
      await runCase({ name: `self-${flags}`, chain: [self], key: self, host: 'localhost', expected, ids: [...ids],
        also: (r) => {
          if (flags === 'C,,') assert.ok(r.findings.some((f) => f.fix?.includes('-n "my-self-signed" -t P,,')), 'the fix re-flags the same nickname as a peer');
        } }, home, browser);
      await browser.close();
    });
  }
});
