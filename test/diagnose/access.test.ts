import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFindings, keyModeFindings, readAccess, userAccessFindings, type Identity, type PathFacts } from '../../src/diagnose/access.js';

const jovyan: Identity = { name: 'jovyan', uid: 1000, gid: 100, groups: [100, 50] };
const root: Identity = { name: 'root', uid: 0, gid: 0, groups: [0] };
const dir = (path: string, mode: number, uid = 0, gid = 0) => ({ path, stat: { mode: 0o40000 | mode, uid, gid } });
function facts(fileMode: number, uid: number, gid: number, dirs = [dir('/', 0o755), dir('/etc', 0o755)]): PathFacts {
  return { path: '/etc/key.pem', file: { mode: 0o100000 | fileMode, uid, gid }, dirs };
}

test('owner bits apply to the owner, group bits to members, other bits to everyone else', () => {
  assert.equal(readAccess(jovyan, facts(0o600, 1000, 0)).readable, true);
  assert.equal(readAccess(jovyan, facts(0o600, 0, 0)).readable, false);
  assert.equal(readAccess(jovyan, facts(0o640, 0, 50)).readable, true, 'supplementary group');
  assert.equal(readAccess(jovyan, facts(0o044, 1000, 0)).readable, false, 'the owner gets owner bits only');
  assert.equal(readAccess(jovyan, facts(0o644, 0, 0)).readable, true);
  assert.equal(readAccess(root, facts(0o000, 1000, 1000)).readable, true, 'root reads anything');
});

test('every folder on the way needs search permission', () => {
  const r = readAccess(jovyan, facts(0o644, 0, 0, [dir('/', 0o755), dir('/srv', 0o700)]));
  assert.deepEqual(r, { readable: false, blockedBy: '/srv', isDir: true });
});

test('userAccessFindings names the user and the exact fix', () => {
  const [f] = userAccessFindings(jovyan, facts(0o600, 0, 0), true);
  assert.equal(f!.id, 'not-readable-by-user');
  assert.match(f!.message, /jovyan \(uid 1000\) cannot read \/etc\/key\.pem, the private key/);
  assert.equal(f!.fix, 'chown jovyan /etc/key.pem && chmod 600 /etc/key.pem');
  assert.equal(userAccessFindings(jovyan, facts(0o600, 0, 0), false)[0]!.fix, 'chmod 644 /etc/key.pem');
  assert.match(userAccessFindings(jovyan, facts(0o644, 0, 0, [dir('/', 0o755), dir('/srv', 0o700)]), false)[0]!.fix ?? '', /chmod o\+x \/srv/);
  assert.deepEqual(userAccessFindings(jovyan, facts(0o644, 0, 0), false), []);
});

test('key-file-too-open for group or world readable keys only', () => {
  const base = { path: 'key.pem', holdsKey: true, holdsCert: false };
  assert.equal(keyModeFindings({ ...base, stat: { mode: 0o100644, uid: 0, gid: 0 } })[0]!.fix, 'chmod 600 key.pem');
  assert.match(keyModeFindings({ ...base, stat: { mode: 0o100640, uid: 0, gid: 0 } })[0]!.message, /its group/);
  assert.deepEqual(keyModeFindings({ ...base, stat: { mode: 0o100600, uid: 0, gid: 0 } }), []);
  assert.deepEqual(keyModeFindings({ ...base, holdsKey: false, stat: { mode: 0o100644, uid: 0, gid: 0 } }), []);
});

test('not-pem: DER is an error, PKCS#12 a warning, each with the convert command', () => {
  const der = formatFindings({ path: 'c.der', format: 'der', holdsKey: false, holdsCert: true });
  assert.deepEqual(der.map((f) => [f.id, f.severity, f.fix]), [['not-pem', 'error', 'tlsdock convert c.der --to pem']]);
  const p12 = formatFindings({ path: 'c.p12', format: 'pkcs12', holdsKey: true, holdsCert: true });
  assert.deepEqual(p12.map((f) => [f.id, f.severity]), [['not-pem', 'warning']]);
  assert.deepEqual(formatFindings({ path: 'c.pem', format: 'pem', holdsKey: false, holdsCert: true }), []);
});
