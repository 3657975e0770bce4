import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { run, runCli } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

function sandbox() {
  const dir = makeTmpDir();
  return { dir, home: join(dir, 'home'), env: { TLSDOCK_HOME: join(dir, 'home') } };
}

test('ca init makes a name-constrained ECDSA P-256 root; show prints it; init again refuses without --force', () => {
  const s = sandbox();
  const r = runCli(['ca', 'init', '--json', '--permit', 'ai-lab.example.com', '--permit', '203.0.113.0/24'], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  const j = r.json() as { ca: { constraints: { dns: string[]; ip: string[] }; key: string; fingerprintSha256: string; paths: { cert: string; key: string } } };
  assert.equal(j.ca.key, 'ECDSA P-256');
  assert.ok(j.ca.constraints.dns.includes('localhost') && j.ca.constraints.dns.includes('ai-lab.example.com'));
  assert.ok(j.ca.constraints.ip.includes('203.0.113.0/24') && j.ca.constraints.ip.includes('fc00::/7'));
  assert.equal(statSync(j.ca.paths.key).mode & 0o777, 0o600);
  const text = run('openssl', ['x509', '-in', j.ca.paths.cert, '-noout', '-text']).stdout;
  assert.match(text, /X509v3 Name Constraints: critical/);
  assert.match(text, /CA:TRUE, pathlen:0/);
  assert.match(text, /Certificate Sign, CRL Sign/);
  assert.equal(new X509Certificate(readFileSync(j.ca.paths.cert)).fingerprint256, j.ca.fingerprintSha256);

  const show = runCli(['ca', 'show'], { env: s.env });
  assert.equal(show.status, 0);
  for (const want of ['subject', 'sha256', j.ca.fingerprintSha256, 'ai-lab.example.com', j.ca.paths.cert]) assert.ok(show.stdout.includes(want), want);

  const again = runCli(['ca', 'init'], { env: s.env });
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists/);
  assert.equal(runCli(['ca', 'show', '--json'], { env: s.env }).json().ca && true, true);
  const forced = runCli(['ca', 'init', '--force', '--key-type', 'rsa-2048', '--no-constraints', '--name', 'Team, "AI" lab', '--json'], { env: s.env });
  assert.equal(forced.status, 0, forced.stderr);
  const f = forced.json() as { ca: { key: string; constraints: null; subject: string } };
  assert.equal(f.ca.key, 'RSA 2048');
  assert.equal(f.ca.constraints, null);
  assert.match(f.ca.subject, /CN=Team\\?, \\?"AI\\?" lab|Team, "AI" lab/);
  // an unconstrained CA may sign for a public name
  assert.equal(runCli(['issue', 'example.com', '--out', s.dir], { env: s.env }).status, 0);
});

test('ca show without a CA: one sentence and the command to run', () => {
  const s = sandbox();
  const r = runCli(['ca', 'show'], { env: s.env });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no CA/);
  assert.match(r.stderr, /tlsdock ca init/);
});

test('ca export writes PEM and DER that openssl reads, never the key', () => {
  const s = sandbox();
  runCli(['ca', 'init'], { env: s.env });
  const pem = runCli(['ca', 'export'], { env: s.env });
  assert.equal(pem.status, 0);
  assert.match(pem.stdout, /^-----BEGIN CERTIFICATE-----/);
  assert.doesNotMatch(pem.stdout, /PRIVATE KEY/);
  const der = join(s.dir, 'ca.cer');
  assert.equal(runCli(['ca', 'export', '--format', 'der', '--out', der], { env: s.env }).status, 0);
  assert.equal(run('openssl', ['x509', '-inform', 'DER', '-in', der, '-noout']).status, 0);
  assert.equal(runCli(['ca', 'export', '--format', 'der', '--out', der], { env: s.env }).status, 2, 'no overwrite without --force');
});

test('ca import --cert/--key takes a team CA made by openssl, and issue uses it', () => {
  const s = sandbox();
  const key = join(s.dir, 'team-key.pem');
  const cert = join(s.dir, 'team.pem');
  const g = run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=Team CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'nameConstraints=critical,permitted;DNS:ai-lab.test']);
  assert.equal(g.status, 0, g.stderr);
  const r = runCli(['ca', 'import', '--cert', cert, '--key', key, '--json'], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((r.json() as { ca: { constraints: { dns: string[] } } }).ca.constraints.dns, ['ai-lab.test']);
  const out = join(s.dir, 'out');
  mkdirSync(out);
  const i = runCli(['issue', 'nb.ai-lab.test', '--out', out], { env: s.env });
  assert.equal(i.status, 0, i.stderr);
  assert.equal(run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-verify_hostname', 'nb.ai-lab.test', '-CAfile', cert, join(out, 'nb.ai-lab.test.pem')]).status, 0);
  // the imported constraints are enforced
  const refused = runCli(['issue', 'localhost', '--out', out], { env: s.env });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /permits ai-lab\.test/);
  // mismatched pair and non-CA certificate are refused
  const other = join(s.dir, 'other-key.pem');
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other]);
  const mm = runCli(['ca', 'import', '--cert', cert, '--key', other, '--force'], { env: s.env });
  assert.equal(mm.status, 2);
  assert.match(mm.stderr, /does not belong/);
  const leaf = join(out, 'nb.ai-lab.test.pem');
  const notCa = runCli(['ca', 'import', '--cert', leaf, '--key', join(out, 'nb.ai-lab.test-key.pem'), '--force'], { env: s.env });
  assert.equal(notCa.status, 2);
  assert.match(notCa.stderr, /not a CA certificate/);
});

test('ca import --from-mkcert takes over a real mkcert CAROOT', () => {
  const s = sandbox();
  const caroot = join(s.dir, 'mkcert');
  mkdirSync(caroot);
  // mkcert creates its CA on first use; without -install it touches no trust store.
  const m = run('mkcert', ['-cert-file', join(s.dir, 'm.pem'), '-key-file', join(s.dir, 'm-key.pem'), 'localhost'], { env: { CAROOT: caroot, HOME: s.dir, TRUST_STORES: 'none' } });
  assert.equal(m.status, 0, m.stderr);
  const r = runCli(['ca', 'import', '--from-mkcert', caroot, '--json'], { env: s.env });
  assert.equal(r.status, 0, r.stderr);
  const j = r.json() as { ca: { fingerprintSha256: string; constraints: null } };
  assert.equal(j.ca.fingerprintSha256, new X509Certificate(readFileSync(join(caroot, 'rootCA.pem'))).fingerprint256);
  assert.equal(j.ca.constraints, null);
  const out = join(s.dir, 'out');
  mkdirSync(out);
  assert.equal(runCli(['issue', 'localhost', '--out', out], { env: s.env }).status, 0);
  assert.equal(run('openssl', ['verify', '-CAfile', join(caroot, 'rootCA.pem'), join(out, 'localhost.pem')]).status, 0);
  // CAROOT env is honoured when no folder is given
  const s2 = sandbox();
  assert.equal(runCli(['ca', 'import', '--from-mkcert'], { env: { ...s2.env, CAROOT: caroot } }).status, 0);
  const none = runCli(['ca', 'import', '--from-mkcert', join(s.dir, 'nothing')], { env: sandbox().env });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /No mkcert CA/);
  writeFileSync(join(s.dir, 'x'), '');
});

test('ca import refuses a CA whose key tlsdock cannot sign with (Ed25519, P-521), and writes nothing', () => {
  for (const [label, keyArgs, shown] of [['ed25519', ['-newkey', 'ed25519'], 'Ed25519'], ['p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'], 'ECDSA P-521']] as const) {
    const s = sandbox();
    const cert = join(s.dir, `${label}.pem`);
    const key = join(s.dir, `${label}-key.pem`);
    const made = run('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${label} team CA`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    assert.equal(made.status, 0, made.stderr);
    const r = runCli(['ca', 'import', '--cert', cert, '--key', key], { env: s.env });
    assert.equal(r.status, 2, label);
    assert.match(r.stderr, new RegExp(`^error: The CA key .*${label}-key\\.pem is ${shown}, which tlsdock does not sign with \\(it signs with ECDSA P-256/P-384 or RSA\\)\\.\\nfix: +make a CA tlsdock can use: tlsdock ca init --force`));
    assert.equal(runCli(['ca', 'show'], { env: s.env }).status, 2, 'no CA was kept');
  }
});
