import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { covers, issueCommand, nameFindings, namesToIssue, parseHost, wildcardProblem } from '../../src/diagnose/names.js';
import type { SubjectAltNames } from '../../src/diagnose/cert-info.js';
import { dns, ip, makeLeaf, makeRoot } from '../helpers/x509-factory.js';

const san = (dnsNames: string[], ips: string[] = []): SubjectAltNames => ({ dns: dnsNames, ip: ips, email: [] });

describe('covers: Chromium VerifyHostname over the SAN', () => {
  const cases: [string, SubjectAltNames, string, boolean][] = [
    ['exact DNS name', san(['localhost']), 'localhost', true],
    ['case-insensitive, trailing dot', san(['LocalHost.']), 'localhost.', true],
    ['IP host against an IP entry', san([], ['127.0.0.1']), '127.0.0.1', true],
    ['IP host against a DNS entry spelling it', san(['127.0.0.1']), '127.0.0.1', false],
    ['IPv6 in brackets, canonicalised', san([], ['::1']), '[0:0:0:0:0:0:0:1]', true],
    ['DNS host against IP entries only', san([], ['127.0.0.1']), 'localhost', false],
    ['wildcard, one label', san(['*.ai-lab.local']), 'app.ai-lab.local', true],
    ['wildcard does not cover its base', san(['*.ai-lab.local']), 'ai-lab.local', false],
    ['wildcard covers one label only', san(['*.ai-lab.local']), 'a.b.ai-lab.local', false],
    ['wildcard directly under an unknown TLD (.local)', san(['*.local']), 'box.local', false],
    ['wildcard directly under a public suffix (co.uk)', san(['*.co.uk']), 'example.co.uk', false],
    ['wildcard under a private registry is allowed', san(['*.appspot.com']), 'x.appspot.com', true],
    ['partial wildcard is literal', san(['f*.ai-lab.local']), 'foo.ai-lab.local', false],
    ['wildcard never matches an IP', san(['*.0.0.1']), '127.0.0.1', false],
    ['IDN host against punycode entry', san(['xn--bcher-kva.test']), 'bücher.test', true],
    ['no SAN at all', san([]), 'localhost', false],
  ];
  for (const [name, s, host, expected] of cases) {
    test(`${name}: ${host} → ${expected}`, () => assert.equal(covers(s, parseHost(host)), expected));
  }
  test('undefined SAN covers nothing', () => assert.equal(covers(undefined, parseHost('localhost')), false));
});

describe('wildcardProblem', () => {
  test('usable and unusable wildcards', () => {
    assert.equal(wildcardProblem('*.ai-lab.local'), undefined);
    assert.equal(wildcardProblem('localhost'), undefined);
    assert.match(wildcardProblem('*') ?? '', /bare/);
    assert.match(wildcardProblem('*.local') ?? '', /directly under \.local/);
    assert.match(wildcardProblem('a.*.local') ?? '', /leftmost/);
    assert.match(wildcardProblem('f*.example.test') ?? '', /leftmost/);
  });
});

describe('nameFindings', () => {
  test('CN only: no-subject-alt-name with the CN named and an issue command for the visited host', async () => {
    const root = await makeRoot('r');
    const leaf = await makeLeaf(root, { cn: '*.ai-lab.local', san: undefined });
    const f = nameFindings(leaf.info, { hosts: [parseHost('127.0.0.1')], issueCommand: issueCommand(namesToIssue(leaf.info, [parseHost('127.0.0.1')])) });
    assert.deepEqual(f.map((x) => x.id), ['no-subject-alt-name']);
    assert.match(f[0]!.message, /names \*\.ai-lab\.local only in its CN/);
    assert.equal(f[0]!.browserError, 'ERR_CERT_COMMON_NAME_INVALID');
    assert.equal(f[0]!.fix, 'tlsdock issue 127.0.0.1 "*.ai-lab.local" --out certs/');
  });

  test('one name-mismatch per uncovered host, with the reason', async () => {
    const leaf = await makeLeaf(undefined, { san: [dns('localhost'), dns('127.0.0.1'), dns('*.ai-lab.local')] });
    const hosts = ['localhost', '127.0.0.1', 'ai-lab.local', 'x.y.ai-lab.local'].map(parseHost);
    const f = nameFindings(leaf.info, { hosts, issueCommand: issueCommand(namesToIssue(leaf.info, hosts), 'tls') });
    const mismatches = f.filter((x) => x.id === 'name-mismatch');
    assert.equal(mismatches.length, 3);
    assert.match(mismatches[0]!.message, /listed as a DNS name/);
    assert.match(mismatches[1]!.message, /does not cover ai-lab\.local itself/);
    assert.match(mismatches[2]!.message, /one label only/);
    assert.ok(f.some((x) => x.id === 'ip-in-dns-name' && x.severity === 'warning'));
    assert.match(mismatches[0]!.fix ?? '', /--out tls$/);
  });

  test('a SAN with only an email address names no host', async () => {
    const leaf = await makeLeaf(undefined, { san: [{ type: 'email', value: 'me@ai-lab.test' }] });
    const f = nameFindings(leaf.info, { hosts: [parseHost('localhost')], issueCommand: 'tlsdock issue localhost --out certs/' });
    assert.equal(f[0]!.id, 'no-subject-alt-name');
    assert.match(f[0]!.message, /only email addresses/);
  });

  test('wildcard-misuse is a warning that does not block by itself', async () => {
    const leaf = await makeLeaf(undefined, { san: [dns('*.local'), dns('localhost')] });
    const f = nameFindings(leaf.info, { hosts: [parseHost('localhost')], issueCommand: 'tlsdock issue localhost --out certs/' });
    assert.deepEqual(f.map((x) => [x.id, x.severity, x.browserError]), [['wildcard-misuse', 'warning', null]]);
  });

  test('namesToIssue keeps usable names, drops broken wildcards, adds hosts first', async () => {
    const leaf = await makeLeaf(undefined, { san: [dns('*.local'), dns('app.test'), ip('::1')] });
    assert.deepEqual(namesToIssue(leaf.info, [parseHost('localhost')]), ['localhost', 'app.test', '::1']);
    assert.equal(issueCommand(['localhost', '*.a.test'], 'out/'), 'tlsdock issue localhost "*.a.test" --out out/');
  });
});
