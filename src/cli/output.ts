import pc from 'picocolors';
import { isTlsdockError } from '../errors.js';

// picocolors already honours NO_COLOR, FORCE_COLOR and whether stdout is a TTY.
export const c = pc;

// `tlsdock … | head` closes the pipe early: that is the reader's choice, not an error to report.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function line(text = ''): void {
  process.stdout.write(text + '\n');
}

/**
 * A failure under --json: always one line on stdout, whatever the command, so that the long-running
 * commands' JSON-lines output (proxy, up) and the one-shot commands' single document both parse.
 */
export function printJsonError(code: string, message: string, fix: string | null): void {
  process.stdout.write(JSON.stringify({ ok: false, error: { code, message, fix } }) + '\n');
}

/** Print a failure as one sentence (plus the fix) on stderr, and as JSON on stdout under --json; exit 2. */
export function fail(e: unknown, json: boolean): never {
  if (isTlsdockError(e)) {
    process.stderr.write(`${c.red('error:')} ${e.message}\n`);
    if (e.fix) process.stderr.write(`${c.dim('fix:')}   ${e.fix}\n`);
    if (json) printJsonError(e.code, e.message, e.fix ?? null);
    process.exit(e.exitCode);
  }
  const err = e as Error;
  process.stderr.write(`${c.red('error:')} ${err?.message ?? String(e)}\n`);
  if (process.env.TLSDOCK_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  if (json) printJsonError('internal', err?.message ?? String(e), null);
  process.exit(2);
}

/** Run a command action; every error becomes one sentence and exit code 2. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a): a is { json?: boolean } => typeof a === 'object' && a !== null && 'json' in (a as object));
    try {
      await fn(...args);
    } catch (e) {
      fail(e, Boolean(opts?.json));
    }
  };
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}
