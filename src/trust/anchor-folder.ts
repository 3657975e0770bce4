import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { bundleHas, type Anchor } from './anchor.js';
import { commandLine, lastLine } from './runner.js';
import { StoreError, type Detection, type Presence, type TrustContext, type TrustStore } from './store.js';

/**
 * The shape every Linux system store shares: a folder where the administrator drops CA files, a program
 * that rebuilds the bundle from it, and the bundle that OpenSSL, curl, Python, git… read.
 * Each distribution's file (debian.ts, rhel.ts…) fills in its paths and programs.
 */
export interface AnchorFolderOptions {
  /** Where extra CA files go, e.g. /usr/local/share/ca-certificates. */
  anchorsDir: string;
  /** The extension the rebuild program picks up (update-ca-certificates wants .crt). */
  extension: '.crt' | '.pem';
  /** The bundle the rebuild writes; status checks that the anchor is really in it. */
  bundle: string;
  /** The rebuild after adding a file: program and arguments. */
  refresh: readonly string[];
  /** The rebuild after removing one (default: `refresh`). */
  refreshAfterRemove?: readonly string[];
}

export interface AnchorFolderSpec {
  id: string;
  title: string;
  /** How to get the rebuild program when it is missing. */
  installTool: string;
}

export function anchorFolderStore(ctx: TrustContext, spec: AnchorFolderSpec, o: AnchorFolderOptions): TrustStore {
  const ourFile = (a: Anchor) => path.join(o.anchorsDir, a.fileStem + o.extension);
  const [program = '', ...args] = o.refresh;
  const rebuildLine = commandLine(program, args);

  async function rebuild(cmd: readonly string[]): Promise<void> {
    const [p = '', ...rest] = cmd;
    const r = await ctx.runner.run(p, rest);
    if (r.code !== 0) throw new StoreError(`${commandLine(p, rest)} failed: ${lastLine(r)}`);
  }

  function readText(file: string): string | undefined {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Every file in the anchors folder that holds the anchor (ours, or one mkcert or an admin put there). */
  function holders(a: Anchor): string[] {
    let names: string[] = [];
    try {
      names = fs.readdirSync(o.anchorsDir, { recursive: true }).map(String);
    } catch {
      return [];
    }
    return names
      .map((n) => path.join(o.anchorsDir, n))
      .filter((f) => /\.(crt|pem|cer)$/i.test(f) && bundleHas(readText(f) ?? '', a));
  }

  return {
    id: spec.id,
    group: 'system',
    title: spec.title,
    accepts: ['ca'],
    async detect(): Promise<Detection> {
      const base: Detection = { found: false, path: o.anchorsDir, needsRoot: !ctx.canWrite(o.anchorsDir) };
      if (!fs.existsSync(o.anchorsDir)) return { ...base, note: `${o.anchorsDir} does not exist` };
      if (!ctx.runner.which(program)) return { ...base, found: true, missingTool: { tool: program, install: spec.installTool } };
      return { ...base, found: true };
    },
    async status(a): Promise<Presence> {
      const files = holders(a);
      const ours = files.includes(ourFile(a));
      const bundleText = readText(o.bundle);
      const inBundle = bundleText !== undefined && bundleHas(bundleText, a);
      const entries = [...files, ...(inBundle ? [o.bundle] : [])];
      const p: Presence = { present: inBundle, ours, entries };
      if (files.length > 0 && !inBundle) {
        p.problem = { message: `${files[0]} is in place but ${o.bundle} does not include it: the bundle was not rebuilt`, fix: `sudo ${rebuildLine}` };
      } else if (files.length === 0 && inBundle) {
        p.problem = { message: `${o.bundle} still includes it though no anchor file holds it: the bundle was not rebuilt`, fix: `sudo ${commandLine(o.refreshAfterRemove?.[0] ?? program, o.refreshAfterRemove?.slice(1) ?? args)}` };
      }
      return p;
    },
    async install(a) {
      const file = ourFile(a);
      writeFileAtomic(file, a.pem, 0o644, { force: true });
      try {
        await rebuild(o.refresh);
      } catch (e) {
        // Leave no anchor file the bundle does not reflect: take it out and rebuild as it was.
        fs.rmSync(file, { force: true });
        await rebuild(o.refreshAfterRemove ?? o.refresh).catch(() => { /* report the first failure */ });
        throw e;
      }
    },
    async uninstall(a) {
      const file = ourFile(a);
      if (!fs.existsSync(file)) return;
      fs.rmSync(file);
      await rebuild(o.refreshAfterRemove ?? o.refresh);
    },
  };
}
