import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';

/**
 * Running a command "as the main process" from Node.
 *
 * Node has no exec(2): tlsdock cannot become CMD, it can only start CMD and stand in for it. So:
 * - every signal a container runtime or a user sends (TERM from `docker stop`, INT, HUP, QUIT, USR1,
 *   USR2) is passed on to CMD, and tlsdock exits only after CMD has exited, with CMD's code
 *   (128 + N when CMD was killed by signal N, as shells report it);
 * - our own child is always waited for (libuv reaps it), so it never stays a zombie.
 * What Node cannot do is reap *other* processes: libuv calls waitpid() for the pids it started, never
 * waitpid(-1). When tlsdock is PID 1 of a container, processes that CMD's children orphan are
 * re-parented to it and would stay zombies. So as PID 1 we put `tini -s` (a child subreaper) between
 * us and CMD when tini is installed, and otherwise say once on stderr that `docker run --init` is needed.
 */

export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

export interface RunMainOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** As PID 1: run CMD under `tini -s` when tini is on PATH ('auto', the default) or never ('off'). */
  reaper?: 'auto' | 'off';
  /** Whether tlsdock is PID 1 (tests pass it; normally `process.pid === 1`). */
  pid1?: boolean;
  /** Where notes for the user go (default: stderr). */
  note?: (text: string) => void;
}

export interface RunMainResult {
  /** The exit status to pass on: CMD's code, or 128 + signal number. */
  code: number;
  signal: NodeJS.Signals | null;
  /** How CMD was started, e.g. ['tini', '-s', '--', 'jupyter', …]. */
  argv: string[];
}

/** The first executable `name` on PATH, or undefined. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch { /* not here */ }
  }
  return undefined;
}

export function exitCodeFor(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? os.constants.signals[signal] : undefined;
  return 128 + (n ?? 0);
}

/** Start CMD with our stdio, forward signals to it, resolve when it exits. */
export function runAsMainProcess(cmd: string, args: readonly string[], opts: RunMainOptions = {}): Promise<RunMainResult> {
  const note = opts.note ?? ((t: string) => process.stderr.write(`tlsdock: ${t}\n`));
  const env = opts.env ?? process.env;
  let argv = [cmd, ...args];
  if (opts.pid1 ?? process.pid === 1) {
    const tini = opts.reaper === 'off' ? undefined : findOnPath('tini', env.PATH ?? process.env.PATH);
    if (tini) argv = [tini, '-s', '--', ...argv];
    else note('running as PID 1 without an init: processes orphaned by the command will stay zombies until the container stops; start the container with `docker run --init` (compose: `init: true`) or install tini.');
  }

  return new Promise((resolve, reject) => {
    // The forwarder is in place before CMD exists: a signal that arrives while spawn() is still
    // returning (CMD may already be running and talking) is queued, not left to the default action,
    // which would kill tlsdock and orphan CMD (measured: 5 of 20 SIGTERMs under load before this).
    let child: ChildProcess | undefined;
    const queued: NodeJS.Signals[] = [];
    const forward = (sig: NodeJS.Signals) => {
      if (!child?.pid) { queued.push(sig); return; }
      try { child.kill(sig); } catch { /* already gone */ }
    };
    for (const sig of FORWARDED_SIGNALS) process.on(sig, forward);
    const stop = () => { for (const sig of FORWARDED_SIGNALS) process.off(sig, forward); };

    child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env, cwd: opts.cwd });
    for (const sig of queued.splice(0)) forward(sig);

    child.once('error', (e: NodeJS.ErrnoException) => {
      stop();
      // The shell's conventions: 127 "command not found", 126 "found but cannot run".
      if (e.code === 'ENOENT') reject(new TlsdockError('not-found', `Cannot run "${argv[0]}": no such command${argv[0]!.includes('/') ? '' : ' on PATH'}.`, { fix: 'check the command after --, and PATH inside the container', exitCode: 127, cause: e }));
      else if (e.code === 'EACCES') reject(new TlsdockError('unreadable', `Cannot run "${argv[0]}": permission denied (is it executable?).`, { fix: `chmod +x ${argv[0]}`, exitCode: 126, cause: e }));
      else reject(new TlsdockError('internal', `Cannot run "${argv[0]}": ${e.message}.`, { exitCode: 126, cause: e }));
    });
    child.once('exit', (code, signal) => {
      stop();
      resolve({ code: exitCodeFor(code, signal), signal, argv });
    });
  });
}
