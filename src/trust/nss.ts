import * as fs from 'node:fs';
import * as path from 'node:path';
import { pemBodies, type Anchor } from './anchor.js';
import { commandLine, lastLine } from './runner.js';
import { homeOf, StoreError, type Detection, type Presence, type TrustContext, type TrustStore } from './store.js';

/**
 * NSS databases: what Chromium/Chrome (on Linux) and Firefox (everywhere) trust, changed with NSS's certutil.
 *
 * Which db Chromium reads (measured, Chromium 156, pinned by test/e2e/harness.test.ts): ~/.pki/nssdb when
 * that folder exists (even empty), else $XDG_DATA_HOME/pki/nssdb (~/.local/share/pki/nssdb); it reads it at
 * launch. Older Chromium and Chrome read only ~/.pki/nssdb. So: we write into every one of the two that
 * exists, and when neither does (but a Chromium-family browser is installed) we create ~/.pki/nssdb, which
 * every version reads. We never create ~/.pki/nssdb next to an existing XDG db: that would switch Chromium
 * to the new, nearly empty db.
 *
 * Flags: a CA gets `C,,`; a self-signed server certificate that is not a CA gets `P,,` (trusted peer),
 * the only form Chromium accepts for it (as `C,,` it is ERR_CERT_INVALID).
 * certutil facts (NSS 3.87): adding a certificate already in the db under another nickname exits 0, keeps
 * the old nickname and applies the new trust flags; `-N` over an existing db prompts for a password forever.
 */
export interface NssOptions {
  home?: string;
  /** Default: $XDG_DATA_HOME, else ~/.local/share. */
  xdgDataHome?: string;
  /** Default: $XDG_CONFIG_HOME, else ~/.config. */
  xdgConfigHome?: string;
  /** The system-wide db (Fedora/RHEL); default /etc/pki/nssdb. */
  systemDb?: string;
  certutil?: string;
  /** What to tell a user without certutil. */
  certutilInstall?: string;
  /** Programs whose presence means "a Chromium-family browser is installed". */
  chromiumBinaries?: readonly string[];
}

export const CHROMIUM_BINARIES: readonly string[] = [
  'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'google-chrome-beta', 'brave-browser', 'microsoft-edge', 'vivaldi',
];

export interface NssDbSpec {
  id: string;
  title: string;
  dir: string;
  /** Create the db when it is missing (Chromium's default db). */
  create: boolean;
  /** Shown in status: e.g. whether Chromium reads this db (given whether the db folder exists now). */
  note?: string | ((exists: boolean) => string);
  certutil: string;
  certutilInstall: string;
}

interface NssRow {
  nickname: string;
  flags: string;
}

/** Parse `certutil -L`: a nickname column, then the trust flags "SSL,S/MIME,JAR/XPI". */
export function parseCertutilList(text: string): NssRow[] {
  const rows: NssRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.*\S)\s+([A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\s*$/.exec(line);
    if (m && m[1] !== 'SSL,S/MIME,JAR/XPI') rows.push({ nickname: m[1]!.trim(), flags: m[2]! });
  }
  return rows;
}

export function trustFlagsFor(anchor: Anchor): string {
  return anchor.kind === 'ca' ? 'C,,' : 'P,,';
}

function sslTrusts(flags: string, anchor: Anchor): boolean {
  const ssl = flags.split(',')[0] ?? '';
  return ssl.includes(anchor.kind === 'ca' ? 'C' : 'P');
}

export function nssDbStore(ctx: TrustContext, spec: NssDbSpec): TrustStore {
  const db = `sql:${spec.dir}`;
  const hasDb = () => fs.existsSync(path.join(spec.dir, 'cert9.db'));

  async function certutil(args: string[], input?: string): Promise<string> {
    const r = await ctx.runner.run(spec.certutil, args, { input, timeoutMs: 20_000 });
    if (r.code !== 0) {
      const why = r.code === 124 ? 'it waited for a password (this NSS database has one; tlsdock handles only password-less databases)' : lastLine(r);
      throw new StoreError(`${commandLine(spec.certutil, args)} failed: ${why}`);
    }
    return r.stdout;
  }

  return {
    id: spec.id,
    group: 'nss',
    title: spec.title,
    accepts: ['ca', 'peer'],
    async detect(): Promise<Detection> {
      const exists = fs.existsSync(spec.dir);
      const note = typeof spec.note === 'function' ? spec.note(exists) : spec.note;
      const d: Detection = { found: exists || spec.create, path: spec.dir, needsRoot: !ctx.canWrite(spec.dir), note };
      if (d.found && !ctx.runner.which(spec.certutil)) d.missingTool = { tool: 'certutil', install: spec.certutilInstall };
      return d;
    },
    async status(a): Promise<Presence> {
      if (!hasDb()) return { present: false, ours: false, entries: [] };
      const rows = parseCertutilList(await certutil(['-L', '-d', db]));
      // Ours first; then every entry trusted for TLS (the same CA may be there under mkcert's or a user's name).
      // Untrusted entries (Firefox caches intermediates with ",,") cannot make it present, so they are skipped.
      const candidates = rows.filter((r) => r.nickname === a.label || /[CP]/.test(r.flags.split(',')[0] ?? ''));
      candidates.sort((x, y) => Number(y.nickname === a.label) - Number(x.nickname === a.label));
      const body = a.der.toString('base64');
      const p: Presence = { present: false, ours: false, entries: [] };
      for (const row of candidates) {
        const pem = await certutil(['-L', '-d', db, '-n', row.nickname, '-a']).catch(() => '');
        if (!pemBodies(pem).has(body)) continue;
        p.entries.push(`${row.nickname} (${row.flags})`);
        if (row.nickname === a.label) p.ours = true;
        if (sslTrusts(row.flags, a)) p.present = true;
      }
      if (p.entries.length > 0 && !p.present) {
        p.problem = { message: `it is in ${spec.dir} without the trust flags ${trustFlagsFor(a)}`, fix: 'tlsdock trust install --store nss' };
      }
      return p;
    },
    async install(a) {
      fs.mkdirSync(spec.dir, { recursive: true, mode: 0o700 });
      if (!hasDb()) await certutil(['-N', '-d', db, '--empty-password']);
      await certutil(['-A', '-d', db, '-n', a.label, '-t', trustFlagsFor(a), '-a'], a.pem);
    },
    async uninstall(a) {
      if (!hasDb()) return;
      const rows = parseCertutilList(await certutil(['-L', '-d', db]));
      if (rows.some((r) => r.nickname === a.label)) await certutil(['-D', '-d', db, '-n', a.label]);
    },
  };
}

function subdirs(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Firefox profile folders: the classic, snap, flatpak and XDG (~/.config/mozilla) layouts, and macOS's. */
export function firefoxProfileRoots(home: string, xdgConfigHome: string, platform: NodeJS.Platform): { variant: string; dir: string }[] {
  const roots = [
    { variant: 'classic', dir: path.join(home, '.mozilla', 'firefox') },
    { variant: 'snap', dir: path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox') },
    { variant: 'flatpak', dir: path.join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox') },
    { variant: 'xdg', dir: path.join(xdgConfigHome, 'mozilla', 'firefox') },
  ];
  if (platform === 'darwin') roots.push({ variant: 'macos', dir: path.join(home, 'Library', 'Application Support', 'Firefox', 'Profiles') });
  return roots;
}

/** Every NSS db on this machine that a browser reads, plus Chromium's default one when a Chromium is installed. */
export function nssStores(ctx: TrustContext, o: NssOptions = {}): TrustStore[] {
  const home = o.home ?? homeOf(ctx);
  const xdgData = o.xdgDataHome ?? (ctx.env.XDG_DATA_HOME || path.join(home, '.local', 'share'));
  const xdgConfig = o.xdgConfigHome ?? (ctx.env.XDG_CONFIG_HOME || path.join(home, '.config'));
  const common = { certutil: o.certutil ?? 'certutil', certutilInstall: o.certutilInstall ?? 'apt install libnss3-tools' };
  const stores: TrustStore[] = [];

  if (ctx.platform !== 'darwin' && ctx.platform !== 'win32') {
    const legacy = path.join(home, '.pki', 'nssdb');
    const xdg = path.join(xdgData, 'pki', 'nssdb');
    const legacyExists = fs.existsSync(legacy);
    const xdgExists = fs.existsSync(xdg);
    if (legacyExists || !xdgExists) {
      const browser = (o.chromiumBinaries ?? CHROMIUM_BINARIES).find((b) => ctx.runner.which(b));
      const note = (exists: boolean) => exists ? 'Chromium and Chrome read this db'
        : browser ? `no db yet: install creates it (${browser} is installed; every Chromium and Chrome version reads ~/.pki/nssdb)`
        : 'no NSS db and no Chromium or Chrome found';
      stores.push(nssDbStore(ctx, { ...common, id: 'nss:chromium', title: 'Chromium/Chrome (NSS ~/.pki/nssdb)', dir: legacy, create: Boolean(browser), note }));
    }
    if (xdgExists) {
      const note = legacyExists ? 'Chromium 146+ ignores this db while ~/.pki/nssdb exists; kept in step' : 'Chromium 146+ reads this db';
      stores.push(nssDbStore(ctx, { ...common, id: 'nss:chromium-xdg', title: 'Chromium (NSS XDG db)', dir: xdg, create: false, note }));
    }
    const snap = path.join(home, 'snap', 'chromium');
    if (fs.existsSync(snap)) {
      stores.push(nssDbStore(ctx, { ...common, id: 'nss:chromium-snap', title: 'Chromium snap (NSS)', dir: path.join(snap, 'current', '.pki', 'nssdb'), create: true }));
    }
  }

  for (const root of firefoxProfileRoots(home, xdgConfig, ctx.platform)) {
    for (const name of subdirs(root.dir)) {
      const dir = path.join(root.dir, name);
      if (!fs.existsSync(path.join(dir, 'cert9.db'))) continue; // not a profile, or a pre-2017 one (cert8.db)
      stores.push(nssDbStore(ctx, {
        ...common,
        id: `nss:firefox:${root.variant}:${name}`,
        title: `Firefox profile ${name}${root.variant === 'classic' ? '' : ` (${root.variant})`}`,
        dir,
        create: false,
        note: 'Firefox reads it at start-up: restart Firefox',
      }));
    }
  }

  const systemDb = o.systemDb ?? '/etc/pki/nssdb';
  if (ctx.platform === 'linux' && fs.existsSync(systemDb)) {
    stores.push(nssDbStore(ctx, { ...common, id: 'nss:system', title: 'System NSS db', dir: systemDb, create: false }));
  }
  return stores;
}
