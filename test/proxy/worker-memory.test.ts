/**
 * The memory settings the primary gives its worker processes, and that a user's own settings win.
 * (test/e2e/proxy-cli.test.ts checks that real worker processes run with them.)
 *
 *   cd /work/main && node --import tsx --test test/proxy/worker-memory.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerExecArgv, workerMallocTunables } from '../../src/proxy/worker-memory.js';

test('GLIBC_TUNABLES: ours alone, appended to the user\'s, or the user\'s own tcache_count kept', () => {
  assert.equal(workerMallocTunables(undefined), 'glibc.malloc.tcache_count=0');
  assert.equal(workerMallocTunables(''), 'glibc.malloc.tcache_count=0');
  assert.equal(workerMallocTunables('glibc.malloc.arena_max=2'), 'glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0');
  assert.equal(workerMallocTunables('glibc.malloc.tcache_count=3'), 'glibc.malloc.tcache_count=3');
  assert.equal(workerMallocTunables('glibc.malloc.arena_max=2:glibc.malloc.tcache_count=1'), 'glibc.malloc.arena_max=2:glibc.malloc.tcache_count=1');
  // A longer name that merely ends like ours is not the user setting it.
  assert.equal(workerMallocTunables('x.glibc.malloc.tcache_count=1'), 'x.glibc.malloc.tcache_count=1:glibc.malloc.tcache_count=0');
});

test('the young generation flag: added, unless the user sizes it in the flags or NODE_OPTIONS', () => {
  assert.deepEqual(workerExecArgv([], undefined), ['--max-semi-space-size=8']);
  assert.deepEqual(workerExecArgv(['--enable-source-maps'], ''), ['--enable-source-maps', '--max-semi-space-size=8']);
  assert.deepEqual(workerExecArgv(['--max-semi-space-size=32'], undefined), ['--max-semi-space-size=32']);
  assert.deepEqual(workerExecArgv([], '--max-semi-space-size=2'), []);
});
