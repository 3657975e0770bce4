import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';

export interface PlannedFile {
  path: string;
  data: string | Uint8Array;
  /** 0o600 for keys and PKCS#12, 0o644 for certificates. */
  mode: number;
}

/** Temp files still on disk; removed if the process exits or is interrupted mid-write. */
const pending = new Set<string>();
const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removePending(): void {
  for (const p of pending) {
    try { fs.unlinkSync(p); } catch { /* already gone */ }
  }
  pending.clear();
}

/**
 * While files are being written, a signal must not kill the process between a temp file and its
 * rename. Listening defers the signal to the event loop (the write itself is synchronous); once the
 * write is over the listener removes temp files and re-raises the signal, so the process still dies of
 * it — unless the program has its own listener (a proxy draining connections), which then decides.
 * The listeners stay only for one turn of the event loop, not for the life of the process.
 */
function guardInterrupts(): () => void {
  const handlers = INTERRUPTS.map((sig) => {
    const handler = () => {
      removePending();
      process.removeListener(sig, handler);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  process.once('exit', removePending);
  return () => {
    // setImmediate runs after the poll phase that delivers a signal that arrived during the write.
    setImmediate(() => {
      for (const [sig, handler] of handlers) process.removeListener(sig, handler);
      process.removeListener('exit', removePending);
    }).unref();
  };
}

function describeFsError(e: NodeJS.ErrnoException, target: string): TlsdockError {
  const dir = path.dirname(target);
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new TlsdockError('unwritable', `Cannot write ${target}: permission denied.`, { fix: `choose a writable folder with --out, or fix the permissions of ${dir}`, cause: e });
    case 'ENOENT':
      return new TlsdockError('unwritable', `Cannot write ${target}: the folder ${dir} does not exist.`, { fix: `mkdir -p ${dir}`, cause: e });
    case 'ENOSPC':
      return new TlsdockError('unwritable', `Cannot write ${target}: the disk is full.`, { cause: e });
    default:
      return new TlsdockError('unwritable', `Cannot write ${target}: ${e.message}.`, { cause: e });
  }
}

/**
 * Write several files as one unit: all appear, or none does (and nothing that was
 * there before is lost). Each file goes to a temp file in its own folder (so the
 * final rename is atomic), with its mode set before any byte is written.
 * Without `force`, an existing destination is an error, checked before anything is written
 * and again at link time (link(2) refuses to replace, so a race cannot clobber a key).
 */
export interface WriteOptions {
  force?: boolean;
  /**
   * fsync each file before it is renamed into place. Costs ~7-15 ms a file on this kind of disk, so it
   * is kept for what cannot be re-made (the CA key and certificate); a leaf can always be issued again,
   * and rename still guarantees that readers see the old or the new file, never a mix.
   */
  durable?: boolean;
}

export function writeFilesAtomic(files: PlannedFile[], opts: WriteOptions = {}): void {
  const release = guardInterrupts();
  try {
    writeAll(files, opts);
  } finally {
    release();
  }
}

function writeAll(files: PlannedFile[], opts: WriteOptions): void {
  if (!opts.force) {
    const existing = files.filter((f) => fs.existsSync(f.path)).map((f) => f.path);
    if (existing.length > 0) {
      throw new TlsdockError('exists', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; refusing to overwrite.`, { fix: 'pass --force to replace, or choose another path' });
    }
  }
  const temps: { tmp: string; file: PlannedFile }[] = [];
  const placed: string[] = [];
  try {
    for (const file of files) {
      const tmp = path.join(path.dirname(file.path), `.${path.basename(file.path)}.${randomBytes(6).toString('hex')}.tmp`);
      let fd: number;
      try {
        fd = fs.openSync(tmp, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, file.mode);
      } catch (e) {
        throw describeFsError(e as NodeJS.ErrnoException, file.path);
      }
      pending.add(tmp);
      temps.push({ tmp, file });
      try {
        fs.fchmodSync(fd, file.mode); // umask may have narrowed or widened nothing; make it exact
        fs.writeSync(fd, typeof file.data === 'string' ? Buffer.from(file.data) : file.data);
        if (opts.durable) fs.fsyncSync(fd);
      } catch (e) {
        throw describeFsError(e as NodeJS.ErrnoException, file.path);
      } finally {
        fs.closeSync(fd);
      }
    }
    for (const { tmp, file } of temps) {
      try {
        if (opts.force) {
          fs.renameSync(tmp, file.path);
        } else {
          fs.linkSync(tmp, file.path);
          fs.unlinkSync(tmp);
        }
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EEXIST') throw new TlsdockError('exists', `${file.path} already exists; refusing to overwrite.`, { fix: 'pass --force to replace, or choose another path' });
        throw describeFsError(err, file.path);
      }
      pending.delete(tmp);
      placed.push(file.path);
    }
    if (opts.durable) for (const dir of new Set(files.map((f) => path.dirname(f.path)))) syncDir(dir);
  } catch (e) {
    for (const { tmp } of temps) {
      try { fs.unlinkSync(tmp); } catch { /* not there */ }
      pending.delete(tmp);
    }
    // Only files we created without --force can be rolled back without loss.
    if (!opts.force) for (const p of placed) { try { fs.unlinkSync(p); } catch { /* gone */ } }
    throw e;
  }
}

/** Create an output folder (like `mkdir -p`), as a one-sentence error when it cannot be. */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw describeFsError(e as NodeJS.ErrnoException, path.join(dir, '.'));
  }
}

/** Make the renames themselves durable (POSIX needs the folder synced; Windows cannot open folders). */
function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

export function writeFileAtomic(file: string, data: string | Uint8Array, mode: number, opts: WriteOptions = {}): void {
  writeFilesAtomic([{ path: file, data, mode }], opts);
}
