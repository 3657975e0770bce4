/**
 * Weak signature hashes. Chromium 156 rejects SHA-1 and MD5 signatures on every certificate it
 * verifies with ERR_CERT_INVALID — not ERR_CERT_WEAK_SIGNATURE_ALGORITHM, which older versions
 * showed (measured: SHA-1 leaf, SHA-1 intermediate, MD5 leaf under a trusted local CA, and a
 * self-signed SHA-1 certificate trusted `C,,`). A root's own self-signature is never checked, and
 * neither is a leaf trusted as a peer (`P,,`): those may use any hash.
 */
import type { CertInfo, SignatureHash } from './cert-info.js';
import { capitalize, describeCert, roleAt, type FixContext } from './context.js';
import { finding, type Finding } from './findings.js';

const WEAK: ReadonlySet<SignatureHash> = new Set(['md2', 'md4', 'md5', 'sha1']);

export function isWeakHash(hash: SignatureHash): boolean {
  return WEAK.has(hash);
}

/**
 * weak-signature for each certificate of `path` whose signature Chromium checks: all but the
 * anchor, or the anchor too when it is the only certificate (a self-signed leaf trusted as a CA).
 */
export function signatureFindings(path: readonly CertInfo[], ctx: FixContext, countsForChromium: boolean): Finding[] {
  const checked = path.length === 1 ? path : path.slice(0, -1);
  return checked.flatMap((cert, i) => {
    if (!isWeakHash(cert.signatureHash)) return [];
    const what = describeCert(cert, roleAt(path, i));
    const hash = cert.signatureHash.toUpperCase().replace('SHA1', 'SHA-1');
    return [finding('weak-signature', 'error', `${capitalize(what)} is signed with ${hash}, which browsers and OpenSSL 3 refuse.`,
      i === 0 ? ctx.issueCommand : `re-issue ${what} with SHA-256`, countsForChromium ? 'ERR_CERT_INVALID' : null)];
  });
}
