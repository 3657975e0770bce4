import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';
import { commandLine, findOnPath, lastLine, shellQuote, systemRunner } from '../../src/trust/runner.js';

const runner = systemRunner();

test('runs a program, feeds stdin, returns exit status and output', async () => {
  const r = await runner.run('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello\n' });
  assert.deepEqual(r, { code: 3, stdout: 'hello\n', stderr: 'err\n' });
});

test('a missing program is exit 127 with "command not found", not a throw', async () => {
  const r = await runner.run('tlsdock-no-such-program', []);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /command not found/);
});

test('a program that never finishes (certutil asking for a password) is killed: exit 124', async () => {
  const r = await runner.run('sleep', ['30'], { timeoutMs: 300 });
  assert.equal(r.code, 124);
  assert.match(r.stderr, /did not finish within 300 ms/);
});

test('which finds programs on PATH and rejects non-executables', () => {
  assert.match(runner.which('sh') ?? '', /\/sh$/);
  assert.equal(runner.which('tlsdock-no-such-program'), undefined);
  assert.equal(findOnPath('sh', { PATH: '' }), undefined);
  const plain = join(makeTmpDir(), 'not-a-program');
  writeFileSync(plain, 'data', { mode: 0o644 });
  assert.equal(findOnPath(plain, { PATH: '' }), undefined);
  cleanupTmpDirs();
});

test('commandLine quotes what a shell would split', () => {
  assert.equal(commandLine('certutil', ['-A', '-n', 'tlsdock my CA 0011', '-t', 'C,,']), "certutil -A -n 'tlsdock my CA 0011' -t C,,");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

test('lastLine prefers stderr, then stdout, then the status', () => {
  assert.equal(lastLine({ code: 1, stdout: 'out\n', stderr: 'a\nthe reason\n\n' }), 'the reason');
  assert.equal(lastLine({ code: 1, stdout: 'only out\n', stderr: '' }), 'only out');
  assert.equal(lastLine({ code: 7, stdout: '', stderr: '' }), 'exit status 7');
});
