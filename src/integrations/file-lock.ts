import * as fs from 'node:fs';

/**
 * A lock file beside the certificate, so that two containers sharing one certificate volume do not
 * interleave their writes (a key from one with a certificate from the other). link(2)-free O_EXCL
 * create: works on every local file system and on NFS v3+. A lock older than `staleMs` is from a
 * process that died mid-write and is taken over.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, opts: { waitMs?: number; staleMs?: number } = {}): Promise<T> {
  // ensure holds the lock for milliseconds; only a killed process leaves one behind.
  const waitMs = opts.waitMs ?? 10_000;
  const staleMs = opts.staleMs ?? 10_000;
  const deadline = Date.now() + waitMs;
  let fd: number | undefined;
  for (;;) {
    try {
      fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A read-only or foreign folder: no lock is possible, and none is needed unless we must write,
      // in which case the write itself reports the problem in plain words.
      if (code !== 'EEXIST') return fn();
      let age = 0;
      try { age = Date.now() - fs.statSync(lockPath).mtimeMs; } catch { continue; }
      if (age > staleMs || Date.now() > deadline) {
        try { fs.unlinkSync(lockPath); } catch { /* someone else took it over */ }
        continue;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // process.exit() from a signal handler (the atomic writer's) skips `finally`, but not 'exit' listeners.
  const release = () => {
    try { fs.closeSync(fd!); } catch { /* closed */ }
    try { fs.unlinkSync(lockPath); } catch { /* removed by a stale-lock taker */ }
  };
  process.once('exit', release);
  try {
    return await fn();
  } finally {
    process.off('exit', release);
    release();
  }
}
