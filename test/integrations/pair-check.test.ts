import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueLeaf } from '../../src/pki/leaf.js';
import { parseNames } from '../../src/pki/names.js';
import { covers, judgePair, sanNames, type FileRead, type PairFacts } from '../../src/integrations/pair-check.js';
import { makeTestCA, type TestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const NAMES = parseNames(['localhost', '127.0.0.1', '::1', 'tlsdock-test-host']);
let ca: TestCA;
let otherCa: TestCA;
let good: { cert: string; key: string };

const bytes = (s: string | Uint8Array): FileRead => ({ bytes: typeof s === 'string' ? Buffer.from(s) : s });

function facts(cert: FileRead, key: FileRead, over: Partial<PairFacts> = {}): PairFacts {
  return { cert, key, certPath: '/c/cert.pem', keyPath: '/c/key.pem', names: NAMES, caCert: new X509Certificate(ca.certPem), now: NOW, renewBeforeMs: 10 * DAY, ...over };
}

async function leaf(opts: { names?: string[]; days?: number; now?: Date; signer?: TestCA } = {}) {
  const l = await issueLeaf({ ca: opts.signer ?? ca, names: parseNames(opts.names ?? ['localhost', '127.0.0.1', '::1', 'tlsdock-test-host']), days: opts.days ?? 30, now: opts.now ?? NOW });
  return { cert: l.fullchainPem, key: l.keyPem! };
}

before(async () => {
  ca = await makeTestCA(makeTmpDir());
  otherCa = await makeTestCA(makeTmpDir(), { commonName: 'another CA' });
  good = await leaf();
});
after(cleanupTmpDirs);

async function reason(f: PairFacts): Promise<string> {
  const v = await judgePair(f);
  return v.keep ? 'keep' : `${v.reason.id}: ${v.reason.message}`;
}

test('a good pair is kept, with its expiry, serial and fingerprint', async () => {
  const v = await judgePair(facts(bytes(good.cert), bytes(good.key)));
  assert.equal(v.keep, true);
  if (!v.keep) return;
  const x = new X509Certificate(good.cert);
  assert.equal(v.notAfter.toISOString(), new Date(x.validTo).toISOString());
  assert.equal(v.serial, x.serialNumber);
  assert.equal(v.fingerprint256, x.fingerprint256);
});

test('missing and unreadable files name the file', async () => {
  assert.equal(await reason(facts({ error: 'missing', detail: '' }, bytes(good.key))), 'missing: no certificate at /c/cert.pem');
  assert.equal(await reason(facts(bytes(good.cert), { error: 'missing', detail: '' })), 'missing: no key at /c/key.pem');
  assert.equal(await reason(facts(bytes(good.cert), { error: 'unreadable', detail: 'permission denied for uid 1000' })), 'unreadable: /c/key.pem cannot be read (permission denied for uid 1000)');
});

test('DER files are replaced: servers such as Jupyter read PEM only', async () => {
  const der = new X509Certificate(good.cert).raw;
  assert.match(await reason(facts(bytes(der), bytes(good.key))), /^not-pem: \/c\/cert\.pem is DER, but servers read PEM$/);
  const keyDer = createPrivateKey(good.key).export({ type: 'pkcs8', format: 'der' });
  assert.match(await reason(facts(bytes(good.cert), bytes(keyDer))), /^not-pem: \/c\/key\.pem is DER/);
});

test('garbage, an empty file, a key file without a key, and an encrypted key', async () => {
  assert.match(await reason(facts(bytes('hello'), bytes(good.key))), /^invalid: /);
  assert.match(await reason(facts(bytes(''), bytes(good.key))), /^invalid: \/c\/cert\.pem is empty$/);
  assert.match(await reason(facts(bytes(good.cert), bytes(good.cert))), /^invalid: \/c\/key\.pem holds no private key$/);
  const enc = createPrivateKey(good.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' });
  assert.match(await reason(facts(bytes(good.cert), bytes(enc))), /^encrypted-key: .*password-protected/);
});

test('a key that belongs to another certificate', async () => {
  const other = await leaf();
  assert.equal(await reason(facts(bytes(good.cert), bytes(other.key))), 'key-mismatch: the key /c/key.pem does not belong to the certificate /c/cert.pem');
});

test('a pair from another CA (the CA on the volume was replaced) is replaced', async () => {
  const foreign = await leaf({ signer: otherCa });
  assert.match(await reason(facts(bytes(foreign.cert), bytes(foreign.key))), /^other-ca: the certificate was issued by "CN=another CA", not by the current CA$/);
});

test('the seed\'s openssl recipe (self-signed, CN only) is replaced', async () => {
  const dir = makeTmpDir();
  execFileSync('openssl', ['req', '-x509', '-nodes', '-days', '365', '-newkey', 'rsa:2048', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/C=CN/O=AI-Lab/CN=*.ai-lab.local'], { stdio: 'ignore' });
  assert.match(await reason(facts(bytes(readFileSync(join(dir, 'c.pem'))), bytes(readFileSync(join(dir, 'k.pem'))))), /^other-ca: /);
});

test('validity: not yet valid, expired, expiring within renew-before, and just outside it', async () => {
  const future = await leaf({ now: new Date(NOW.getTime() + 5 * DAY) });
  assert.match(await reason(facts(bytes(future.cert), bytes(future.key))), /^not-yet-valid: /);
  const expired = await leaf({ now: new Date(NOW.getTime() - 33 * DAY), days: 30 });
  assert.equal(await reason(facts(bytes(expired.cert), bytes(expired.key))), 'expired: the old certificate expired 3 days ago');
  const expiring = await leaf({ days: 2 });
  assert.equal(await reason(facts(bytes(expiring.cert), bytes(expiring.key))), 'expiring: the old certificate expires in 2 days');
  const eleven = await leaf({ days: 11 });
  assert.equal(await reason(facts(bytes(eleven.cert), bytes(eleven.key))), 'keep');
  assert.match(await reason(facts(bytes(eleven.cert), bytes(eleven.key), { renewBeforeMs: 12 * DAY })), /^expiring: .*11 days$/);
});

test('names: every wanted name must be in the SAN', async () => {
  const narrow = await leaf({ names: ['localhost'] });
  assert.equal(await reason(facts(bytes(narrow.cert), bytes(narrow.key))), 'names: the old certificate does not name 127.0.0.1, ::1, tlsdock-test-host');
  const more = await leaf({ names: ['localhost', '127.0.0.1', '::1', 'tlsdock-test-host', 'extra.local'] });
  assert.equal(await reason(facts(bytes(more.cert), bytes(more.key))), 'keep', 'a SAN with more names is fine');
});

test('the CN never counts as a name (browsers ignore it)', async () => {
  const dir = makeTmpDir();
  // A CA-signed leaf whose only name is in its CN: made with openssl so no SAN is added.
  const keyFile = join(dir, 'k.pem');
  execFileSync('openssl', ['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', keyFile, '-out', join(dir, 'r.csr'), '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const caKey = join(dir, 'ca-key.pem');
  execFileSync('sh', ['-c', `cat > ${caKey}`], { input: ca.keyPem });
  execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'r.csr'), '-CA', ca.certFile, '-CAkey', caKey, '-CAcreateserial', '-out', join(dir, 'c.pem'), '-days', '30'], { stdio: 'ignore' });
  const r = await reason(facts(bytes(readFileSync(join(dir, 'c.pem'))), bytes(readFileSync(keyFile)), { now: new Date(), names: parseNames(['localhost']) }));
  assert.equal(r, 'names: the old certificate does not name localhost');
});

test('sanNames normalises what Node prints (IPv6 in full form) and covers() understands wildcards', async () => {
  const x = new X509Certificate((await leaf({ names: ['*.ai-lab.local', 'fd00::2', 'Bücher.test'] })).cert);
  assert.deepEqual(sanNames(x).map((n) => n.value), ['*.ai-lab.local', 'fd00::2', 'xn--bcher-kva.test']);
  const san = sanNames(x);
  assert.equal(covers(san, parseNames(['gpu1.ai-lab.local'])[0]!), true);
  assert.equal(covers(san, parseNames(['a.b.ai-lab.local'])[0]!), false, 'one label only');
  assert.equal(covers(san, parseNames(['ai-lab.local'])[0]!), false);
  assert.equal(covers(san, parseNames(['fd00:0:0::2'])[0]!), true);
  assert.equal(covers(san, parseNames(['bücher.test'])[0]!), true);
});
