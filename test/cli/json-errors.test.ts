/**
 * Failures under --json: one line `{"ok":false,"error":{code,message,fix}}` on stdout for every kind
 * of failure (a usage error commander finds, one the library finds, a missing file), so that both
 * the one-shot commands' single document and proxy/up's JSON lines parse. Without --json, stdout
 * stays empty and the sentence goes to stderr.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

const dir = makeTmpDir('tlsdock-jsonerr-');
const env = { TLSDOCK_HOME: join(dir, 'tlsdock'), HOME: join(dir, 'home') };

const cases: { args: string[]; code: string; message: RegExp }[] = [
  { args: ['proxy', '--workers', '999'], code: 'usage', message: /whole number of processes/ },
  { args: ['up', '--bogus'], code: 'usage', message: /unknown option '--bogus'/ },
  { args: ['issue', 'localhost', '--days', 'x'], code: 'usage', message: /--days/ },
  { args: ['proxy'], code: 'usage', message: /Say where to forward/ },
  { args: ['up', '--listen', 'nope'], code: 'usage', message: /expected \[HOST:\]PORT/ },
  { args: ['inspect', join(dir, 'missing.pem')], code: 'not-found', message: /missing\.pem/ },
];

for (const { args, code, message } of cases) {
  test(`tlsdock ${args.join(' ').replace(dir, 'DIR')} --json: one line of JSON, exit 2`, () => {
    const r = runCli([...args, '--json'], { env });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `stdout: ${r.stdout}`);
    const o = JSON.parse(lines[0]!) as { ok: boolean; error: { code: string; message: string; fix: string | null } };
    assert.equal(o.ok, false);
    assert.equal(o.error.code, code);
    assert.match(o.error.message, message);
    assert.doesNotMatch(o.error.message, /^error:/);
    assert.ok(o.error.fix === null || typeof o.error.fix === 'string');
    assert.match(r.stderr, message, 'the sentence is on stderr too');

    const plain = runCli(args, { env });
    assert.equal(plain.status, 2);
    assert.equal(plain.stdout, '');
  });
}

test('--json after -- is an argument, not the option', () => {
  const r = runCli(['issue', '--bogus', '--', '--json'], { env });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
});
