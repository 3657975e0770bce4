/**
 * Proof that a test left the machine's real trust stores alone: a fingerprint of the system anchors
 * folder, the system bundle and Java's cacerts, taken before and compared after.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';

const WATCHED = ['/usr/local/share/ca-certificates', '/etc/ssl/certs/ca-certificates.crt', '/etc/ssl/certs/java/cacerts', '/etc/pki/nssdb'];

export function realStoresSnapshot(): string {
  const h = createHash('sha256');
  for (const p of WATCHED) {
    h.update(`${p}\n`);
    if (!existsSync(p)) continue;
    const real = realpathSync(p);
    try {
      for (const name of readdirSync(real).sort()) {
        h.update(name);
        try { h.update(readFileSync(`${real}/${name}`)); } catch { /* a sub-folder */ }
      }
    } catch {
      h.update(readFileSync(real));
    }
  }
  return h.digest('hex');
}
