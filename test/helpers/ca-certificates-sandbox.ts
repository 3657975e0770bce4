/**
 * A sandbox for Debian's real update-ca-certificates: its own certsconf, certsdir (two real Mozilla
 * roots, as on a real system: with no certificate at all the script leaves a stale bundle in place),
 * localcertsdir, etccertsdir and an empty hooksdir (the real hooks would touch Java's real cacerts).
 * Paths are absolute: the script cd's into etccertsdir.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DebianOptions } from '../../src/trust/debian.js';

export interface DebianSandbox {
  dir: string;
  localCertsDir: string;
  etcCertsDir: string;
  bundle: string;
  /** Options for debianStore / StoreOptions.debian. */
  options: DebianOptions;
}

const SYSTEM_ROOTS = ['/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt', '/usr/share/ca-certificates/mozilla/DigiCert_Global_Root_G2.crt'];

export function makeDebianSandbox(dir: string): DebianSandbox {
  const share = join(dir, 'usr-share-ca-certificates');
  const localCertsDir = join(dir, 'usr-local-share-ca-certificates');
  const etcCertsDir = join(dir, 'etc-ssl-certs');
  const hooks = join(dir, 'hooks');
  const conf = join(dir, 'ca-certificates.conf');
  for (const d of [share, localCertsDir, etcCertsDir, hooks]) mkdirSync(d, { recursive: true });
  for (const f of SYSTEM_ROOTS) copyFileSync(f, join(share, basename(f)));
  writeFileSync(conf, SYSTEM_ROOTS.map((f) => basename(f)).join('\n') + '\n');
  const extraArgs = ['--certsconf', conf, '--certsdir', share, '--localcertsdir', localCertsDir, '--etccertsdir', etcCertsDir, '--hooksdir', hooks];
  execFileSync('update-ca-certificates', extraArgs, { stdio: 'ignore' });
  const bundle = join(etcCertsDir, 'ca-certificates.crt');
  return { dir, localCertsDir, etcCertsDir, bundle, options: { localCertsDir, bundle, extraArgs } };
}
