import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Anchor } from './anchor.js';
import { commandLine, lastLine } from './runner.js';
import { StoreError, type Detection, type Presence, type TrustContext, type TrustStore } from './store.js';

/**
 * Java: the `cacerts` keystore of $JAVA_HOME, else of the `java` on PATH, changed with that JDK's keytool.
 * keytool facts (OpenJDK 17): `-importcert -noprompt` happily adds the same certificate again under a
 * second alias, so presence is checked by SHA-256 fingerprint; `-list` prints each entry as
 * "alias, date, trustedCertEntry," then "Certificate fingerprint (SHA-256): AB:…".
 * On Debian, update-ca-certificates' hook also copies system anchors into cacerts as "debian:<file>.pem".
 */
export interface JavaOptions {
  javaHome?: string;
  keytool?: string;
  cacerts?: string;
  storepass?: string;
}

interface JavaPaths {
  keytool?: string;
  cacerts?: string;
  note?: string;
}

function firstExisting(...files: string[]): string | undefined {
  return files.find((f) => fs.existsSync(f));
}

/** Where the JDK is: $JAVA_HOME, else two levels above the real path of `java` on PATH. */
export function locateJava(ctx: TrustContext, o: JavaOptions = {}): JavaPaths {
  let javaHome = o.javaHome ?? (ctx.env.JAVA_HOME || undefined);
  let note: string | undefined = javaHome ? `JAVA_HOME=${javaHome}` : undefined;
  if (!javaHome) {
    const java = ctx.runner.which('java');
    if (java) {
      try {
        javaHome = path.dirname(path.dirname(fs.realpathSync(java)));
        note = `the java on PATH (${javaHome})`;
      } catch { /* a dangling link: no JDK */ }
    }
  }
  const exe = ctx.platform === 'win32' ? 'keytool.exe' : 'keytool';
  const keytool = o.keytool
    ?? (javaHome ? firstExisting(path.join(javaHome, 'bin', exe)) : undefined)
    ?? ctx.runner.which('keytool');
  const cacerts = o.cacerts
    ?? (javaHome ? firstExisting(path.join(javaHome, 'lib', 'security', 'cacerts'), path.join(javaHome, 'jre', 'lib', 'security', 'cacerts')) : undefined);
  return { keytool, cacerts, note };
}

interface KeystoreEntry {
  alias: string;
  fingerprint: string;
}

export function parseKeytoolList(text: string): KeystoreEntry[] {
  const out: KeystoreEntry[] = [];
  let alias: string | undefined;
  for (const line of text.split('\n')) {
    // "alias, <date in the JVM's locale>, trustedCertEntry,"
    const entry = /^(.+?), .*, (?:trustedCertEntry|PrivateKeyEntry|SecretKeyEntry),\s*$/.exec(line);
    if (entry) {
      alias = entry[1];
      continue;
    }
    const fp = /^Certificate fingerprint \(SHA-256\): ([0-9A-F:]+)\s*$/.exec(line);
    if (fp && alias !== undefined) {
      out.push({ alias, fingerprint: fp[1]! });
      alias = undefined;
    }
  }
  return out;
}

/**
 * The aliases tlsdock's installs produce: its own, and the one Debian's update-ca-certificates hook gives the
 * copy of tlsdock's system anchor file (`debian:<file>.pem`), which would otherwise outlive `trust uninstall`:
 * the hook is told about additions, never about removals.
 */
export function ourAliases(a: Anchor): string[] {
  return [a.alias, `debian:${a.fileStem}.pem`];
}

export function javaStore(ctx: TrustContext, o: JavaOptions = {}): TrustStore {
  const storepass = o.storepass ?? 'changeit';
  let located: JavaPaths | undefined;
  const paths = () => (located ??= locateJava(ctx, o));

  async function keytool(args: string[], input?: string): Promise<string> {
    const { keytool: exe = 'keytool', cacerts = '' } = paths();
    // English output whatever the user's locale: the listing is parsed.
    const full = ['-J-Duser.language=en', ...args, '-keystore', cacerts, '-storepass', storepass];
    const r = await ctx.runner.run(exe, full, { input });
    if (r.code !== 0) throw new StoreError(`${commandLine(exe, full.map((x) => (x === storepass ? '***' : x)))} failed: ${lastLine(r)}`);
    return r.stdout;
  }

  return {
    id: 'java',
    group: 'java',
    title: 'Java (cacerts)',
    accepts: ['ca', 'peer'],
    async detect(): Promise<Detection> {
      const p = paths();
      if (!p.cacerts) {
        return { found: false, path: '', needsRoot: false, note: p.note ? `no cacerts under ${p.note}` : 'no Java found (set JAVA_HOME or put java on PATH)' };
      }
      let real = p.cacerts;
      try { real = fs.realpathSync(p.cacerts); } catch { /* keep the link */ }
      const d: Detection = { found: true, path: real, needsRoot: !ctx.canWrite(real), note: p.note };
      if (!p.keytool) d.missingTool = { tool: 'keytool', install: 'install a JDK or JRE that ships keytool (e.g. apt install default-jre-headless)' };
      return d;
    },
    async status(a): Promise<Presence> {
      const entries = parseKeytoolList(await keytool(['-list'])).filter((e) => e.fingerprint === a.fingerprint256);
      return { present: entries.length > 0, ours: entries.some((e) => ourAliases(a).includes(e.alias)), entries: entries.map((e) => e.alias) };
    },
    async install(a) {
      await keytool(['-importcert', '-noprompt', '-alias', a.alias], a.pem);
    },
    async uninstall(a) {
      const present = parseKeytoolList(await keytool(['-list'])).map((e) => e.alias);
      for (const alias of ourAliases(a).filter((x) => present.includes(x))) await keytool(['-delete', '-alias', alias]);
    },
  };
}
