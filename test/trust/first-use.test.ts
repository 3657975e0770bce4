import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { browserOutlook, planFirstUse, viewCert } from '../../src/trust/first-use.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';

let pki: TrustPki;
const x = (pem: string) => new X509Certificate(pem);

before(() => { pki = makeTrustPki(makeTmpDir('tlsdock-tofu-')); });
after(() => cleanupTmpDirs());

test('server sent its root: trust the root as a CA', () => {
  const plan = planFirstUse([x(pki.leaf.pem), x(pki.inter.pem), x(pki.root.pem)]);
  assert.ok(plan.ok);
  assert.equal(plan.anchor.name, 'trust test root');
  assert.equal(plan.anchor.kind, 'ca');
  assert.match(plan.reason, /sent its root CA/);
});

test('self-signed server certificate: CA:FALSE is a peer, CA:TRUE a CA', () => {
  const peer = planFirstUse([x(pki.selfLeaf.pem)]);
  assert.ok(peer.ok && peer.anchor.kind === 'peer');
  const ca = planFirstUse([x(pki.selfCa.pem)]);
  assert.ok(ca.ok && ca.anchor.kind === 'ca');
});

test('leaf (and intermediate) without the root: refused, with how to get the CA', () => {
  for (const chain of [[pki.leaf], [pki.leaf, pki.inter]]) {
    const plan = planFirstUse(chain.map((f) => x(f.pem)));
    assert.ok(!plan.ok);
    assert.match(plan.message, /cannot be trusted on first use/);
    assert.match(plan.fix, /docker cp .* tlsdock trust install --ca/);
  }
  assert.equal(planFirstUse([]).ok, false);
});

test('outlook: a good certificate is accepted for its names, not for others', () => {
  const leaf = x(pki.selfLeaf.pem);
  assert.deepEqual(browserOutlook(leaf, 'localhost'), { accepted: true, problems: [] });
  assert.equal(browserOutlook(leaf, '127.0.0.1').accepted, true);
  const other = browserOutlook(leaf, 'jupyter.internal');
  assert.equal(other.accepted, false);
  assert.equal(other.problems[0]?.id, 'name-not-covered');
  assert.equal(other.problems[0]?.chromium, 'ERR_CERT_COMMON_NAME_INVALID');
  assert.equal(other.fix, 'tlsdock issue jupyter.internal localhost 127.0.0.1 --out certs/');
});

test('outlook: a CN-only certificate is refused even for the CN (browsers ignore it; Node would not)', () => {
  const leaf = x(pki.noSan.pem);
  assert.ok(leaf.checkHost('localhost'), 'Node falls back to the CN');
  const o = browserOutlook(leaf, 'localhost');
  assert.equal(o.accepted, false);
  assert.equal(o.problems[0]?.id, 'no-subject-alt-name');
  assert.equal(o.fix, 'tlsdock issue localhost --out certs/');
});

test('outlook: dates and name constraints', () => {
  const leaf = x(pki.selfLeaf.pem);
  assert.equal(browserOutlook(leaf, 'localhost', { now: new Date(Date.now() + 30 * 86400_000) }).problems[0]?.id, 'expired');
  assert.equal(browserOutlook(leaf, 'localhost', { now: new Date(2000, 0, 1) }).problems[0]?.id, 'not-yet-valid');
  const nc = { dns: ['test'], ip: [], email: [] };
  const o = browserOutlook(leaf, 'localhost', { constraints: nc });
  assert.equal(o.problems[0]?.id, 'name-constraint-violation');
  assert.equal(o.problems[0]?.chromium, 'ERR_CERT_INVALID');
});

test('viewCert shows subject, SANs, issuer, fingerprint', () => {
  const v = viewCert(x(pki.leaf.pem));
  assert.equal(v.subject, 'localhost');
  assert.equal(v.issuer, 'trust test intermediate');
  assert.deepEqual(v.sans, ['DNS:localhost', 'IP:127.0.0.1']);
  assert.match(v.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(v.selfSigned, false);
});
