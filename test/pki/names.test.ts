import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TlsdockError } from '../../src/errors.js';
import { fileStem, parseName, parseNames } from '../../src/pki/names.js';

test('classifies DNS, wildcard, IPv4, IPv6, IDN and email', () => {
  assert.deepEqual(parseName('LocalHost.'), { kind: 'dns', value: 'localhost', input: 'LocalHost.' });
  assert.equal(parseName('*.ai-lab.local').value, '*.ai-lab.local');
  assert.deepEqual(parseName('127.0.0.1'), { kind: 'ip', value: '127.0.0.1', input: '127.0.0.1' });
  assert.equal(parseName('[::1]').value, '::1');
  assert.equal(parseName('2001:DB8:0:0:0:0:0:1').value, '2001:db8::1');
  assert.equal(parseName('bücher.test').value, 'xn--bcher-kva.test');
  assert.equal(parseName('*.bücher.test').value, '*.xn--bcher-kva.test');
  assert.deepEqual(parseName('me@ai-lab.test'), { kind: 'email', value: 'me@ai-lab.test', input: 'me@ai-lab.test' });
});

function refuses(input: string, pattern: RegExp): void {
  assert.throws(() => parseName(input), (e: unknown) => e instanceof TlsdockError && e.code === 'bad-name' && pattern.test(e.message), `expected ${JSON.stringify(input)} to be refused with ${pattern}`);
}

test('refuses wildcards browsers refuse', () => {
  refuses('*', /every host/);
  refuses('*.com', /public suffix/);
  refuses('*.co.uk', /public suffix/);
  refuses('*.local', /public suffix/); // Chromium treats unknown TLDs as registries
  refuses('a.*.example.test', /leftmost label/);
  refuses('*a.example.test', /leftmost label/);
  assert.equal(parseName('*.github.io').value, '*.github.io'); // a private suffix is allowed, as in Chromium
});

test('refuses malformed and hostile names with one sentence', () => {
  refuses('', /empty/);
  refuses('a..b', /empty label/);
  refuses('.example.test', /empty label/);
  refuses(`${'a'.repeat(64)}.test`, /at most 63/);
  refuses(`${'abcdefghi.'.repeat(26)}test`, /at most 253/);
  refuses('-bad.test', /letters, digits/);
  refuses('evil.test/../../etc', /characters/);
  refuses('a b.test', /characters/);
  refuses('x.test\nHost: y', /characters/);
  refuses('$(reboot).test', /characters/);
  refuses('https://localhost:8888', /not a URL/);
  refuses('999.1.1.1', /not a valid/);
  refuses('fe80::1%eth0', /zone/);
});

test('de-duplicates and names files like mkcert', () => {
  const names = parseNames(['localhost', 'LOCALHOST', '127.0.0.1', '::1', '0:0:0:0:0:0:0:1']);
  assert.deepEqual(names.map((n) => n.value), ['localhost', '127.0.0.1', '::1']);
  assert.equal(fileStem(names), 'localhost+2');
  assert.equal(fileStem(parseNames(['*.ai-lab.local'])), '_wildcard.ai-lab.local');
  assert.equal(fileStem(parseNames(['::1'])), '__1');
});
