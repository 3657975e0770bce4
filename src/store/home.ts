import * as os from 'node:os';
import * as path from 'node:path';

/** The platform's per-user data folder for an application (where mkcert keeps its CAROOT too). */
function userDataDir(app: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  const home = env.HOME ?? os.homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', app);
    case 'win32':
      return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), app);
    default:
      return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), app);
  }
}

/** Where tlsdock keeps its state: $TLSDOCK_HOME, else the platform's per-user data folder. */
export function tlsdockHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return env.TLSDOCK_HOME ? path.resolve(env.TLSDOCK_HOME) : userDataDir('tlsdock', env, platform);
}

/** mkcert's CAROOT, for `ca import --from-mkcert`. */
export function mkcertCaroot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return env.CAROOT ? path.resolve(env.CAROOT) : userDataDir('mkcert', env, platform);
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
