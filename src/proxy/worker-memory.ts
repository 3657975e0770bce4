/**
 * Memory settings for the proxy's worker processes, applied when the primary forks them. A user's own
 * setting of either always wins.
 *
 * - V8's young generation: `--max-semi-space-size=8` (V8 lets it grow to 3 x 16 MB). Measured here: the
 *   same throughput and ~10 MB less RSS per worker after load.
 * - glibc's malloc: `GLIBC_TUNABLES=glibc.malloc.tcache_count=0` (no per-thread cache of freed blocks).
 *   After load, a worker stayed at 100-115 MB in 9 runs of 17, where it otherwise settles at ~80:
 *   glibc's main heap held 37-41 MB with only ~4 MB in use, and calling malloc_trim(0) in the worker
 *   (through gdb) brought it to 73-76 MB every time, so the memory was free but not at a place the heap
 *   can shrink from. With this setting: 1 such run in 24 (the others at most 91 MB), at the same
 *   keep-alive and 1 MiB throughput within the noise (docs/proxy.md, "RSS after load"). A block held
 *   in that cache counts as in use and is never merged with its free neighbours, so one near the top of
 *   the heap keeps everything below it; that is our reading, not a proof (turning fastbins off as well
 *   did worse). Node offers no malloc_trim, and an allocator setting needs no native code. Other C
 *   libraries ignore the variable.
 */

const SEMI_SPACE_FLAG = '--max-semi-space-size=8';
const MALLOC_TUNABLE = 'glibc.malloc.tcache_count=0';

/** The worker's Node flags: ours, unless the user sets the young generation's size (flags or NODE_OPTIONS). */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const own = `${nodeOptions ?? ''} ${execArgv.join(' ')}`.includes('semi-space-size');
  return own ? [...execArgv] : [...execArgv, SEMI_SPACE_FLAG];
}

/**
 * The worker's GLIBC_TUNABLES: the user's value with ours appended (tunables are colon-separated),
 * or the user's value alone when it already sets `glibc.malloc.tcache_count`.
 */
export function workerMallocTunables(current: string | undefined): string {
  if (!current) return MALLOC_TUNABLE;
  if (/(^|:)glibc\.malloc\.tcache_count=/.test(current)) return current;
  return `${current}:${MALLOC_TUNABLE}`;
}
