import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addPermit, defaultConstraints, isPermitted } from '../../src/pki/constraints.js';
import { parseName } from '../../src/pki/names.js';

const nc = defaultConstraints(['gpu-box']);
const ok = (n: string) => isPermitted(nc, parseName(n));

test('default constraints permit local names, the host name and private IPs', () => {
  for (const n of ['localhost', 'app.localhost', 'ai-lab.local', '*.ai-lab.local', 'x.internal', 'nas.home.arpa', 'a.test', 'gpu-box', 'j.gpu-box', '127.0.0.1', '10.1.2.3', '172.31.0.1', '192.168.1.20', '100.100.1.1', '::1', 'fd12::1', 'fe80::1']) {
    assert.ok(ok(n), `${n} should be permitted`);
  }
});

test('default constraints refuse public names and addresses', () => {
  for (const n of ['example.com', 'google.com', 'localhost.com', 'notlocal', '8.8.8.8', '172.32.0.1', '2001:db8::1', '*.com.local.evil.com']) {
    assert.ok(!ok(n), `${n} should be refused`);
  }
});

test('--permit adds DNS subtrees and CIDRs', () => {
  const more = addPermit(addPermit(addPermit(nc, 'ai-lab.example.com'), '203.0.113.0/24'), '2001:db8::5');
  assert.ok(isPermitted(more, parseName('jupyter.ai-lab.example.com')));
  assert.ok(isPermitted(more, parseName('203.0.113.9')));
  assert.ok(isPermitted(more, parseName('2001:db8::5')));
  assert.ok(!isPermitted(more, parseName('2001:db8::6')));
  assert.ok(!isPermitted(more, parseName('example.com')));
  assert.throws(() => addPermit(nc, '10.0.0.0/33'), /prefix length/);
  assert.throws(() => addPermit(nc, 'bad name!'), /--permit/);
});

test('no constraints permits anything', () => {
  assert.ok(isPermitted(undefined, parseName('example.com')));
});
