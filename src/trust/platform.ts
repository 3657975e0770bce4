import * as fs from 'node:fs';

/** Linux families whose system trust stores differ. */
export type LinuxFamily = 'debian' | 'rhel' | 'arch' | 'opensuse' | 'alpine';

export interface OsRelease {
  id: string;
  idLike: string[];
  prettyName?: string;
}

export function parseOsRelease(text: string): OsRelease {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  return { id: (vars.ID ?? '').toLowerCase(), idLike: (vars.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean), prettyName: vars.PRETTY_NAME };
}

/** The machine's os-release (`/etc/os-release`, else `/usr/lib/os-release`), or the given file's. */
export function readOsRelease(file?: string): OsRelease | undefined {
  for (const f of file ? [file] : ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return parseOsRelease(fs.readFileSync(f, 'utf8'));
    } catch { /* try the next one */ }
  }
  return undefined;
}

const FAMILY_IDS: Record<LinuxFamily, readonly string[]> = {
  debian: ['debian', 'ubuntu', 'linuxmint', 'pop', 'raspbian', 'kali'],
  rhel: ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol', 'amzn'],
  arch: ['arch', 'manjaro', 'endeavouros', 'artix'],
  opensuse: ['opensuse', 'suse', 'sles', 'opensuse-leap', 'opensuse-tumbleweed', 'sled'],
  alpine: ['alpine', 'postmarketos'],
};

/** The family of a Linux distribution from its os-release ID, then ID_LIKE. */
export function linuxFamily(os: OsRelease | undefined): LinuxFamily | undefined {
  if (!os) return undefined;
  for (const id of [os.id, ...os.idLike]) {
    for (const [family, ids] of Object.entries(FAMILY_IDS) as [LinuxFamily, readonly string[]][]) {
      if (ids.includes(id) || (family === 'opensuse' && id.startsWith('opensuse'))) return family;
    }
  }
  return undefined;
}

/** The package that provides NSS's certutil, per family (what to tell a user who lacks it). */
export function certutilPackage(platform: NodeJS.Platform, family: LinuxFamily | undefined): string {
  if (platform === 'darwin') return 'brew install nss';
  switch (family) {
    case 'rhel': return 'dnf install nss-tools';
    case 'arch': return 'pacman -S nss';
    case 'opensuse': return 'zypper install mozilla-nss-tools';
    case 'alpine': return 'apk add nss-tools';
    case 'debian': return 'apt install libnss3-tools';
    default: return 'install NSS tools (libnss3-tools on Debian/Ubuntu, nss-tools on Fedora/RHEL/Alpine, nss on Arch)';
  }
}

/** True under Windows Subsystem for Linux, where the Windows host's store is also within reach. */
export function isWsl(env: NodeJS.ProcessEnv, osreleaseFile = '/proc/sys/kernel/osrelease'): boolean {
  if (env.WSL_DISTRO_NAME || env.WSL_INTEROP) return true;
  try {
    return /microsoft|wsl/i.test(fs.readFileSync(osreleaseFile, 'utf8'));
  } catch {
    return false;
  }
}
