import * as fs from 'node:fs';
import { TlsdockError } from '../errors.js';

/**
 * A password from a file (first line), an environment variable, or an interactive prompt —
 * never from argv, where `ps` and shell history would show it.
 */
export async function readPassword(opts: { file?: string; envVar: string; prompt: string; confirm?: boolean }): Promise<string> {
  if (opts.file) {
    let text: string;
    try {
      text = fs.readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new TlsdockError('unreadable', `The password file ${opts.file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  const fromEnv = process.env[opts.envVar];
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new TlsdockError('usage', `A password is needed and there is no terminal to ask on.`, { fix: `pass --password-file F or set ${opts.envVar}` });
  }
  const first = await promptHidden(opts.prompt);
  if (opts.confirm) {
    const again = await promptHidden('Again: ');
    if (again !== first) throw new TlsdockError('usage', 'The two passwords differ.');
  }
  return first;
}

/** A hidden-input prompt: no library we use has one, and it is a dozen lines over raw mode. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode?.(true);
    stdin.resume();
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') { done(); resolve(value); return; }
        if (ch === '\u0003') { done(); reject(new TlsdockError('usage', 'Cancelled.', { exitCode: 130 })); return; }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => { stdin.setRawMode?.(false); stdin.pause(); stdin.off('data', onData); process.stderr.write('\n'); };
    stdin.on('data', onData);
  });
}
