/**
 * bin/tlsdock.cjs loads the bundle through a V8 code cache. The cache is an optimisation only: the CLI
 * must run the same without it, with a stale or corrupt one, and from a read-only install (then the
 * cache goes to $XDG_CACHE_HOME/tlsdock). Each case runs a copy of bin/ + dist/ in a temp folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN } from '../helpers/cli.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

const DIST = join(BIN, '..', '..', 'dist');
const CACHE = `tlsdock.${process.version}-${process.arch}.cache`;

function install(): { root: string; bin: string } {
  const root = makeTmpDir();
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist'));
  copyFileSync(BIN, join(root, 'bin', 'tlsdock.cjs'));
  copyFileSync(join(DIST, 'tlsdock.cjs'), join(root, 'dist', 'tlsdock.cjs'));
  chmodSync(root, 0o755);
  return { root, bin: join(root, 'bin', 'tlsdock.cjs') };
}

function run(bin: string, env: NodeJS.ProcessEnv = {}, asNobody = false) {
  const argv = [process.execPath, bin, '--version'];
  const [cmd, ...args] = asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  return spawnSync(cmd!, args, { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
}

test('without a cache it runs and writes one next to the bundle; the next run uses it', () => {
  const { root, bin } = install();
  const first = run(bin, { XDG_CACHE_HOME: join(root, 'xdg') });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^\d+\.\d+\.\d+\n$/);
  const cache = join(root, 'dist', CACHE);
  assert.ok(existsSync(cache), 'cache written into dist/');
  const before = readFileSync(cache);
  assert.equal(run(bin, { XDG_CACHE_HOME: join(root, 'xdg') }).status, 0);
  assert.ok(readFileSync(cache).equals(before), 'an accepted cache is not rewritten');
  assert.deepEqual(readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
});

test('a corrupt cache is ignored and replaced', () => {
  const { root, bin } = install();
  writeFileSync(join(root, 'dist', CACHE), 'not a V8 code cache');
  const r = run(bin);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.notEqual(readFileSync(join(root, 'dist', CACHE), 'utf8').slice(0, 19), 'not a V8 code cache');
});

test('a read-only install keeps its cache in $XDG_CACHE_HOME/tlsdock', { skip: !existsSync('/usr/bin/setpriv') && 'needs setpriv' }, () => {
  const { root, bin } = install();
  const xdg = join(root, 'xdg');
  mkdirSync(xdg);
  chmodSync(xdg, 0o777);
  chmodSync(join(root, 'dist'), 0o555);
  const r = run(bin, { XDG_CACHE_HOME: xdg, HOME: xdg }, true);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(join(root, 'dist', CACHE)), false);
  assert.ok(existsSync(join(xdg, 'tlsdock', CACHE)), 'cache in the user cache folder');
});

test('a missing bundle is one sentence and exit 2', () => {
  const root = makeTmpDir();
  mkdirSync(join(root, 'bin'));
  copyFileSync(BIN, join(root, 'bin', 'tlsdock.cjs'));
  const r = run(join(root, 'bin', 'tlsdock.cjs'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: .*dist\/tlsdock\.cjs is missing; build tlsdock first: npm run build\n$/);
});
