/**
 * Temporary directories for tests.
 *
 * `makeTmpDir()` creates a fresh directory under `os.tmpdir()` and remembers it;
 * `cleanupTmpDirs()` removes every directory created so far (call it from an
 * `after()` hook). Set `TLSDOCK_KEEP_TMP=1` to keep them for post-mortem debugging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set<string>();

export function makeTmpDir(prefix = 'tlsdock-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/** Remove every directory made by `makeTmpDir` (unless TLSDOCK_KEEP_TMP=1). */
export function cleanupTmpDirs(): void {
  if (process.env.TLSDOCK_KEEP_TMP === '1') {
    for (const dir of created) console.error(`[tlsdock test] kept tmp dir ${dir}`);
  } else {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
  }
  created.clear();
}
