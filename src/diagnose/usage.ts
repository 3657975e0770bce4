/**
 * What each certificate is allowed to do: basicConstraints, keyUsage, extendedKeyUsage, path length.
 * Measured with Chromium 156 (test/e2e/doctor-chromium.test.ts):
 *  - a leaf whose EKU lacks serverAuth (e.g. clientAuth only) → ERR_CERT_INVALID; no EKU at all is fine;
 *  - a leaf whose keyUsage lacks digitalSignature (RSA or ECDSA) → ERR_SSL_KEY_USAGE_INCOMPATIBLE,
 *    raised during the handshake, so it wins over every certificate error (even an untrusted CA);
 *  - a CA:TRUE leaf under a trusted CA loads (Firefox refuses it);
 *  - an intermediate or anchor that is CA:FALSE, lacks keyCertSign, or has an EKU without
 *    serverAuth → ERR_CERT_INVALID.
 */
import type { CertInfo } from './cert-info.js';
import { capitalize, describeCert, roleAt, type FixContext } from './context.js';
import { finding, type ChromiumError, type Finding } from './findings.js';

export function ekuFinding(leaf: CertInfo, ctx: FixContext, countsForChromium: boolean): Finding[] {
  if (leaf.allowsServerAuth) return [];
  const eku = (leaf.extKeyUsage ?? []).map(ekuName).join(', ') || 'nothing';
  return [finding('eku-no-server-auth', 'error', `The certificate's extended key usage allows ${eku} but not serverAuth, so it cannot serve HTTPS.`, ctx.issueCommand, countsForChromium ? 'ERR_CERT_INVALID' : null)];
}

/** key-usage-no-digital-signature: a handshake failure, whatever the trust. */
export function keyUsageFinding(leaf: CertInfo, ctx: FixContext): Finding[] {
  const ku = leaf.keyUsage;
  if (!ku || ku.includes('digitalSignature')) return [];
  const key = leaf.publicKey.type === 'rsa' ? 'RSA' : 'ECDSA';
  return [finding('key-usage-no-digital-signature', 'error', `The certificate's key usage (${ku.join(', ') || 'empty'}) lacks digitalSignature, which TLS needs to sign the handshake with this ${key} key.`, ctx.issueCommand, 'ERR_SSL_KEY_USAGE_INCOMPATIBLE')];
}

export function caLeafFinding(leaf: CertInfo, ctx: FixContext): Finding[] {
  if (!leaf.isCA) return [];
  return [finding('ca-leaf', 'warning', 'The server certificate is marked CA:TRUE; Chromium accepts that, but Firefox refuses a CA certificate as a server certificate.', ctx.issueCommand)];
}

/** issuer-not-a-ca, eku-no-server-auth and path-length-exceeded for every CA of a path (leaf first). */
export function caFindings(path: readonly CertInfo[], countsForChromium: boolean): Finding[] {
  const out: Finding[] = [];
  const err: ChromiumError | null = countsForChromium ? 'ERR_CERT_INVALID' : null;
  for (let i = 1; i < path.length; i++) {
    const ca = path[i]!;
    const what = describeCert(ca, roleAt(path, i));
    const isAnchor = i === path.length - 1;
    const bc = ca.basicConstraints;
    // A v1 root without basicConstraints may still anchor a path; an intermediate may not.
    if (bc ? !bc.ca : !isAnchor) {
      out.push(finding('issuer-not-a-ca', 'error', `${capitalize(what)} signs certificates but is not marked as a CA (basicConstraints ${bc ? 'CA:FALSE' : 'missing'}).`, `re-issue ${what} with basicConstraints CA:TRUE`, err));
    } else if (ca.keyUsage && !ca.keyUsage.includes('keyCertSign')) {
      out.push(finding('issuer-not-a-ca', 'error', `${capitalize(what)} signs certificates but its key usage lacks keyCertSign.`, `re-issue ${what} with keyUsage keyCertSign`, err));
    }
    if (!ca.allowsServerAuth) {
      out.push(finding('eku-no-server-auth', 'error', `${capitalize(what)} restricts its extended key usage to ${(ca.extKeyUsage ?? []).map(ekuName).join(', ')}, which excludes TLS servers below it.`, `re-issue ${what} without an extended key usage, or with serverAuth`, err));
    }
    const pathLen = bc?.pathLen;
    if (pathLen !== undefined && i - 1 > pathLen) {
      out.push(finding('path-length-exceeded', 'error', `${capitalize(what)} allows ${pathLen} intermediate${pathLen === 1 ? '' : 's'} below it (pathLenConstraint) but the chain has ${i - 1}.`, `issue the server certificate directly from ${what}`, err));
    }
  }
  return out;
}

/**
 * A self-signed server certificate trusted in NSS as a CA (`C,,`) rather than as a peer. What
 * Chromium 156 does then was measured case by case (it follows from TrustStoreNSS making it a
 * trust anchor whose CA constraints are enforced):
 *   basicConstraints CA:FALSE                      → ERR_CERT_INVALID
 *   CA:TRUE, keyUsage without keyCertSign          → ERR_CERT_INVALID
 *   no basicConstraints, keyUsage w/o keyCertSign  → ERR_CERT_AUTHORITY_INVALID
 *   CA:TRUE (with keyCertSign), or no extensions   → loads
 * Trusting it as a peer (`P,,` or `CP,,`) loads in every one of those cases.
 */
export function selfAnchorFindings(leaf: CertInfo, nickname: string | undefined, nssDir: string | null): Finding[] {
  const bc = leaf.basicConstraints;
  const noCertSign = !!leaf.keyUsage && !leaf.keyUsage.includes('keyCertSign');
  let error: ChromiumError | undefined;
  if (bc && !bc.ca) error = 'ERR_CERT_INVALID';
  else if (bc?.ca && noCertSign) error = 'ERR_CERT_INVALID';
  else if (!bc && noCertSign) error = 'ERR_CERT_AUTHORITY_INVALID';
  if (!error) return [];
  const why = bc && !bc.ca ? 'it is CA:FALSE' : 'its key usage lacks keyCertSign';
  const fix = `certutil -M -d sql:${nssDir ?? '$HOME/.pki/nssdb'} -n "${nickname ?? leaf.name}" -t P,,`;
  return [finding('self-signed-trusted-as-ca', 'error', `This self-signed certificate is trusted in NSS as a CA (C,,), but ${why}, so Chromium rejects it; trust it as a peer (P,,) instead.`, fix, error)];
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth', '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection', '1.3.6.1.5.5.7.3.8': 'timeStamping', '1.3.6.1.5.5.7.3.9': 'OCSPSigning', '2.5.29.37.0': 'anyExtendedKeyUsage',
};

function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}
