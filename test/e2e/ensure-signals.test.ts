/**
 * `tlsdock ensure … -- CMD`: CMD runs as the container's main process. Signals reach it, its exit code
 * comes back, tlsdock waits for it, and as PID 1 (a real PID namespace via unshare) orphans are reaped
 * when tini is there to be the subreaper.
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/ensure-signals.test.ts
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run } from '../helpers/cli.js';
import { start as startProcess, type Running } from '../helpers/jupyter.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const started: Running[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.stop(2000)));
  cleanupTmpDirs();
});
function start(...args: Parameters<typeof startProcess>): Running {
  const p = startProcess(...args);
  started.push(p);
  return p;
}

function ensureArgs(dir: string): string[] {
  return [BIN, 'ensure', '--ca-dir', join(dir, 'ca'), '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--'];
}
const env = { ...process.env, TLSDOCK_NAMES: '', NO_COLOR: '1' };

test('SIGTERM (docker stop) reaches CMD, and CMD\'s exit code (42) is tlsdock\'s', { timeout: 45_000 }, async () => {
  const dir = makeTmpDir();
  const p = start(process.execPath, [...ensureArgs(dir), 'sh', '-c', 'trap "echo got-TERM; exit 42" TERM; echo ready; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done'], { env });
  await p.waitFor(/^ready$/m);
  process.kill(p.pid, 'SIGTERM');
  assert.equal(await p.exited, 42);
  assert.match(p.out(), /got-TERM/);
  assert.match(p.err(), /^created: expires in 30 days/m, 'with a CMD, the status line goes to stderr');
});

test('a signal that arrives while CMD is still being started is not lost (CMD signals tlsdock at once)', { timeout: 45_000 }, async () => {
  const dir = makeTmpDir();
  // Ten starts: before the forwarder was installed ahead of spawn(), some of these killed tlsdock itself.
  for (let i = 0; i < 10; i++) {
    const r = run(process.execPath, [...ensureArgs(dir), 'sh', '-c', 'trap "exit 42" TERM; kill -TERM $PPID; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done'], { env });
    assert.equal(r.status, 42, `start ${i}: ${r.stderr}`);
  }
});

test('a Node CMD that handles SIGTERM itself', { timeout: 45_000 }, async () => {
  const dir = makeTmpDir();
  const script = 'process.on("SIGTERM", () => { console.log("node got TERM"); process.exit(42); }); console.log("ready"); setInterval(() => {}, 1000);';
  const p = start(process.execPath, [...ensureArgs(dir), process.execPath, '-e', script], { env });
  await p.waitFor(/^ready$/m);
  process.kill(p.pid, 'SIGTERM');
  assert.equal(await p.exited, 42);
  assert.match(p.out(), /node got TERM/);
});

test('tlsdock exits only after CMD has finished its shutdown', { timeout: 45_000 }, async () => {
  const dir = makeTmpDir();
  const marker = join(dir, 'cleaned-up');
  const p = start(process.execPath, [...ensureArgs(dir), 'sh', '-c', `trap "sleep 0.5; touch ${marker}; exit 42" TERM; echo ready; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`], { env });
  await p.waitFor(/^ready$/m);
  process.kill(p.pid, 'SIGTERM');
  assert.equal(await p.exited, 42);
  assert.ok(existsSync(marker), 'CMD finished its cleanup before tlsdock exited');
});

test('INT, HUP, QUIT, USR1 and USR2 are forwarded too', { timeout: 45_000 }, async () => {
  const dir = makeTmpDir();
  const log = join(dir, 'log');
  const sigs = ['INT', 'HUP', 'QUIT', 'USR1', 'USR2'];
  const traps = sigs.map((s) => `trap "echo ${s} >> ${log}" ${s}`).join('; ');
  const p = start(process.execPath, [...ensureArgs(dir), 'sh', '-c', `${traps}; trap "exit 42" TERM; echo ready; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`], { env });
  await p.waitFor(/^ready$/m);
  for (const s of sigs) {
    process.kill(p.pid, `SIG${s}` as NodeJS.Signals);
    for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, 'utf8').includes(s)); i++) await new Promise((r) => setTimeout(r, 25));
  }
  process.kill(p.pid, 'SIGTERM');
  assert.equal(await p.exited, 42);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), sigs);
});

test('CMD killed by a signal: 128 + N, as docker and shells report it', { timeout: 45_000 }, async () => {
  const dir = makeTmpDir();
  const p = start(process.execPath, [...ensureArgs(dir), 'sh', '-c', 'echo ready; exec sleep 30'], { env });
  await p.waitFor(/^ready$/m);
  process.kill(p.pid, 'SIGTERM');
  assert.equal(await p.exited, 143);
});

test('exit codes pass through; a missing CMD is 127; no CMD just ensures', { timeout: 45_000 }, () => {
  const dir = makeTmpDir();
  assert.equal(run(process.execPath, [...ensureArgs(dir), 'sh', '-c', 'exit 7'], { env }).status, 7);
  assert.equal(run(process.execPath, [...ensureArgs(dir), 'sh', '-c', 'exit 0'], { env }).status, 0);
  const missing = run(process.execPath, [...ensureArgs(dir), 'no-such-program-tlsdock'], { env });
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /^error: Cannot run "no-such-program-tlsdock": no such command on PATH\.$/m);
  const alone = run(process.execPath, ensureArgs(dir).slice(0, -1), { env });
  assert.equal(alone.status, 0);
  assert.match(alone.stdout, /^kept: /);
});

/** Count zombies in the PID namespace after a CMD that orphans a short-lived process; also PID 1 gets TERM from inside. */
const ORPHAN_SCRIPT = `
trap 'exit 42' TERM
( sleep 0.2 & )
sleep 1
zs=0
for s in /proc/[0-9]*/stat; do read -r _ _ state _ < "$s" 2>/dev/null && [ "$state" = Z ] && zs=$((zs+1)); done
echo "zombies=$zs"
(sleep 0.2; kill -TERM 1) &
i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
`;

const canUnshare = process.getuid?.() === 0 && existsSync('/usr/bin/unshare');

test('as PID 1 without tini: one note, signals still work, and orphans stay zombies (what Node cannot do)', { timeout: 45_000, skip: !canUnshare && 'needs root and unshare' }, () => {
  const dir = makeTmpDir();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const t of ['sh', 'sleep']) symlinkSync(run('sh', ['-c', `command -v ${t}`]).stdout.trim(), join(bin, t));
  writeFileSync(join(dir, 'orphan.sh'), ORPHAN_SCRIPT);
  const r = run('/usr/bin/unshare', ['--pid', '--fork', '--mount-proc', process.execPath, ...ensureArgs(dir), 'sh', join(dir, 'orphan.sh')], { env: { ...env, PATH: bin } });
  assert.equal(r.status, 42, r.stderr);
  assert.match(r.stderr, /running as PID 1 without an init.*docker run --init/);
  assert.match(r.stdout, /^zombies=1$/m);
});

test('as PID 1 with tini installed: CMD runs under tini -s, the orphan is reaped, TERM to PID 1 still reaches CMD', { timeout: 45_000, skip: (!canUnshare || !existsSync('/usr/bin/tini')) && 'needs root, unshare and tini' }, () => {
  const dir = makeTmpDir();
  writeFileSync(join(dir, 'orphan.sh'), ORPHAN_SCRIPT);
  const r = run('/usr/bin/unshare', ['--pid', '--fork', '--mount-proc', process.execPath, ...ensureArgs(dir), 'sh', join(dir, 'orphan.sh')], { env: { ...env, PATH: '/usr/bin:/bin' } });
  assert.equal(r.status, 42, r.stderr);
  assert.doesNotMatch(r.stderr, /without an init/);
  assert.match(r.stdout, /^zombies=0$/m);
});
