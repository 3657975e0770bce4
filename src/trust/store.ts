import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Anchor, AnchorKind } from './anchor.js';
import { systemRunner, type CommandRunner } from './runner.js';

import type { StoreGroup } from './store-groups.js';

export { STORE_GROUPS, type StoreGroup } from './store-groups.js';

/** Everything a store needs from the machine, injectable so tests can stand in for it. */
export interface TrustContext {
  runner: CommandRunner;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** Whether this process may change root-owned stores (root; an elevated prompt on Windows). */
  isPrivileged(): boolean;
  /** Whether this process can change a file or folder (or create it in its nearest existing parent). */
  canWrite(target: string): boolean;
}

export interface MissingTool {
  tool: string;
  /** What to install, e.g. "libnss3-tools" or "brew install nss". */
  install: string;
}

export interface Detection {
  /** The store exists on this machine (or, for Chromium's db, a Chromium browser does and install creates it). */
  found: boolean;
  /** Its database, keystore, anchors folder or keychain. */
  path: string;
  /** Why it was not found, or a detail worth showing (e.g. which db Chromium reads). */
  note?: string;
  /** Changing it needs root (or an elevated Windows prompt). */
  needsRoot: boolean;
  /** The program that changes it is not installed. */
  missingTool?: MissingTool;
}

export interface Presence {
  /** The anchor is in the store and trusted for TLS servers. */
  present: boolean;
  /** The entry tlsdock added (nickname, alias, file) is there. */
  ours: boolean;
  /** Names under which the certificate is in the store, ours or not. */
  entries: string[];
  /** A state worth fixing, e.g. an anchor file whose bundle was not rebuilt. */
  problem?: { message: string; fix?: string };
}

export interface TrustStore {
  /** Stable id, e.g. "debian", "nss:chromium", "nss:firefox:abcd.default-release", "java", "macos:login". */
  id: string;
  group: StoreGroup;
  /** What a person calls it: "System (Debian/Ubuntu)", "Chromium/Chrome (NSS)"… */
  title: string;
  /** The kinds of anchor this store can hold in a way that makes TLS clients accept the server. */
  accepts: readonly AnchorKind[];
  detect(): Promise<Detection>;
  status(anchor: Anchor): Promise<Presence>;
  /** Add the anchor under tlsdock's name; a no-op for the caller to avoid when `status` says it is present. */
  install(anchor: Anchor): Promise<void>;
  /** Remove only tlsdock's entry. */
  uninstall(anchor: Anchor): Promise<void>;
}

export function defaultIsPrivileged(platform: NodeJS.Platform = process.platform): boolean {
  if (typeof process.getuid === 'function') return process.getuid() === 0;
  if (platform === 'win32') {
    // `net session` succeeds only in an elevated prompt.
    return spawnSync('net', ['session'], { stdio: 'ignore' }).status === 0;
  }
  return false;
}

function nearestExisting(target: string): string {
  let p = path.resolve(target);
  while (!fs.existsSync(p)) {
    const up = path.dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

export function defaultCanWrite(target: string, isPrivileged: () => boolean): boolean {
  if (isPrivileged()) return true;
  try {
    fs.accessSync(nearestExisting(target), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function trustContext(overrides: Partial<TrustContext> = {}): TrustContext {
  const env = overrides.env ?? process.env;
  const platform = overrides.platform ?? process.platform;
  const isPrivileged = overrides.isPrivileged ?? (() => defaultIsPrivileged(platform));
  return {
    env,
    platform,
    runner: overrides.runner ?? systemRunner(env),
    isPrivileged,
    canWrite: overrides.canWrite ?? ((p) => defaultCanWrite(p, isPrivileged)),
  };
}

/** $HOME as the stores see it (tests point it at a sandbox). */
export function homeOf(ctx: TrustContext): string {
  return ctx.env.HOME || ctx.env.USERPROFILE || os.homedir();
}

/**
 * Run `fn` with the anchor written to a temporary PEM file, for programs that only take a file
 * (macOS `security`, Windows `certutil`). The file is removed afterwards.
 */
export async function withAnchorFile<T>(anchor: Anchor, fn: (file: string) => Promise<T>, dir: string = os.tmpdir()): Promise<T> {
  const file = path.join(dir, `${anchor.fileStem}-${randomBytes(4).toString('hex')}.pem`);
  fs.writeFileSync(file, anchor.pem, { mode: 0o644 });
  try {
    return await fn(file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** A store could not be changed; `fix` is what the user can run instead. */
export class StoreError extends Error {
  readonly fix?: string;
  constructor(message: string, fix?: string) {
    super(message);
    this.name = 'StoreError';
    this.fix = fix;
  }
}
