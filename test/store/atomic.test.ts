import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TlsdockError } from '../../src/errors.js';
import { writeFilesAtomic } from '../../src/store/atomic.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

test('writes every file with its mode, and leaves no temp file', () => {
  const dir = makeTmpDir();
  writeFilesAtomic([{ path: join(dir, 'a.pem'), data: 'cert', mode: 0o644 }, { path: join(dir, 'a-key.pem'), data: 'key', mode: 0o600 }]);
  assert.equal(statSync(join(dir, 'a-key.pem')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'a.pem')).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(dir).sort(), ['a-key.pem', 'a.pem']);
});

test('refuses to overwrite without force and changes nothing', () => {
  const dir = makeTmpDir();
  writeFileSync(join(dir, 'b-key.pem'), 'precious');
  assert.throws(() => writeFilesAtomic([{ path: join(dir, 'b.pem'), data: 'new', mode: 0o644 }, { path: join(dir, 'b-key.pem'), data: 'new', mode: 0o600 }]),
    (e: unknown) => e instanceof TlsdockError && e.code === 'exists' && /--force/.test(e.fix ?? ''));
  assert.equal(readFileSync(join(dir, 'b-key.pem'), 'utf8'), 'precious');
  assert.deepEqual(readdirSync(dir), ['b-key.pem']);
});

test('force replaces atomically', () => {
  const dir = makeTmpDir();
  writeFileSync(join(dir, 'c.pem'), 'old');
  writeFilesAtomic([{ path: join(dir, 'c.pem'), data: 'new', mode: 0o644 }], { force: true });
  assert.equal(readFileSync(join(dir, 'c.pem'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir), ['c.pem']);
});

test('a failure half-way rolls back the files already placed', () => {
  const dir = makeTmpDir();
  assert.throws(() => writeFilesAtomic([{ path: join(dir, 'd.pem'), data: 'x', mode: 0o644 }, { path: join(dir, 'missing-folder', 'd-key.pem'), data: 'k', mode: 0o600 }]),
    (e: unknown) => e instanceof TlsdockError && e.code === 'unwritable' && /does not exist/.test(e.message));
  assert.deepEqual(readdirSync(dir), []);
});
