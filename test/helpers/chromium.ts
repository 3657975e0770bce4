/**
 * Real-browser trust checks for end-to-end tests: a sandboxed $HOME with its own
 * NSS database, and a headless system Chromium that reads trust from it.
 *
 * Facts measured on this machine (Debian 12, Chromium 156.0.8078.114 from the
 * Debian package, Playwright-core 1.65.2, NSS certutil from libnss3-tools),
 * and pinned by test/e2e/harness.test.ts:
 *  - Chromium on Linux takes user-added trust from ONE NSS db under $HOME:
 *      ~/.pki/nssdb            if that directory exists (even if empty; Chromium then
 *                              initialises a db inside it),
 *      ~/.local/share/pki/nssdb otherwise (created on the first TLS handshake).
 *    A bare ~/.pki without the nssdb sub-directory does NOT select the legacy path.
 *  - The XDG path honours $XDG_DATA_HOME ($XDG_DATA_HOME/pki/nssdb replaces
 *    ~/.local/share/pki/nssdb; ~/.pki/nssdb still wins when it exists), so we drop all
 *    XDG_* variables from the browser's environment: the sandbox must neither read nor
 *    write the real user's data dirs.
 *  - The db is read at browser start: after trust()/untrust() open a new browser.
 *  - A CA:FALSE self-signed leaf is trusted with 'P,,' but 'C,,' gives ERR_CERT_INVALID.
 *  - --host-resolver-rules 'MAP * 127.0.0.1' also rewrites IP literals such as [::1];
 *    hence the default adds 'EXCLUDE ::1'. For a ::1 server reached by name, pass
 *    hostMap 'MAP * [::1]'.
 *  - Timing (warm): launch 0.15-0.2 s (first cold launch ~0.7 s), one loopback verdict
 *    in a fresh context 0.17-0.3 s (first one per launch up to ~0.5 s, NSS init), close ~0.1 s.
 *  - Certificate errors surface as page.goto() failures "net::ERR_CERT_*" as long as
 *    ignoreHTTPSErrors is not set.
 *
 * Only the system browser at /usr/bin/chromium is used (never a downloaded one).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { chromium, errors, type Browser, type BrowserContext } from 'playwright-core';
import { makeTmpDir } from './tmp.js';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** NSS db paths relative to $HOME, in Chromium's order of preference. */
export const NSS_LEGACY_DIR = '.pki/nssdb';
export const NSS_XDG_DIR = '.local/share/pki/nssdb';
export const DEFAULT_HOST_MAP = 'MAP * 127.0.0.1, EXCLUDE ::1';
export const DEFAULT_NAV_TIMEOUT_MS = 15_000;

/** Flags for a headless, root, offline-ish Chromium. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Ignore any http(s)_proxy in the environment: traffic stays on loopback.
  '--no-proxy-server',
];

/** True when the system Chromium exists. Tests should fail loudly (not skip) when it doesn't. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

// ---------------------------------------------------------------------------
// NSS
// ---------------------------------------------------------------------------

export interface TrustOptions {
  /** NSS nickname; default "tlsdock-test-<file name without extension>". */
  nickname?: string;
  /** certutil -t trust flags; default 'C,,' (CA for TLS). Use 'P,,' for a trusted peer (self-signed leaf). */
  flags?: string;
}

export interface NssDb {
  /** The db directory (without the "sql:" prefix). */
  nssdb: string;
  /** Add a PEM certificate with trust flags; returns the nickname used. */
  trust(pemPath: string, opts?: TrustOptions): string;
  /** Delete the certificate with this nickname. */
  untrust(nickname: string): void;
  /** `certutil -L` output (nickname + trust flags table). */
  list(): string;
  /** Whether a certificate with this nickname is in the db. */
  has(nickname: string): boolean;
}

export interface NssHome extends NssDb {
  /** The sandbox $HOME to hand to the browser. */
  home: string;
}

export type NssLocation = 'legacy' | 'xdg';

function certutil(args: string[]): string {
  try {
    return execFileSync('certutil', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`certutil ${args.join(' ')} failed: ${(err.stderr || err.stdout || err.message).trim()}`);
  }
}

/** Create (if needed) and initialise an empty-password NSS sql: db in `dir`, and wrap it. */
export function nssDbAt(dir: string): NssDb {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'cert9.db'))) certutil(['-N', '-d', `sql:${dir}`, '--empty-password']);
  const db = `sql:${dir}`;
  const self: NssDb = {
    nssdb: dir,
    trust(pemPath, opts = {}) {
      const nickname = opts.nickname ?? `tlsdock-test-${basename(pemPath, extname(pemPath))}`;
      certutil(['-A', '-d', db, '-n', nickname, '-t', opts.flags ?? 'C,,', '-i', pemPath]);
      return nickname;
    },
    untrust(nickname) {
      certutil(['-D', '-d', db, '-n', nickname]);
    },
    list() {
      return certutil(['-L', '-d', db]);
    },
    has(nickname) {
      return self
        .list()
        .split('\n')
        .some((line) => line.replace(/\s+\S*,\S*,\S*\s*$/, '').trim() === nickname);
    },
  };
  return self;
}

/**
 * A fresh temporary $HOME with an initialised, empty NSS db where Chromium reads it.
 * `location: 'legacy'` (default) uses ~/.pki/nssdb; 'xdg' uses ~/.local/share/pki/nssdb
 * and leaves ~/.pki absent. Removed by cleanupTmpDirs().
 */
export function makeNssHome(opts: { location?: NssLocation } = {}): NssHome {
  const home = makeTmpDir('tlsdock-home-');
  const rel = (opts.location ?? 'legacy') === 'legacy' ? NSS_LEGACY_DIR : NSS_XDG_DIR;
  return { home, ...nssDbAt(join(home, rel)) };
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

export interface PageResult {
  status: number;
  title: string;
  /** document.body.innerText */
  text: string;
}

export interface ChromiumSession {
  /** The underlying Playwright browser, for tests that need more than verdict/page. */
  browser: Browser;
  /** Wall time of the launch, in ms. */
  launchMs: number;
  /**
   * Navigate a fresh context to `url`: 'OK' if the page loaded (any HTTP status), else
   * the Chromium net error without 'net::' (e.g. 'ERR_CERT_AUTHORITY_INVALID').
   * Throws on timeout or on a non-network failure.
   */
  verdict(url: string): Promise<string>;
  /** Navigate and return status/title/text; throws (with the net error) if the page did not load. */
  page(url: string): Promise<PageResult>;
  close(): Promise<void>;
}

export interface OpenChromiumOptions {
  /** Sandbox $HOME (from makeNssHome). Never the real home. */
  home: string;
  /**
   * --host-resolver-rules value; default 'MAP * 127.0.0.1, EXCLUDE ::1' so every name goes to
   * loopback. '' disables the flag (then names resolve normally: only use with loopback names).
   */
  hostMap?: string;
  /** Per-navigation timeout; default 15 s. */
  navigationTimeoutMs?: number;
  /** Extra Chromium flags. */
  args?: string[];
}

/** Thrown for navigation failures; `code` is the net error without 'net::' when there is one. */
export class NavigationError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'NavigationError';
  }
}

function browserEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('XDG_')) continue; // XDG_DATA_HOME would move the NSS db
    env[k] = v;
  }
  env.HOME = home;
  env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
  return env;
}

export async function openChromium(opts: OpenChromiumOptions): Promise<ChromiumSession> {
  if (!chromiumAvailable()) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium); browser trust tests need it`);
  }
  const realHome = process.env.HOME;
  if (!opts.home || (realHome && opts.home === realHome)) {
    throw new Error(`openChromium: refusing to run with the real HOME (${opts.home}); use makeNssHome()`);
  }
  const timeout = opts.navigationTimeoutMs ?? DEFAULT_NAV_TIMEOUT_MS;
  const hostMap = opts.hostMap ?? DEFAULT_HOST_MAP;
  const args = [...CHROMIUM_ARGS, ...(hostMap ? [`--host-resolver-rules=${hostMap}`] : []), ...(opts.args ?? [])];

  const t0 = Date.now();
  // chromium.launch() gives every launch a fresh --user-data-dir (a Playwright temp
  // profile, deleted on close); each navigation below gets its own incognito context,
  // so no connection, cache or HSTS state is shared between verdicts.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    env: browserEnv(opts.home),
    args,
    timeout: 30_000,
  });
  const launchMs = Date.now() - t0;

  async function navigate<T>(url: string, fn: (ctx: BrowserContext, status: number) => Promise<T>): Promise<T> {
    const ctx = await browser.newContext(); // ignoreHTTPSErrors stays false: cert errors must fail navigation
    try {
      const page = await ctx.newPage();
      let status = 0;
      try {
        const res = await page.goto(url, { timeout, waitUntil: 'load' });
        status = res?.status() ?? 0;
      } catch (e) {
        if (e instanceof errors.TimeoutError) {
          throw new NavigationError(
            `Chromium: navigation to ${url} timed out after ${timeout} ms (server not answering? host map: ${hostMap || 'none'})`,
            url,
          );
        }
        const msg = e instanceof Error ? e.message : String(e);
        const code = /net::(ERR_[A-Z0-9_]+)/.exec(msg)?.[1];
        throw new NavigationError(code ? `Chromium: ${url} -> ${code}` : `Chromium: ${url} failed: ${msg}`, url, code);
      }
      return await fn(ctx, status);
    } finally {
      await ctx.close().catch(() => {});
    }
  }

  let closed: Promise<void> | undefined;
  return {
    browser,
    launchMs,
    async verdict(url) {
      try {
        return await navigate(url, async () => 'OK');
      } catch (e) {
        if (e instanceof NavigationError && e.code) return e.code;
        throw e;
      }
    },
    page(url) {
      return navigate(url, async (ctx, status) => {
        const page = ctx.pages()[0]!;
        return { status, title: await page.title(), text: await page.innerText('body') };
      });
    },
    close() {
      closed ??= browser.close();
      return closed;
    },
  };
}

/** Launch, take one verdict, close: handy when each check needs a fresh browser anyway. */
export async function verdictOnce(opts: OpenChromiumOptions, url: string): Promise<string> {
  const s = await openChromium(opts);
  try {
    return await s.verdict(url);
  } finally {
    await s.close();
  }
}
