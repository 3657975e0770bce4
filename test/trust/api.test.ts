/**
 * trust install / uninstall / status as library operations, over sandboxed real stores: Debian's
 * update-ca-certificates, NSS (certutil) in a temp HOME, Java (keytool) on a keystore copy.
 *   node --import tsx --test test/trust/api.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { trustInstall, trustStatus, trustUninstall, type TrustInstallOptions, type StoreReport } from '../../src/api/trust.js';
import { TlsdockError } from '../../src/errors.js';
import { makeAnchor } from '../../src/trust/anchor.js';
import { X509Certificate } from 'node:crypto';
import { makeDebianSandbox } from '../helpers/ca-certificates-sandbox.js';
import { nssDbAt } from '../helpers/chromium.js';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';
import { realStoresSnapshot } from '../helpers/trust-guard.js';

let pki: TrustPki;
let realBefore: string;
before(() => {
  realBefore = realStoresSnapshot();
  pki = makeTrustPki(makeTmpDir('tlsdock-api-'));
});
after(() => {
  cleanupTmpDirs();
  assert.equal(realStoresSnapshot(), realBefore, 'a real trust store changed');
});

const JAVA_CACERTS = realpathSync('/etc/ssl/certs/java/cacerts');

interface Sandbox {
  home: string;
  tlsHome: string;
  ca: TestCA;
  opts: TrustInstallOptions;
}

/** A machine in a folder: HOME, $TLSDOCK_HOME with a CA, a Debian store, Java's cacerts copy. */
async function sandbox(extra: { privileged?: boolean } = {}): Promise<Sandbox> {
  const home = makeTmpDir('tlsdock-home-');
  const tlsHome = join(home, '.local', 'share', 'tlsdock');
  execFileSync('mkdir', ['-p', tlsHome]);
  const ca = await makeTestCA(tlsHome);
  const sb = makeDebianSandbox(makeTmpDir('tlsdock-sb-'));
  const cacerts = join(makeTmpDir('tlsdock-ks-'), 'cacerts');
  copyFileSync(JAVA_CACERTS, cacerts);
  const privileged = extra.privileged ?? true;
  return {
    home,
    tlsHome,
    ca,
    opts: {
      home: tlsHome,
      context: {
        env: { ...process.env, HOME: home, XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' },
        isPrivileged: () => privileged,
        // as a user: only HOME is theirs
        canWrite: (p) => privileged || p.startsWith(home),
      },
      storeOptions: {
        family: 'debian',
        wsl: false,
        debian: sb.options,
        nss: { systemDb: join(home, 'no-etc-pki-nssdb'), chromiumBinaries: ['sh'] },
        java: { cacerts },
      },
    },
  };
}

const byId = (rows: StoreReport[]) => Object.fromEntries(rows.map((r) => [r.id, r]));
const outcomes = (rows: StoreReport[]) => Object.fromEntries(rows.map((r) => [r.id, r.outcome]));

describe('as root', () => {
  test('install puts our CA in the system store, Chromium\'s NSS db and Java; again changes nothing; uninstall takes it out', async () => {
    const s = await sandbox();
    const first = await trustInstall(s.opts);
    assert.equal(first.ok, true);
    assert.deepEqual(outcomes(first.stores), { debian: 'installed', 'nss:chromium': 'installed', java: 'installed' });
    assert.equal(first.anchor.source, join(s.tlsHome, 'ca.pem'));
    assert.equal(first.anchor.kind, 'ca');
    assert.deepEqual(first.fixes, []);
    const db = nssDbAt(join(s.home, '.pki', 'nssdb'));
    assert.match(db.list(), new RegExp(`${first.anchor.label}\\s+C,,`));

    const again = await trustInstall(s.opts);
    assert.deepEqual(outcomes(again.stores), { debian: 'already-present', 'nss:chromium': 'already-present', java: 'already-present' });
    assert.equal(db.list(), nssDbAt(join(s.home, '.pki', 'nssdb')).list());

    const status = await trustStatus(s.opts);
    assert.equal(status.ok, true);
    assert.deepEqual(outcomes(status.stores), { debian: 'present', 'nss:chromium': 'present', java: 'present' });

    const gone = await trustUninstall(s.opts);
    assert.equal(gone.ok, true);
    assert.deepEqual(outcomes(gone.stores), { debian: 'removed', 'nss:chromium': 'removed', java: 'removed' });
    const after = await trustStatus(s.opts);
    assert.equal(after.ok, false);
    assert.deepEqual(outcomes(after.stores), { debian: 'missing', 'nss:chromium': 'missing', java: 'missing' });
    assert.deepEqual(after.fixes, ['tlsdock trust install --store system --store nss --store java']);
    assert.deepEqual(outcomes((await trustUninstall(s.opts)).stores), { debian: 'not-present', 'nss:chromium': 'not-present', java: 'not-present' });
  });

  test('--store limits the stores touched', async () => {
    const s = await sandbox();
    const r = await trustInstall({ ...s.opts, stores: ['nss'] });
    assert.deepEqual(r.stores.map((x) => x.id), ['nss:chromium']);
    const status = await trustStatus({ ...s.opts, stores: ['nss'] });
    assert.equal(status.ok, true);
    const all = await trustStatus(s.opts);
    assert.equal(all.ok, false);
    assert.deepEqual(outcomes(all.stores), { debian: 'missing', 'nss:chromium': 'present', java: 'missing' });
  });

  test('--ca takes PEM or DER, and a chain file gives its root', async () => {
    const s = await sandbox();
    const der = join(makeTmpDir(), 'root.cer');
    writeFileSync(der, new X509Certificate(pki.root.pem).raw);
    const r = await trustInstall({ ...s.opts, caFile: der, stores: ['nss'] });
    assert.equal(r.anchor.name, 'trust test root');
    assert.equal(r.anchor.source, der);
    const chain = join(makeTmpDir(), 'chain.pem');
    writeFileSync(chain, pki.leaf.pem + pki.inter.pem + pki.root.pem);
    const again = await trustInstall({ ...s.opts, caFile: chain, stores: ['nss'] });
    assert.equal(again.stores[0]?.outcome, 'already-present');
  });

  test('a self-signed server certificate: NSS as a peer, Java; the system store says why not', async () => {
    const s = await sandbox();
    const r = await trustInstall({ ...s.opts, caFile: pki.selfLeaf.cert });
    assert.equal(r.anchor.kind, 'peer');
    assert.equal(r.ok, true);
    assert.deepEqual(outcomes(r.stores), { debian: 'not-applicable', 'nss:chromium': 'installed', java: 'installed' });
    assert.match(byId(r.stores).debian?.message ?? '', /system stores hold CA certificates.*tlsdock trust env --ca/);
    assert.match(nssDbAt(join(s.home, '.pki', 'nssdb')).list(), /P,,/);
    assert.equal((await trustStatus({ ...s.opts, caFile: pki.selfLeaf.cert })).ok, true);
  });

  test('a failing store is reported and the others still get the CA', async () => {
    const s = await sandbox();
    const debian = { ...s.opts.storeOptions!.debian!, command: '/bin/false' };
    const r = await trustInstall({ ...s.opts, storeOptions: { ...s.opts.storeOptions, debian } });
    assert.equal(r.ok, false);
    assert.deepEqual(outcomes(r.stores), { debian: 'failed', 'nss:chromium': 'installed', java: 'installed' });
    assert.match(byId(r.stores).debian?.message ?? '', /\/bin\/false .* failed/);
    assert.equal((await trustStatus(s.opts)).stores.find((x) => x.id === 'debian')?.present, false, 'no half state: the anchor file was taken back out');
  });

  test('without certutil: NSS says which package, and the job is not done', async () => {
    const s = await sandbox();
    const r = await trustInstall({ ...s.opts, stores: ['nss'], storeOptions: { ...s.opts.storeOptions, nss: { ...s.opts.storeOptions!.nss, certutil: 'tlsdock-no-certutil' } } });
    assert.equal(r.ok, false);
    assert.equal(r.stores[0]?.outcome, 'missing-tool');
    assert.equal(r.stores[0]?.fix, 'apt install libnss3-tools');
    assert.deepEqual(r.fixes, ['apt install libnss3-tools']);
  });
});

describe('as a user (not root)', () => {
  test('install does the user\'s stores, says which need root and the one command that finishes the job', async () => {
    const s = await sandbox({ privileged: false });
    const r = await trustInstall(s.opts);
    assert.equal(r.ok, false);
    assert.deepEqual(outcomes(r.stores), { debian: 'needs-root', 'nss:chromium': 'installed', java: 'needs-root' });
    const fix = `sudo tlsdock trust install --store system --store java --ca ${join(s.tlsHome, 'ca.pem')}`;
    assert.deepEqual(r.fixes, [fix]);
    assert.equal(byId(r.stores).debian?.fix, fix);
    assert.equal(byId(r.stores).debian?.present, false);

    const status = await trustStatus({ ...s.opts });
    assert.equal(status.ok, false);
    assert.deepEqual(outcomes(status.stores), { debian: 'missing', 'nss:chromium': 'present', java: 'missing' });
    assert.deepEqual(status.fixes, [fix]);

    // what the user then runs with sudo: --ca names the file, so root's own HOME does not matter
    const asRoot = await sandboxAsRoot(s);
    const finished = await trustInstall({ ...asRoot, stores: ['system', 'java'], caFile: join(s.tlsHome, 'ca.pem') });
    assert.equal(finished.ok, true);
    assert.equal((await trustStatus(s.opts)).ok, true);

    const un = await trustUninstall(s.opts);
    assert.equal(un.ok, false);
    assert.deepEqual(outcomes(un.stores), { debian: 'needs-root', 'nss:chromium': 'removed', java: 'needs-root' });
    assert.deepEqual(un.fixes, [`sudo tlsdock trust uninstall --store system --store java --ca ${join(s.tlsHome, 'ca.pem')}`]);
  });
});

/** The same sandbox seen by root: another HOME (sudo resets it), privileged. */
async function sandboxAsRoot(s: Sandbox): Promise<TrustInstallOptions> {
  return {
    ...s.opts,
    home: makeTmpDir('tlsdock-root-home-'),
    context: { ...s.opts.context, env: { ...process.env, HOME: makeTmpDir('tlsdock-root-') }, isPrivileged: () => true, canWrite: () => true },
  };
}

describe('refusals', () => {
  test('no CA yet: one sentence and the fix', async () => {
    const s = await sandbox();
    await assert.rejects(trustInstall({ ...s.opts, home: makeTmpDir() }), (e: TlsdockError) => e.code === 'not-found' && /There is no CA in .* to trust\./.test(e.message) && /tlsdock ca init/.test(e.fix ?? ''));
  });

  test('--ca with a server certificate signed by a CA it does not include: explain, point to the CA', async () => {
    const s = await sandbox();
    await assert.rejects(trustInstall({ ...s.opts, caFile: pki.leaf.cert }), (e: TlsdockError) => e.code === 'bad-input' && /signed by "trust test intermediate", not that CA/.test(e.message) && /docker cp/.test(e.fix ?? ''));
  });

  test('--store java on a machine without Java: not found, exit 2', async () => {
    const s = await sandbox();
    const noJava = { ...s.opts, stores: ['java' as const], storeOptions: { ...s.opts.storeOptions, java: { javaHome: join(s.home, 'no-jdk') } } };
    await assert.rejects(trustInstall(noJava), (e: TlsdockError) => e.code === 'not-found' && e.exitCode === 2 && /No java trust store was found/.test(e.message));
  });

  test('an unknown --store is a usage error', async () => {
    const s = await sandbox();
    await assert.rejects(trustInstall({ ...s.opts, stores: ['firefox' as never] }), (e: TlsdockError) => e.code === 'usage' && /--store firefox/.test(e.message));
  });

  test('the anchor names match what the stores show', async () => {
    const s = await sandbox();
    const a = makeAnchor(new X509Certificate(s.ca.certPem));
    const r = await trustInstall({ ...s.opts, stores: ['java'] });
    assert.deepEqual(r.stores[0]?.entries, [a.alias]);
    assert.equal(r.anchor.fingerprintSha256, a.fingerprint256);
  });
});

describe('the Windows host from WSL (recording runner)', () => {
  test('LocalMachine: a fix that says how Windows elevates, separate from sudo\'s', async () => {
    const s = await sandbox({ privileged: false });
    const { recordingRunner } = await import('../helpers/trust-runner.js');
    const runner = recordingRunner({ programs: ['certutil.exe', 'wslpath', 'update-ca-certificates'], respond: (c) => (c.args.includes('-store') ? { code: 1 } : undefined) });
    const r = await trustInstall({
      ...s.opts,
      stores: ['windows', 'system'],
      machine: true,
      context: { ...s.opts.context, runner },
      storeOptions: { ...s.opts.storeOptions, wsl: true },
    });
    assert.deepEqual(outcomes(r.stores), { debian: 'needs-root', 'wsl:windows:machine': 'needs-root' });
    const ca = join(s.tlsHome, 'ca.pem');
    assert.deepEqual(r.fixes, [
      `sudo tlsdock trust install --store system --ca ${ca} --machine`,
      `from a WSL shell opened in an elevated (Run as administrator) Windows terminal: tlsdock trust install --store windows --ca ${ca} --machine`,
    ]);
    assert.deepEqual(runner.lines(), [`certutil.exe -store Root ${makeAnchor(new X509Certificate(s.ca.certPem)).sha1}`]);
  });
});
