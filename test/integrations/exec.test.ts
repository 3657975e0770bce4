import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodeFor, findOnPath, FORWARDED_SIGNALS, runAsMainProcess } from '../../src/integrations/exec.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(cond(), 'condition never became true');
}

test('exit status: the code, or 128 + the signal number as shells report it', () => {
  assert.equal(exitCodeFor(3, null), 3);
  assert.equal(exitCodeFor(0, null), 0);
  assert.equal(exitCodeFor(null, 'SIGTERM'), 143);
  assert.equal(exitCodeFor(null, 'SIGKILL'), 137);
  assert.equal(exitCodeFor(null, 'SIGINT'), 130);
});

test('findOnPath finds executables only', () => {
  const dir = makeTmpDir();
  writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
  writeFileSync(join(dir, 'data'), '');
  chmodSync(join(dir, 'tool'), 0o755);
  chmodSync(join(dir, 'data'), 0o644);
  assert.equal(findOnPath('tool', `/nonexistent:${dir}`), join(dir, 'tool'));
  assert.equal(findOnPath('data', dir), undefined);
  assert.equal(findOnPath('nothing', dir), undefined);
});

test('the child\'s exit code is passed back', async () => {
  const r = await runAsMainProcess('sh', ['-c', 'exit 7'], { pid1: false });
  assert.equal(r.code, 7);
  assert.deepEqual(r.argv, ['sh', '-c', 'exit 7']);
});

test('a missing command is 127 and a non-executable one 126, each with one sentence', async () => {
  await assert.rejects(runAsMainProcess('no-such-command-tlsdock', [], { pid1: false }), (e: Error & { exitCode?: number }) => e.exitCode === 127 && /Cannot run "no-such-command-tlsdock": no such command on PATH\./.test(e.message));
  const dir = makeTmpDir();
  const f = join(dir, 'script.sh');
  writeFileSync(f, 'echo hi\n');
  chmodSync(f, 0o644);
  await assert.rejects(runAsMainProcess(f, [], { pid1: false }), (e: Error & { exitCode?: number }) => e.exitCode === 126 && /permission denied/.test(e.message));
});

test('every forwarded signal reaches the child, which decides how to exit', async () => {
  const dir = makeTmpDir();
  const ready = join(dir, 'ready');
  const log = join(dir, 'log');
  const traps = FORWARDED_SIGNALS.filter((s) => s !== 'SIGTERM').map((s) => `trap 'echo ${s} >> ${log}' ${s.slice(3)}`).join('; ');
  const script = `${traps}; trap 'echo SIGTERM >> ${log}; exit 42' TERM; touch ${ready}; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`;
  const running = runAsMainProcess('sh', ['-c', script], { pid1: false });
  await until(() => existsSync(ready));
  for (const sig of FORWARDED_SIGNALS.filter((s) => s !== 'SIGTERM')) {
    process.kill(process.pid, sig);
    await until(() => existsSync(log) && readFileSync(log, 'utf8').includes(sig));
  }
  process.kill(process.pid, 'SIGTERM');
  const r = await running;
  assert.equal(r.code, 42);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [...FORWARDED_SIGNALS.filter((s) => s !== 'SIGTERM'), 'SIGTERM']);
  assert.equal(process.listenerCount('SIGTERM'), 0, 'the forwarders are removed once the child is gone');
});

test('as PID 1 with tini on PATH, CMD runs under `tini -s` (a subreaper)', { skip: !findOnPath('tini', '/usr/bin:/bin') && 'tini is not installed (Debian package tini)' }, async () => {
  const withTini = await runAsMainProcess('sh', ['-c', 'exit 5'], { pid1: true, env: { ...process.env, PATH: '/usr/bin:/bin' }, note: () => assert.fail('no note expected') });
  assert.deepEqual(withTini.argv.slice(1, 3), ['-s', '--']);
  assert.match(withTini.argv[0]!, /tini$/);
  assert.equal(withTini.code, 5, 'tini passes the exit code through');
  const off = await runAsMainProcess('sh', ['-c', 'exit 0'], { pid1: true, reaper: 'off', env: { ...process.env, PATH: '/usr/bin:/bin' }, note: () => {} });
  assert.equal(off.argv[0], 'sh');
});

test('as PID 1 without tini, CMD runs directly and one note says what to do', async () => {  const notes: string[] = [];
  const dir = makeTmpDir();
  const noTini = await runAsMainProcess('/bin/sh', ['-c', 'exit 6'], { pid1: true, env: { ...process.env, PATH: dir }, note: (t) => notes.push(t) });
  assert.deepEqual(noTini.argv, ['/bin/sh', '-c', 'exit 6']);
  assert.equal(noTini.code, 6);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /PID 1 without an init.*docker run --init/);
});
