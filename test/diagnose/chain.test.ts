import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { evaluateChain, type ChainInput } from '../../src/diagnose/chain.js';
import type { CertInfo } from '../../src/diagnose/cert-info.js';
import { TrustAnchors, type NssCert } from '../../src/diagnose/trust.js';
import { chromiumVerdict } from '../../src/diagnose/verdict.js';
import { dns, EKU, KU, makeCert, makeLeaf, makeRoot, type Issued } from '../helpers/x509-factory.js';

const DAY = 86400_000;

function trust(o: { nss?: [Issued, string][]; extra?: Issued[]; system?: Issued[]; ourCa?: Issued } = {}): TrustAnchors {
  const nss: NssCert[] = (o.nss ?? []).map(([c, flags], i) => ({ nickname: `nick-${i}`, flags, cert: c.info }));
  return new TrustAnchors({ nssDir: '/home/u/.pki/nssdb', nss, publicRootPems: [], extra: (o.extra ?? []).map((c) => c.info), systemPems: (o.system ?? []).map((c) => c.pem), ourCa: o.ourCa?.info });
}

function run(leaf: Issued, presented: Issued[], t: TrustAnchors, extra: Partial<ChainInput> = {}) {
  const r = evaluateChain({ leaf: leaf.info, presented: presented.map((p) => p.info), trust: t, now: new Date(), ctx: { issueCommand: 'tlsdock issue localhost --out certs/' }, judgeOrder: true, ...extra });
  return { ...r, ids: r.findings.map((f) => f.id), verdict: chromiumVerdict(r.findings), names: (p: CertInfo[]) => p.map((c) => c.name) };
}

let root: Issued, inter: Issued, leaf: Issued;
before(async () => {
  root = await makeRoot('root');
  inter = await makeRoot('inter', { issuer: root });
  leaf = await makeLeaf(inter);
});

describe('path building', () => {
  test('leaf + intermediate, root trusted C: OK, path ends at the NSS anchor', () => {
    const r = run(leaf, [inter], trust({ nss: [[root, 'C']] }));
    assert.equal(r.verdict, 'OK');
    assert.equal(r.trustedBy, 'nss');
    assert.deepEqual(r.path.map((c) => c.name), ['localhost', 'inter', 'root']);
    assert.deepEqual(r.ids, []);
  });

  test('intermediate not sent and nowhere else: chain-incomplete names it, AUTHORITY_INVALID', () => {
    const r = run(leaf, [], trust({ nss: [[root, 'C']] }));
    assert.equal(r.verdict, 'ERR_CERT_AUTHORITY_INVALID');
    const f = r.findings.find((x) => x.id === 'chain-incomplete')!;
    assert.equal(f.severity, 'error');
    assert.match(f.message, /signed by "inter"/);
  });

  test('intermediate only in NSS without flags: OK for Chromium, warning for everyone else', () => {
    const r = run(leaf, [], trust({ nss: [[root, 'C'], [inter, '']] }));
    assert.equal(r.verdict, 'OK');
    const f = r.findings.find((x) => x.id === 'chain-incomplete')!;
    assert.equal(f.severity, 'warning');
    assert.equal(f.browserError, null);
  });

  test('out of order with the root: OK, chain-out-of-order and root-included', () => {
    const r = run(leaf, [root, inter], trust({ nss: [[root, 'C']] }));
    assert.equal(r.verdict, 'OK');
    assert.ok(r.ids.includes('chain-out-of-order'));
    assert.ok(r.ids.includes('root-included'));
    const inOrder = run(leaf, [inter, root], trust({ nss: [[root, 'C']] }));
    assert.ok(!inOrder.ids.includes('chain-out-of-order'));
    assert.ok(inOrder.ids.includes('root-included'));
  });

  test('order is not judged when told not to (certificates from several files)', () => {
    const r = run(leaf, [root, inter], trust({ nss: [[root, 'C']] }), { judgeOrder: false });
    assert.ok(!r.ids.includes('chain-out-of-order'));
  });

  test('a stray certificate is reported as unneeded', async () => {
    const stray = await makeLeaf(root, { cn: 'stray', san: [dns('stray.test')] });
    const r = run(leaf, [inter, stray], trust({ nss: [[root, 'C']] }));
    assert.ok(r.ids.includes('unneeded-certificate'));
  });

  test('untrusted root sent along: untrusted-issuer; in the system store: said so', () => {
    const r = run(leaf, [inter, root], trust({ system: [root] }));
    assert.equal(r.verdict, 'ERR_CERT_AUTHORITY_INVALID');
    const f = r.findings.find((x) => x.id === 'untrusted-issuer')!;
    assert.match(f.message, /system store trusts it/);
  });

  test("tlsdock's own CA not in NSS: untrusted-issuer with tlsdock trust install, even when the root is not sent", async () => {
    const ours = await makeRoot('tlsdock CA');
    const l = await makeLeaf(ours);
    const r = run(l, [], trust({ ourCa: ours }));
    const f = r.findings.find((x) => x.id === 'untrusted-issuer')!;
    assert.equal(f.fix, 'tlsdock trust install');
    assert.equal(r.verdict, 'ERR_CERT_AUTHORITY_INVALID');
  });

  test('an older CA with the same name in NSS is called out', async () => {
    const old = await makeRoot('root');
    const r = run(leaf, [inter], trust({ nss: [[old, 'C']] }));
    assert.equal(r.verdict, 'ERR_CERT_AUTHORITY_INVALID');
    assert.ok(r.findings.some((f) => /another key|same name/.test(f.message)), r.findings.map((f) => f.message).join('\n'));
  });

  test('--ca anchors a path', () => {
    const r = run(leaf, [inter], trust({ extra: [root] }));
    assert.equal(r.verdict, 'OK');
    assert.equal(r.trustedBy, 'extra');
  });

  test('an intermediate trusted C on its own is a valid anchor', () => {
    const r = run(leaf, [], trust({ nss: [[inter, 'C']] }));
    assert.equal(r.verdict, 'OK');
    assert.deepEqual(r.path.map((c) => c.name), ['localhost', 'inter']);
  });

  test('an intermediate marked p (distrusted) blocks the path', () => {
    const r = run(leaf, [inter], trust({ nss: [[root, 'C'], [inter, 'p']] }));
    assert.equal(r.verdict, 'ERR_CERT_AUTHORITY_INVALID');
    assert.ok(r.ids.includes('distrusted'));
  });
});

describe('validation on an anchored path', () => {
  test('expired intermediate: DATE_INVALID', async () => {
    const oldInter = await makeRoot('inter-old', { issuer: root, notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
    const l = await makeLeaf(oldInter);
    const r = run(l, [oldInter], trust({ nss: [[root, 'C']] }));
    assert.equal(r.verdict, 'ERR_CERT_DATE_INVALID');
    assert.match(r.findings.find((f) => f.id === 'expired')!.message, /intermediate CA "inter-old" expired/);
  });

  test('expired anchor counts too (Chromium enforces NSS anchor dates)', async () => {
    const oldRoot = await makeRoot('old-root', { notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
    const l = await makeLeaf(oldRoot);
    assert.equal(run(l, [], trust({ nss: [[oldRoot, 'C']] })).verdict, 'ERR_CERT_DATE_INVALID');
  });

  test('SHA-1 leaf: INVALID when anchored, only AUTHORITY_INVALID when not', async () => {
    const l = await makeLeaf(root, { hash: 'SHA-1' });
    const anchored = run(l, [], trust({ nss: [[root, 'C']] }));
    assert.equal(anchored.verdict, 'ERR_CERT_INVALID');
    const loose = run(l, [], trust());
    assert.equal(loose.verdict, 'ERR_CERT_AUTHORITY_INVALID');
    const weak = loose.findings.find((f) => f.id === 'weak-signature')!;
    assert.equal(weak.browserError, null);
    assert.equal(weak.severity, 'error');
  });

  test('a SHA-1 self-signed root is fine: its own signature is never checked', async () => {
    const sha1Root = await makeRoot('sha1-root', { hash: 'SHA-1' });
    const l = await makeLeaf(sha1Root);
    assert.equal(run(l, [], trust({ nss: [[sha1Root, 'C']] })).verdict, 'OK');
  });

  test('leaf EKU clientAuth only: INVALID', async () => {
    const l = await makeLeaf(root, { eku: [EKU.clientAuth] });
    assert.equal(run(l, [], trust({ nss: [[root, 'C']] })).verdict, 'ERR_CERT_INVALID');
  });

  test('intermediate CA:FALSE, without keyCertSign, or EKU clientAuth: INVALID (issuer-not-a-ca / eku-no-server-auth)', async () => {
    for (const [o, id] of [
      [{ ca: false }, 'issuer-not-a-ca'],
      [{ keyUsage: KU.digitalSignature }, 'issuer-not-a-ca'],
      [{ eku: [EKU.clientAuth] }, 'eku-no-server-auth'],
    ] as const) {
      const bad = await makeRoot('bad-inter', { issuer: root, ...o });
      const l = await makeLeaf(bad);
      const r = run(l, [bad], trust({ nss: [[root, 'C']] }));
      assert.equal(r.verdict, 'ERR_CERT_INVALID', JSON.stringify(o));
      assert.ok(r.ids.includes(id), `${JSON.stringify(o)}: ${r.ids}`);
    }
  });

  test('pathLenConstraint 0 on the root with an intermediate below: INVALID', async () => {
    const strict = await makeRoot('strict', { pathLen: 0 });
    const i2 = await makeRoot('i2', { issuer: strict });
    const l = await makeLeaf(i2);
    const r = run(l, [i2], trust({ nss: [[strict, 'C']] }));
    assert.ok(r.ids.includes('path-length-exceeded'));
    assert.equal(r.verdict, 'ERR_CERT_INVALID');
  });

  test('name constraints on the root: permitted names OK, others INVALID; excluded subtrees too', async () => {
    const nc = await makeRoot('nc', { constraints: { dns: ['local', 'localhost'], ip: ['127.0.0.0/8'], email: [] } });
    assert.equal(run(await makeLeaf(nc, { san: [dns('app.ai-lab.local'), { type: 'ip', value: '127.0.0.1' }] }), [], trust({ nss: [[nc, 'C']] })).verdict, 'OK');
    const bad = run(await makeLeaf(nc, { san: [dns('example.com')] }), [], trust({ nss: [[nc, 'C']] }));
    assert.equal(bad.verdict, 'ERR_CERT_INVALID');
    assert.match(bad.findings.find((f) => f.id === 'name-constraint-violation')!.message, /may not vouch for example\.com/);
    const badIp = run(await makeLeaf(nc, { san: [dns('localhost'), { type: 'ip', value: '10.0.0.1' }] }), [], trust({ nss: [[nc, 'C']] }));
    assert.equal(badIp.verdict, 'ERR_CERT_INVALID');
  });
});

describe('self-signed leaves and NSS trust flags (measured with Chromium 156)', () => {
  const cases: [string, Partial<Parameters<typeof makeCert>[0]>, string, string][] = [
    ['CA:FALSE trusted C', { ca: false }, 'C', 'ERR_CERT_INVALID'],
    ['CA:FALSE trusted P', { ca: false }, 'P', 'OK'],
    ['CA:FALSE trusted CP', { ca: false }, 'CP', 'OK'],
    ['CA:TRUE + keyCertSign trusted C', { ca: true, keyUsage: KU.keyCertSign | KU.digitalSignature }, 'C', 'OK'],
    ['CA:TRUE without keyCertSign trusted C', { ca: true, keyUsage: KU.digitalSignature }, 'C', 'ERR_CERT_INVALID'],
    ['no basicConstraints, keyUsage without keyCertSign, trusted C', { ca: undefined, keyUsage: KU.digitalSignature }, 'C', 'ERR_CERT_AUTHORITY_INVALID'],
    ['no extensions trusted C', { ca: undefined, keyUsage: undefined, eku: undefined }, 'C', 'OK'],
    ['EKU clientAuth trusted P', { eku: [EKU.clientAuth] }, 'P', 'ERR_CERT_INVALID'],
    ['SHA-1 trusted P', { hash: 'SHA-1' }, 'P', 'OK'],
    ['SHA-1 trusted C', { hash: 'SHA-1', ca: undefined, keyUsage: undefined }, 'C', 'ERR_CERT_INVALID'],
    ['expired trusted P', { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) }, 'P', 'ERR_CERT_DATE_INVALID'],
    ['not trusted at all', {}, '', 'ERR_CERT_AUTHORITY_INVALID'],
  ];
  for (const [name, o, flags, expected] of cases) {
    test(`${name} → ${expected}`, async () => {
      const self = await makeLeaf(undefined, o);
      const r = run(self, [], flags ? trust({ nss: [[self, flags]] }) : trust());
      assert.equal(r.verdict, expected, r.findings.map((f) => `${f.id}: ${f.message}`).join('\n'));
      if (name === 'CA:FALSE trusted C') assert.match(r.findings.find((f) => f.id === 'self-signed-trusted-as-ca')!.fix ?? '', /certutil -M -d sql:\/home\/u\/\.pki\/nssdb -n "nick-0" -t P,,/);
      if (expected === 'OK') assert.ok(r.ids.includes('self-signed') && r.findings.find((f) => f.id === 'self-signed')!.severity === 'info');
    });
  }
});
