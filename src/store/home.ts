import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where tlsdock keeps its state: $TLSDOCK_HOME, else the platform's per-user data folder
 * (the same places mkcert uses for its CAROOT).
 */
export function tlsdockHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.TLSDOCK_HOME) return path.resolve(env.TLSDOCK_HOME);
  const home = env.HOME ?? os.homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'tlsdock');
    case 'win32':
      return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'tlsdock');
    default:
      return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'tlsdock');
  }
}

/** mkcert's CAROOT, for `ca import --from-mkcert`. */
export function mkcertCaroot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CAROOT) return path.resolve(env.CAROOT);
  const home = env.HOME ?? os.homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'mkcert');
    case 'win32':
      return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'mkcert');
    default:
      return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'mkcert');
  }
}

export interface CAPaths {
  dir: string;
  /** The signing CA certificate, followed by its chain when it is an imported intermediate. */
  cert: string;
  key: string;
}

export function caPaths(home: string): CAPaths {
  return { dir: home, cert: path.join(home, 'ca.pem'), key: path.join(home, 'ca-key.pem') };
}
