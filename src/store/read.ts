import * as fs from 'node:fs';
import { TlsdockError } from '../errors.js';

/** Read a file the user named, turning every failure into one sentence with the fix. */
export function readInput(file: string, what = 'the file'): Buffer {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new TlsdockError('bad-input', `${file} is a folder, not ${what}.`);
    return fs.readFileSync(file);
  } catch (e) {
    if (e instanceof TlsdockError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new TlsdockError('not-found', `${file} does not exist (${what}).`, { cause: e });
    if (err.code === 'EACCES' || err.code === 'EPERM') throw new TlsdockError('unreadable', `${file} cannot be read: permission denied (${what}).`, { fix: `check its owner and mode: ls -l ${file}`, cause: e });
    throw new TlsdockError('unreadable', `${file} cannot be read: ${err.message}.`, { cause: e });
  }
}
