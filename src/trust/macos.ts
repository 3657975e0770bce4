import * as path from 'node:path';
import { commandLine, lastLine } from './runner.js';
import { homeOf, StoreError, withAnchorFile, type Detection, type Presence, type TrustContext, type TrustStore } from './store.js';

/**
 * macOS keychains, changed with `security` (Safari, Chrome and Edge read them; Firefox has its own NSS db).
 * Default: the user's login keychain, no sudo (macOS asks for the user's password in a dialog to change
 * trust settings). `machine`: the System keychain with admin trust settings (`-d`), which needs sudo.
 * Not runnable on Linux: tests check the exact commands through an injected runner; docs/trust.md has
 * the manual check.
 */
export interface MacosOptions {
  machine?: boolean;
  /** Default ~/Library/Keychains/login.keychain-db, or /Library/Keychains/System.keychain with `machine`. */
  keychain?: string;
  security?: string;
  /** Folder for the temporary PEM that `security` reads (default: the OS temp folder). */
  tmpDir?: string;
}

export function macosStore(ctx: TrustContext, o: MacosOptions = {}): TrustStore {
  const machine = Boolean(o.machine);
  const keychain = o.keychain ?? (machine ? '/Library/Keychains/System.keychain' : path.join(homeOf(ctx), 'Library', 'Keychains', 'login.keychain-db'));
  const security = o.security ?? 'security';
  const admin = machine ? ['-d'] : [];

  async function run(args: string[], okCodes: number[] = [0]): Promise<string> {
    const r = await ctx.runner.run(security, args);
    if (!okCodes.includes(r.code)) throw new StoreError(`${commandLine(security, args)} failed: ${lastLine(r)}`);
    return r.stdout;
  }

  return {
    id: machine ? 'macos:system' : 'macos:login',
    group: 'system',
    title: machine ? 'macOS System keychain' : 'macOS login keychain',
    accepts: ['ca', 'peer'],
    async detect(): Promise<Detection> {
      const found = Boolean(ctx.runner.which(security));
      return { found, path: keychain, needsRoot: machine && !ctx.isPrivileged(), note: found ? undefined : '`security` not found' };
    },
    async status(a): Promise<Presence> {
      // -Z prints "SHA-1 hash: <40 hex>" for every certificate in the keychain.
      const out = await run(['find-certificate', '-a', '-Z', keychain], [0, 44]);
      const present = out.toUpperCase().includes(`SHA-1 HASH: ${a.sha1}`);
      return { present, ours: present, entries: present ? [`${a.name} (SHA-1 ${a.sha1})`] : [] };
    },
    async install(a) {
      await withAnchorFile(a, (file) => run(['add-trusted-cert', ...admin, '-r', 'trustRoot', '-k', keychain, file]), o.tmpDir);
    },
    async uninstall(a) {
      await withAnchorFile(a, (file) => run(['remove-trusted-cert', ...admin, file], [0, 1]), o.tmpDir);
      await run(['delete-certificate', '-Z', a.sha1, keychain]);
    },
  };
}
