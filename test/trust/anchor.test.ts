import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { bundleHas, chooseAnchor, makeAnchor, normalizeFingerprint } from '../../src/trust/anchor.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { makeTrustPki, type TrustPki } from '../helpers/trust-pki.js';

let pki: TrustPki;
const x = (pem: string) => new X509Certificate(pem);

before(() => { pki = makeTrustPki(makeTmpDir('tlsdock-anchor-')); });
after(() => cleanupTmpDirs());

test('names: NSS nickname with subject and fingerprint prefix (no colon), Java alias, file stem', () => {
  const a = makeAnchor(x(pki.root.pem));
  const hex = a.fingerprint256.replace(/:/g, '');
  assert.equal(a.kind, 'ca');
  assert.equal(a.name, 'trust test root');
  assert.equal(a.label, `tlsdock trust test root ${hex.slice(0, 16)}`);
  assert.equal(a.alias, `tlsdock-${hex.slice(0, 16).toLowerCase()}`);
  assert.equal(a.fileStem, `tlsdock-trust-test-root-${hex.slice(0, 16).toLowerCase()}`);
  assert.doesNotMatch(a.label, /:/);
  // the fingerprints agree with openssl's
  const sha256 = execFileSync('openssl', ['x509', '-in', pki.root.cert, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  const sha1 = execFileSync('openssl', ['x509', '-in', pki.root.cert, '-noout', '-fingerprint', '-sha1'], { encoding: 'utf8' });
  assert.equal(a.fingerprint256, sha256.trim().split('=')[1]);
  assert.equal(a.sha1, sha1.trim().split('=')[1]!.replace(/:/g, ''));
});

test('two CAs with the same subject get different names', () => {
  const other = makeTrustPki(makeTmpDir('tlsdock-anchor-'));
  const a = makeAnchor(x(pki.root.pem));
  const b = makeAnchor(x(other.root.pem));
  assert.equal(a.name, b.name);
  assert.notEqual(a.label, b.label);
  assert.notEqual(a.fileStem, b.fileStem);
});

test('chooseAnchor: the root of a chain file, in any order', () => {
  for (const order of [[pki.leaf, pki.inter, pki.root], [pki.root, pki.inter], [pki.inter, pki.root]]) {
    const c = chooseAnchor(order.map((f) => x(f.pem)));
    assert.ok(c.ok);
    assert.equal(c.anchor.name, 'trust test root');
    assert.equal(c.anchor.kind, 'ca');
  }
});

test('chooseAnchor: an intermediate alone is a CA anchor; a self-signed CA:TRUE server cert is a CA', () => {
  const i = chooseAnchor([x(pki.leaf.pem), x(pki.inter.pem)]);
  assert.ok(i.ok && i.anchor.name === 'trust test intermediate' && i.anchor.kind === 'ca');
  const s = chooseAnchor([x(pki.selfCa.pem)]);
  assert.ok(s.ok && s.anchor.kind === 'ca');
});

test('chooseAnchor: a self-signed CA:FALSE server cert is a peer; a leaf signed by someone else is refused', () => {
  const p = chooseAnchor([x(pki.selfLeaf.pem)]);
  assert.ok(p.ok && p.anchor.kind === 'peer');
  const r = chooseAnchor([x(pki.leaf.pem)]);
  assert.ok(!r.ok);
  assert.equal(r.reason, 'leaf-without-ca');
  assert.match(r.message, /signed by "trust test intermediate", not that CA/);
  assert.equal(chooseAnchor([]).ok, false);
});

test('normalizeFingerprint takes the usual spellings, refuses prefixes', () => {
  const fp = makeAnchor(x(pki.root.pem)).fingerprint256;
  const hex = fp.replace(/:/g, '');
  for (const s of [fp, hex.toLowerCase(), `sha256:${hex}`, `SHA256 Fingerprint=${fp}`, ` ${fp} `]) assert.equal(normalizeFingerprint(s), hex, s);
  assert.equal(normalizeFingerprint(hex.slice(0, 40)), undefined);
  assert.equal(normalizeFingerprint('zz'), undefined);
});

test('bundleHas finds a certificate in a bundle whatever the line wrapping', () => {
  const a = makeAnchor(x(pki.root.pem));
  const rewrapped = pki.root.pem.replace(/\n(?!-----)/g, '\r\n');
  assert.equal(bundleHas(`${pki.inter.pem}# comment\n${rewrapped}`, a), true);
  assert.equal(bundleHas(pki.inter.pem + pki.leaf.pem, a), false);
});
