import * as fs from 'node:fs';
import { alpineStore, type AlpineOptions } from './alpine.js';
import { archStore, type ArchOptions } from './arch.js';
import { debianStore, type DebianOptions } from './debian.js';
import { javaStore, type JavaOptions } from './java.js';
import { macosStore, type MacosOptions } from './macos.js';
import { nssStores, type NssOptions } from './nss.js';
import { openSuseStore, type OpenSuseOptions } from './opensuse.js';
import { certutilPackage, isWsl, linuxFamily, readOsRelease, type LinuxFamily } from './platform.js';
import { rhelStore, type RhelOptions } from './rhel.js';
import type { Detection, Presence, TrustContext, TrustStore } from './store.js';
import { windowsStore, type WindowsOptions } from './windows.js';

/** Per-store options: tests point every path and program at a sandbox; the CLI passes none (real defaults). */
export interface StoreOptions {
  /** Read instead of /etc/os-release to tell the distribution. */
  osRelease?: string;
  /** Force the Linux family instead of detecting it. */
  family?: LinuxFamily;
  /** Override WSL detection. */
  wsl?: boolean;
  /** macOS System keychain / Windows LocalMachine instead of the user's. */
  machine?: boolean;
  debian?: DebianOptions;
  rhel?: RhelOptions;
  arch?: ArchOptions;
  opensuse?: OpenSuseOptions;
  alpine?: AlpineOptions;
  nss?: NssOptions;
  java?: JavaOptions;
  macos?: MacosOptions;
  windows?: WindowsOptions;
}

const SYSTEM_STORES: Record<LinuxFamily, (ctx: TrustContext, o: StoreOptions) => TrustStore> = {
  debian: (ctx, o) => debianStore(ctx, o.debian),
  rhel: (ctx, o) => rhelStore(ctx, o.rhel),
  arch: (ctx, o) => archStore(ctx, o.arch),
  opensuse: (ctx, o) => openSuseStore(ctx, o.opensuse),
  alpine: (ctx, o) => alpineStore(ctx, o.alpine),
};

// When os-release names no family we know, the anchors folder that exists tells (mkcert does the same).
const FAMILY_BY_FOLDER: [LinuxFamily, string][] = [
  ['rhel', '/etc/pki/ca-trust/source/anchors'],
  ['opensuse', '/etc/pki/trust/anchors'],
  ['arch', '/etc/ca-certificates/trust-source/anchors'],
  ['debian', '/usr/local/share/ca-certificates'],
];

export function detectFamily(o: StoreOptions = {}): LinuxFamily | undefined {
  if (o.family) return o.family;
  const fromOs = linuxFamily(readOsRelease(o.osRelease));
  if (fromOs || o.osRelease) return fromOs;
  return FAMILY_BY_FOLDER.find(([, dir]) => fs.existsSync(dir))?.[0];
}

/** A placeholder for "this machine has no system store tlsdock knows", so status can say so. */
function unknownSystemStore(): TrustStore {
  const nothing = async (): Promise<Presence> => ({ present: false, ours: false, entries: [] });
  return {
    id: 'system',
    group: 'system',
    title: 'System',
    accepts: ['ca'],
    detect: async (): Promise<Detection> => ({ found: false, path: '', needsRoot: false, note: 'unknown distribution: no system store tlsdock knows (Debian/Ubuntu, Fedora/RHEL, Arch, openSUSE, Alpine)' }),
    status: nothing,
    install: async () => {},
    uninstall: async () => {},
  };
}

/**
 * Every trust store tlsdock knows on this platform, found or not: the system store, NSS databases,
 * Java, and under WSL the Windows host's store. Detection (which exist, what needs root) is each store's `detect()`.
 */
export function trustStores(ctx: TrustContext, o: StoreOptions = {}): TrustStore[] {
  const stores: TrustStore[] = [];
  switch (ctx.platform) {
    case 'darwin':
      stores.push(macosStore(ctx, { machine: o.machine, ...o.macos }));
      stores.push(...nssStores(ctx, { certutilInstall: certutilPackage('darwin', undefined), ...o.nss }));
      break;
    case 'win32':
      stores.push(windowsStore(ctx, { machine: o.machine, ...o.windows }));
      break;
    default: {
      const family = detectFamily(o);
      stores.push(family ? SYSTEM_STORES[family](ctx, o) : unknownSystemStore());
      stores.push(...nssStores(ctx, { certutilInstall: certutilPackage(ctx.platform, family), ...o.nss }));
      if (o.wsl ?? isWsl(ctx.env)) stores.push(windowsStore(ctx, { machine: o.machine, wsl: true, ...o.windows }));
    }
  }
  stores.push(javaStore(ctx, o.java));
  return stores;
}

export { alpineStore, archStore, debianStore, javaStore, macosStore, nssStores, openSuseStore, rhelStore, windowsStore };
export { nssDbStore, parseCertutilList, CHROMIUM_BINARIES } from './nss.js';
export { parseKeytoolList, locateJava } from './java.js';
export { anchorFolderStore, type AnchorFolderOptions } from './anchor-folder.js';
export * from './anchor.js';
export * from './store.js';
export * from './runner.js';
export * from './platform.js';
export type { AlpineOptions, ArchOptions, DebianOptions, JavaOptions, MacosOptions, NssOptions, OpenSuseOptions, RhelOptions, WindowsOptions };
