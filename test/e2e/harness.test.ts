/**
 * Self-test of the e2e helpers (test/helpers/{chromium,tls-server,tmp}.ts) against the
 * real system Chromium, plus the NSS-path facts our trust code relies on.
 *
 *   cd /work/main && node --import tsx --test test/e2e/harness.test.ts
 *
 * Everything runs with a temporary $HOME; servers listen on loopback only and every
 * hostname is mapped to 127.0.0.1 by --host-resolver-rules.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHROMIUM_PATH,
  NSS_LEGACY_DIR,
  NSS_XDG_DIR,
  chromiumAvailable,
  makeNssHome,
  openChromium,
  verdictOnce,
  type ChromiumSession,
} from '../helpers/chromium.js';
import { startTlsServer, type TestServer } from '../helpers/tls-server.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

// ---------------------------------------------------------------------------
// Test PKI made with the openssl CLI (independent of tlsdock's own PKI code).
// ---------------------------------------------------------------------------

interface Pki {
  dir: string;
  caPem: string; // path
  leafPem: string; // leaf + CA chain (PEM text)
  leafKey: string; // PEM text
  expiredPem: string; // leaf valid 2020-01-01..2020-01-02 (PEM text)
  selfSignedPem: string; // path: CA:FALSE self-signed leaf for localhost
  selfSignedKey: string; // PEM text
}

const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = tlsdock harness test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca]
default_ca = testca
[testca]
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
`;

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

function makePki(): Pki {
  const dir = makeTmpDir('tlsdock-pki-');
  writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_CNF.replaceAll('$dir', dir));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-sha256',
    '-config', 'openssl.cnf', '-extensions', 'v3_ca');
  openssl(dir, 'req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost');
  openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'leaf.pem', '-days', '1', '-sha256', '-extfile', 'openssl.cnf', '-extensions', 'v3_leaf');
  // openssl 3.0's `x509 -req` cannot back-date; `openssl ca` can.
  openssl(dir, 'ca', '-batch', '-config', 'openssl.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key',
    '-in', 'leaf.csr', '-out', 'expired.pem', '-notext', '-extensions', 'v3_leaf', '-extfile', 'openssl.cnf',
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z');
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.pem', '-days', '1', '-sha256',
    '-subj', '/CN=localhost', '-config', 'openssl.cnf', '-extensions', 'v3_leaf');
  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    leafPem: readFileSync(join(dir, 'leaf.pem'), 'utf8') + ca,
    leafKey: readFileSync(join(dir, 'leaf.key'), 'utf8'),
    expiredPem: readFileSync(join(dir, 'expired.pem'), 'utf8') + ca,
    selfSignedPem: join(dir, 'self.pem'),
    selfSignedKey: readFileSync(join(dir, 'self.key'), 'utf8'),
  };
}

// ---------------------------------------------------------------------------

let pki: Pki;
let server: TestServer;
const sessions: ChromiumSession[] = [];
const servers: TestServer[] = [];

async function open(home: string, hostMap?: string): Promise<ChromiumSession> {
  const s = await openChromium({ home, hostMap });
  sessions.push(s);
  return s;
}

before(async () => {
  assert.ok(chromiumAvailable(), `system Chromium missing at ${CHROMIUM_PATH}: install the 'chromium' package`);
  pki = makePki();
  server = await startTlsServer({ cert: pki.leafPem, key: pki.leafKey, body: '<p id="hello">hello harness</p>' });
  servers.push(server);
});

after(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await Promise.allSettled(servers.map((s) => s.close()));
  cleanupTmpDirs();
});

describe('tmp helper', () => {
  // In a child process: cleanupTmpDirs() clears every registered dir, including this file's fixtures.
  test('makeTmpDir creates a dir under os.tmpdir(), cleanupTmpDirs removes it', () => {
    const script = `
      import { makeTmpDir, cleanupTmpDirs } from ${JSON.stringify(new URL('../helpers/tmp.ts', import.meta.url).href)};
      import { existsSync, statSync } from 'node:fs';
      const a = makeTmpDir('tlsdock-selftest-'), b = makeTmpDir();
      const made = statSync(a).isDirectory() && statSync(b).isDirectory();
      cleanupTmpDirs();
      console.log(JSON.stringify({ a, b, made, gone: !existsSync(a) && !existsSync(b) }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, TLSDOCK_KEEP_TMP: '' },
    });
    const r = JSON.parse(out) as { a: string; b: string; made: boolean; gone: boolean };
    assert.ok(r.a.startsWith(join(tmpdir(), 'tlsdock-selftest-')), r.a);
    assert.ok(r.b.startsWith(join(tmpdir(), 'tlsdock-test-')), r.b);
    assert.deepEqual([r.made, r.gone], [true, true]);
  });
});

describe('nss helper', () => {
  test('makeNssHome initialises an empty db at ~/.pki/nssdb; trust/list/untrust round-trip', () => {
    const h = makeNssHome();
    assert.equal(h.nssdb, join(h.home, NSS_LEGACY_DIR));
    assert.ok(existsSync(join(h.nssdb, 'cert9.db')));
    assert.equal(h.has('tlsdock-test-ca'), false);
    const nick = h.trust(pki.caPem);
    assert.equal(nick, 'tlsdock-test-ca');
    assert.match(h.list(), /tlsdock-test-ca\s+C,,/);
    h.untrust(nick);
    assert.equal(h.has(nick), false);
    assert.throws(() => h.untrust('no-such-cert'), /certutil/);
  });

  test('makeNssHome({location: "xdg"}) leaves ~/.pki absent', () => {
    const h = makeNssHome({ location: 'xdg' });
    assert.equal(h.nssdb, join(h.home, NSS_XDG_DIR));
    assert.ok(existsSync(join(h.nssdb, 'cert9.db')));
    assert.equal(existsSync(join(h.home, '.pki')), false);
  });

  test('openChromium refuses the real HOME', async () => {
    await assert.rejects(openChromium({ home: process.env.HOME ?? '/root' }), /real HOME/);
  });
});

describe('chromium trust verdicts', () => {
  test('fresh NSS home: ERR_CERT_AUTHORITY_INVALID, and the handshake never reaches HTTP', async () => {
    const h = makeNssHome();
    const before = server.requests.length;
    const c = await open(h.home);
    assert.equal(await c.verdict(server.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
    assert.equal(await c.verdict(server.url()), 'ERR_CERT_AUTHORITY_INVALID');
    assert.equal(server.requests.length, before);
    await assert.rejects(c.page(server.url()), /ERR_CERT_AUTHORITY_INVALID/);
  });

  test('after trust(ca) (new launch): OK; uncovered names give ERR_CERT_COMMON_NAME_INVALID', async (t) => {
    const h = makeNssHome();
    h.trust(pki.caPem);
    const c = await open(h.home);
    const t0 = Date.now();
    assert.equal(await c.verdict(server.url('localhost')), 'OK');
    const verdictMs = Date.now() - t0;
    assert.equal(await c.verdict(server.url('127.0.0.1')), 'OK');
    assert.equal(await c.verdict(server.url('other.test')), 'ERR_CERT_COMMON_NAME_INVALID');
    assert.equal(await c.verdict(server.url('app.ai-lab.local')), 'ERR_CERT_COMMON_NAME_INVALID');
    const p = await c.page(server.url('localhost'));
    assert.deepEqual(p, { status: 200, title: 'tlsdock test', text: 'hello harness' });
    assert.ok(server.requests.some((r) => r.host === `localhost:${server.port}`));
    t.diagnostic(`chromium ${c.browser.version()}: launch ${c.launchMs} ms, first verdict ${verdictMs} ms`);
  });

  test('untrust(ca) takes effect on the next launch', async () => {
    const h = makeNssHome();
    const nick = h.trust(pki.caPem, { nickname: 'harness-ca' });
    assert.equal(await verdictOnce({ home: h.home }, server.url()), 'OK');
    h.untrust(nick);
    assert.equal(await verdictOnce({ home: h.home }, server.url()), 'ERR_CERT_AUTHORITY_INVALID');
  });

  test('expired leaf: ERR_CERT_DATE_INVALID; self-signed leaf: P,, trusts it, C,, does not', async () => {
    const expired = await startTlsServer({ cert: pki.expiredPem, key: pki.leafKey });
    const self = await startTlsServer({ cert: readFileSync(pki.selfSignedPem), key: pki.selfSignedKey });
    servers.push(expired, self);

    const h = makeNssHome();
    h.trust(pki.caPem);
    const c = await open(h.home);
    assert.equal(await c.verdict(expired.url('localhost')), 'ERR_CERT_DATE_INVALID');
    assert.equal(await c.verdict(self.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
    await c.close();

    // Chromium 156: a CA:FALSE self-signed leaf is accepted as a trusted peer ('P,,'),
    // but trusting it as a CA ('C,,') is rejected with ERR_CERT_INVALID.
    const peer = makeNssHome();
    peer.trust(pki.selfSignedPem, { flags: 'P,,' });
    assert.equal(await verdictOnce({ home: peer.home }, self.url('localhost')), 'OK');
    const asCa = makeNssHome();
    asCa.trust(pki.selfSignedPem, { flags: 'C,,' });
    assert.equal(await verdictOnce({ home: asCa.home }, self.url('localhost')), 'ERR_CERT_INVALID');
  });

  test('IPv6 loopback server via [::1] literal and via a per-test host map', async () => {
    const v6 = await startTlsServer({ cert: pki.leafPem, key: pki.leafKey, host: '::1' });
    servers.push(v6);
    const h = makeNssHome();
    h.trust(pki.caPem);
    // Default map (MAP * 127.0.0.1, EXCLUDE ::1) leaves the literal alone; the leaf has no IP:::1 SAN.
    const c = await open(h.home);
    assert.equal(await c.verdict(v6.url()), 'ERR_CERT_COMMON_NAME_INVALID');
    await c.close();
    assert.equal(await verdictOnce({ home: h.home, hostMap: 'MAP * [::1]' }, v6.url('localhost')), 'OK');
  });

  test('a server that never answers gives a clear timeout error', async () => {
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as import('node:net').AddressInfo).port;
      const c = await openChromium({ home: makeNssHome().home, navigationTimeoutMs: 1500 });
      sessions.push(c);
      await assert.rejects(c.verdict(`https://localhost:${port}/`), /timed out after 1500 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

// Which NSS db Chromium reads. Measured on Chromium 156.0.8078.114 (Debian 12):
//   ~/.pki/nssdb if that directory exists (even empty), else ~/.local/share/pki/nssdb
//   ($XDG_DATA_HOME/pki/nssdb when XDG_DATA_HOME is set; the helper strips XDG_*).
// tlsdock's trust code must write to the db Chromium will actually read.
describe('chromium NSS db location (fact our trust code relies on)', () => {
  test('CA only in ~/.local/share/pki/nssdb, ~/.pki absent: trusted', async () => {
    const h = makeNssHome({ location: 'xdg' });
    h.trust(pki.caPem);
    assert.equal(existsSync(join(h.home, '.pki')), false);
    assert.equal(await verdictOnce({ home: h.home }, server.url()), 'OK');
  });

  test('same, plus an EMPTY ~/.pki/nssdb directory: not trusted (Chromium reads the legacy path)', async () => {
    const h = makeNssHome({ location: 'xdg' });
    h.trust(pki.caPem);
    mkdirSync(join(h.home, NSS_LEGACY_DIR), { recursive: true });
    assert.equal(await verdictOnce({ home: h.home }, server.url()), 'ERR_CERT_AUTHORITY_INVALID');
    // ...and Chromium initialised a db in that empty directory.
    assert.ok(existsSync(join(h.home, NSS_LEGACY_DIR, 'cert9.db')));
  });

  test('a bare ~/.pki (no nssdb inside) does not switch to the legacy path', async () => {
    const h = makeNssHome({ location: 'xdg' });
    h.trust(pki.caPem);
    mkdirSync(join(h.home, '.pki'));
    assert.equal(await verdictOnce({ home: h.home }, server.url()), 'OK');
  });

  test('an XDG_DATA_HOME in the test process does not leak into the browser', async () => {
    const h = makeNssHome({ location: 'xdg' });
    h.trust(pki.caPem);
    const elsewhere = makeTmpDir('tlsdock-xdg-');
    const saved = process.env.XDG_DATA_HOME;
    process.env.XDG_DATA_HOME = elsewhere;
    try {
      assert.equal(await verdictOnce({ home: h.home }, server.url()), 'OK');
      assert.equal(existsSync(join(elsewhere, 'pki')), false);
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME;
      else process.env.XDG_DATA_HOME = saved;
    }
  });
});
