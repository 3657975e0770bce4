import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RunResult {
  /** Exit status; 127 when the program could not be started, 124 when it was killed for taking too long. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the program's standard input (then closed). */
  input?: string;
  timeoutMs?: number;
}

/**
 * How trust stores run programs (certutil, keytool, update-ca-certificates, security, certutil.exe…).
 * Stores that cannot run on this machine are tested through a recording runner that stands in for it.
 */
export interface CommandRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** The full path of an executable on PATH (or the path itself when it is one), else undefined. */
  which(cmd: string): string | undefined;
}

// certutil asks for a password on the terminal in a loop when a db has one (or on `-N` over an
// existing db) and never exits with stdin closed: a time limit turns that into an error.
const DEFAULT_TIMEOUT_MS = 60_000;

function isExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(cmd: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (cmd.includes('/') || (platform === 'win32' && cmd.includes('\\'))) return isExecutable(cmd) ? cmd : undefined;
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, cmd + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The runner that really runs programs, with `env` as their environment. */
export function systemRunner(env: NodeJS.ProcessEnv = process.env): CommandRunner {
  return {
    which: (cmd) => findOnPath(cmd, env),
    run(cmd, args, opts = {}) {
      return new Promise((resolve) => {
        const child = spawn(cmd, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.stdin.on('error', () => { /* the program exited without reading its input */ });
        child.stdin.end(opts.input ?? '');
        child.once('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          resolve({ code: 127, stdout: '', stderr: e.code === 'ENOENT' ? `${cmd}: command not found` : e.message });
        });
        child.once('close', (code) => {
          clearTimeout(timer);
          const stderr = Buffer.concat(err).toString('utf8');
          resolve({
            code: timedOut ? 124 : code ?? 1,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: timedOut ? `${stderr}\n${cmd} did not finish within ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms (was it waiting for a password?)` : stderr,
          });
        });
      });
    },
  };
}

/** A command as a user would type it in a POSIX shell, for messages and fixes. */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The last meaningful line a failed program printed, for a one-sentence error. */
export function lastLine(r: RunResult): string {
  const pick = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
  return pick(r.stderr) ?? pick(r.stdout) ?? `exit status ${r.code}`;
}
