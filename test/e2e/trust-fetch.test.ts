/**
 * `tlsdock trust fetch URL`: trust on first use against live local servers, judged by the real Chromium
 * in temporary HOMEs (--store nss only: the machine's stores are never touched).
 *   npm run build && node --import tsx --test test/e2e/trust-fetch.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeNssHome, verdictOnce } from '../helpers/chromium.js';
import { BIN } from '../helpers/cli.js';
import { runAsync } from '../helpers/run-async.js';
import { startTlsServer, type TestServer } from '../helpers/tls-server.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';
import { X509Certificate } from 'node:crypto';
import { fingerprint256 } from '../../src/trust/anchor.js';

let pki: TrustPki;
let realBefore: string;
const servers: TestServer[] = [];

async function serve(cert: string, key: string): Promise<TestServer> {
  const s = await startTlsServer({ cert, key });
  servers.push(s);
  return s;
}

/** The built CLI, asynchronously (the servers live in this process). */
async function fetchCli(home: string, args: string[], input = '') {
  const tlsHome = join(home, 'tlsdock');
  const r = await runAsync(process.execPath, [BIN, 'trust', 'fetch', ...args], {
    env: { ...process.env, HOME: home, TLSDOCK_HOME: tlsHome, XDG_DATA_HOME: '', XDG_CONFIG_HOME: '', NO_COLOR: '1' },
    input,
  });
  return { ...r, tlsHome, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
}

async function cli(home: string, args: string[]) {
  return runAsync(process.execPath, [BIN, ...args], { env: { ...process.env, HOME: home, TLSDOCK_HOME: join(home, 'tlsdock'), XDG_DATA_HOME: '', NO_COLOR: '1' } });
}

before(() => {
  realBefore = realStoresSnapshot();
  pki = makeTrustPki(makeTmpDir('tlsdock-fetch-'));
});
after(async () => {
  await Promise.allSettled(servers.map((s) => s.close()));
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

const fp = (pem: string) => fingerprint256(new X509Certificate(pem).raw);

describe('self-signed server certificate (not a CA)', () => {
  test('--yes: shown, trusted as a peer (P,,) in NSS, Chromium accepts it; uninstall --ca with the kept copy undoes it', async () => {
    const server = await serve(pki.selfLeaf.pem, pki.selfLeaf.keyPem);
    const h = makeNssHome();
    assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
    const r = await fetchCli(h.home, [server.url('localhost'), '--yes', '--store', 'nss']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /certificate {2}localhost \(self-signed\)/);
    assert.match(r.stdout, /names {4}DNS:localhost, IP:127\.0\.0\.1/);
    assert.match(r.stdout, new RegExp(`sha256 {3}${fp(pki.selfLeaf.pem)}`));
    assert.match(r.stdout, /as this one server/);
    assert.match(r.stdout, /Browsers will accept https:\/\/localhost:\d+\/ after they restart/);
    assert.match(h.list(), /^tlsdock localhost [0-9A-F]{16}\s+P,,\s*$/m);
    assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'OK');

    const kept = /Kept a copy in (\S+);/.exec(r.stdout)?.[1];
    assert.ok(kept && existsSync(kept), r.stdout);
    const un = await cli(h.home, ['trust', 'uninstall', '--ca', kept, '--store', 'nss']);
    assert.equal(un.status, 0, un.stderr + un.stdout);
    assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'ERR_CERT_AUTHORITY_INVALID');
  });

  test('with the system store selected, it says the system store cannot hold peer trust', async () => {
    const server = await serve(pki.selfLeaf.pem, pki.selfLeaf.keyPem);
    const h = makeNssHome();
    // --store system would touch /etc: ask for JSON of a run limited to nss, then check the store rule via status --store system (read-only)
    const r = await fetchCli(h.home, [server.url('localhost'), '--yes', '--store', 'nss', '--json']);
    const kept = (r.json() as { savedTo: string }).savedTo;
    const st = await cli(h.home, ['trust', 'status', '--ca', kept, '--store', 'system', '--json']);
    const row = (JSON.parse(st.stdout) as { stores: { outcome: string; message: string }[] }).stores[0]!;
    assert.equal(row.outcome, 'not-applicable');
    assert.match(row.message, /system stores hold CA certificates/);
  });

  test('only in its CN: installed, but it says plainly browsers will refuse it, and which command fixes it (exit 1)', async () => {
    const server = await serve(pki.noSan.pem, pki.noSan.keyPem);
    const h = makeNssHome();
    const r = await fetchCli(h.home, [server.url('localhost'), '--yes', '--store', 'nss']);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /names {4}none \(no subjectAltName\)/);
    assert.match(r.stdout, /Browsers will still refuse localhost: The certificate names "localhost" only in its CN; browsers ignore the CN\. \(ERR_CERT_COMMON_NAME_INVALID\)/);
    assert.match(r.stdout, /^ {2}tlsdock issue localhost --out certs\/$/m);
    // ...and Chromium agrees
    assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'ERR_CERT_COMMON_NAME_INVALID');
  });
});

describe('a server that sends its root', () => {
  test('--fingerprint of the root: the root is trusted as a CA (C,,), Chromium accepts the leaf', async () => {
    const server = await serve(pki.leaf.pem + pki.inter.pem + pki.root.pem, pki.leaf.keyPem);
    const h = makeNssHome();
    const r = await fetchCli(h.home, [server.url('localhost'), '--fingerprint', fp(pki.root.pem), '--store', 'nss', '--json']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const j = r.json() as { ok: boolean; preview: { anchor: { subject: string; kind: string }; certificates: unknown[] }; browsers: { accepted: boolean } };
    assert.equal(j.ok, true);
    assert.deepEqual([j.preview.anchor.subject, j.preview.anchor.kind], ['trust test root', 'ca']);
    assert.equal(j.preview.certificates.length, 3);
    assert.equal(j.browsers.accepted, true);
    assert.match(h.list(), /^tlsdock trust test root [0-9A-F]{16}\s+C,,\s*$/m);
    assert.equal(await verdictOnce({ home: h.home }, server.url('localhost')), 'OK');
  });

  test('a name the certificate does not cover (--connect-to): installed, browsers refuse that name, the fix names it', async () => {
    const server = await serve(pki.leaf.pem + pki.inter.pem + pki.root.pem, pki.leaf.keyPem);
    const h = makeNssHome();
    const r = await fetchCli(h.home, [`https://jupyter.internal:${server.port}/`, '--connect-to', '127.0.0.1', '--yes', '--store', 'nss']);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /The certificate is for localhost, 127\.0\.0\.1, not jupyter\.internal/);
    assert.match(r.stdout, /tlsdock issue jupyter\.internal localhost 127\.0\.0\.1 --out certs\//);
    assert.equal(await verdictOnce({ home: h.home }, server.url('jupyter.internal')), 'ERR_CERT_COMMON_NAME_INVALID');
  });
});

test('a self-signed CA:TRUE certificate (openssl req -x509\'s default, e.g. a Jupyter quick start) is trusted as a CA', async () => {
  const server = await serve(pki.selfCa.pem, pki.selfCa.keyPem);
  const h = makeNssHome();
  const r = await fetchCli(h.home, [server.url('127.0.0.1'), '--fingerprint', fp(pki.selfCa.pem).replace(/:/g, '').toLowerCase(), '--store', 'nss']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(h.list(), /^tlsdock localhost [0-9A-F]{16}\s+C,,\s*$/m);
  assert.equal(await verdictOnce({ home: h.home }, server.url('127.0.0.1')), 'OK');
});

describe('refusals: nothing is installed', () => {
  test('a mismatching --fingerprint: exit 2, one sentence', async () => {
    const server = await serve(pki.selfLeaf.pem, pki.selfLeaf.keyPem);
    const home = makeTmpDir('tlsdock-fetch-home-');
    const r = await fetchCli(home, [server.url('localhost'), '--fingerprint', fp(pki.root.pem), '--store', 'nss']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^error: The server's certificate \(SHA-256 [0-9A-F:]{95}\) does not match --fingerprint; nothing was installed\.$/m);
    assert.equal(existsSync(join(home, '.pki')), false);
    assert.equal(existsSync(join(r.tlsHome, 'trusted')), false);
  });

  test('a leaf (and intermediate) without the root: cannot be trusted on first use; how to get the CA', async () => {
    const server = await serve(pki.leaf.pem + pki.inter.pem, pki.leaf.keyPem);
    const home = makeTmpDir('tlsdock-fetch-home-');
    const r = await fetchCli(home, [server.url('localhost'), '--yes', '--store', 'nss']);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /certificate {2}localhost/, 'what the server sent is still shown');
    assert.match(r.stderr, /signed by "trust test root" but not that CA itself, so it cannot be trusted on first use/);
    assert.match(r.stderr, /fix: .*docker cp .*tlsdock trust install --ca \.\/ca\.pem/);
    assert.equal(existsSync(join(home, '.pki')), false);
  });

  test('not on a terminal and neither --yes nor --fingerprint: exit 2, says what to pass', async () => {
    const server = await serve(pki.selfLeaf.pem, pki.selfLeaf.keyPem);
    const home = makeTmpDir('tlsdock-fetch-home-');
    const r = await fetchCli(home, [server.url('localhost'), '--store', 'nss']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /pass --yes or --fingerprint/);
    assert.equal(existsSync(join(home, '.pki')), false);
  });

  test('nothing listening / not a URL: exit 2', async () => {
    const home = makeTmpDir('tlsdock-fetch-home-');
    const closed = await fetchCli(home, ['https://127.0.0.1:1/', '--yes', '--store', 'nss']);
    assert.equal(closed.status, 2);
    assert.match(closed.stderr, /connection refused/);
    const bad = await fetchCli(home, ['http://127.0.0.1:8888/', '--yes']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not an https:\/\/ URL/);
  });
});

describe('on a terminal (script(1) gives the CLI a pty)', { skip: !existsSync('/usr/bin/script') && 'util-linux script missing' }, () => {
  test('asks "Trust it? [y/N]": n installs nothing, y installs', async () => {
    const server = await serve(pki.selfLeaf.pem, pki.selfLeaf.keyPem);
    const home = makeTmpDir('tlsdock-fetch-home-');
    const env = { ...process.env, HOME: home, TLSDOCK_HOME: join(home, 'tlsdock'), XDG_DATA_HOME: '', NO_COLOR: '1' };
    const cmd = `${process.execPath} ${BIN} trust fetch ${server.url('localhost')} --store nss`;
    const no = await runAsync('script', ['-qec', cmd, '/dev/null'], { env, input: 'n\n' });
    assert.match(no.stdout, /Trust it\? \[y\/N\]/);
    assert.match(no.stdout, /Nothing was installed\./);
    assert.equal(no.status, 1);
    assert.equal(existsSync(join(home, '.pki')), false);
    const yes = await runAsync('script', ['-qec', cmd, '/dev/null'], { env, input: 'y\n' });
    assert.equal(yes.status, 0, yes.stdout);
    assert.ok(existsSync(join(home, '.pki', 'nssdb', 'cert9.db')));
  });
});
