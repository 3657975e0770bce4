import { commandLine, lastLine } from './runner.js';
import { StoreError, withAnchorFile, type Detection, type Presence, type TrustContext, type TrustStore } from './store.js';

/**
 * The Windows "Trusted Root Certification Authorities" store (Edge, Chrome, and Firefox with its default
 * enterprise-roots setting read it), changed with Windows' certutil:
 *   CurrentUser (default): `certutil -user -addstore Root FILE`: no admin; Windows shows a confirmation dialog.
 *   LocalMachine (`machine`): `certutil -addstore Root FILE`: needs an elevated prompt.
 * Entries are found and removed by SHA-1 thumbprint (`-store Root <sha1>` exits 0 only when it is there).
 * Under WSL the same store is reached through certutil.exe, with the file path translated by `wslpath -w`.
 * Not runnable on Linux: tests check the exact commands through an injected runner.
 */
export interface WindowsOptions {
  machine?: boolean;
  /** Reach the host's store from WSL. */
  wsl?: boolean;
  /** Default certutil (Windows) or certutil.exe (WSL). */
  certutil?: string;
  /** Folder for the temporary PEM (default: the OS temp folder; under WSL Windows reads it via \\wsl.localhost). */
  tmpDir?: string;
}

export function windowsStore(ctx: TrustContext, o: WindowsOptions = {}): TrustStore {
  const machine = Boolean(o.machine);
  const wsl = Boolean(o.wsl);
  const certutil = o.certutil ?? (wsl ? 'certutil.exe' : 'certutil');
  const scope = machine ? [] : ['-user'];
  const where = machine ? 'LocalMachine\\Root' : 'CurrentUser\\Root';

  async function run(args: string[]): Promise<{ code: number; stdout: string }> {
    return ctx.runner.run(certutil, args);
  }

  async function must(args: string[]): Promise<void> {
    const r = await ctx.runner.run(certutil, args);
    if (r.code !== 0) throw new StoreError(`${commandLine(certutil, args)} failed: ${lastLine(r)}`);
  }

  /** The path Windows' certutil can open: as is on Windows, through `wslpath -w` under WSL. */
  async function windowsPath(file: string): Promise<string> {
    if (!wsl) return file;
    const r = await ctx.runner.run('wslpath', ['-w', file]);
    if (r.code !== 0 || !r.stdout.trim()) throw new StoreError(`wslpath -w ${file} failed: ${lastLine(r)}`);
    return r.stdout.trim();
  }

  return {
    id: `${wsl ? 'wsl:' : ''}windows:${machine ? 'machine' : 'user'}`,
    group: wsl ? 'windows' : 'system',
    title: `${wsl ? 'Windows host ' : 'Windows '}${where}${wsl ? ' (from WSL)' : ''}`,
    accepts: ['ca', 'peer'],
    async detect(): Promise<Detection> {
      const found = Boolean(ctx.runner.which(certutil));
      return {
        found,
        path: where,
        // From WSL, sudo cannot elevate a Windows process: LocalMachine needs an elevated Windows prompt.
        needsRoot: machine && (wsl || !ctx.isPrivileged()),
        note: found ? undefined : `${certutil} not found${wsl ? ' (is Windows interop enabled?)' : ''}`,
      };
    },
    async status(a): Promise<Presence> {
      const r = await run([...scope, '-store', 'Root', a.sha1]);
      const present = r.code === 0;
      return { present, ours: present, entries: present ? [`${a.name} (SHA-1 ${a.sha1})`] : [] };
    },
    async install(a) {
      await withAnchorFile(a, async (file) => must([...scope, '-addstore', 'Root', await windowsPath(file)]), o.tmpDir);
    },
    async uninstall(a) {
      await must([...scope, '-delstore', 'Root', a.sha1]);
    },
  };
}
