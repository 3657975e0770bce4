/**
 * The trust anchors Chromium on Linux would use, as plain data (the API layer reads them).
 *
 * Chromium 156 on Linux trusts: the NSS database under $HOME (with per-certificate trust flags),
 * plus its own Chrome Root Store of public CAs. It does NOT read /etc/ssl/certs (curl, Python and
 * Node do). We approximate the Chrome Root Store with Node's bundled Mozilla list
 * (`tls.rootCertificates`): both are the public web PKI, and neither contains local CAs, which is
 * what matters for a development doctor. The system store is kept only to explain mismatches
 * ("curl trusts it, Chromium does not").
 *
 * NSS trust flags (first field of `certutil -L`, the SSL one), as Chromium's TrustStoreNSS reads them:
 *   C  trusted CA (trust anchor)      P  trusted peer (a leaf trusted as itself)
 *   c  valid CA, not an anchor        p  "terminal record" without P: explicitly distrusted
 *   (none)  just stored: usable as an intermediate while building a path.
 */
import { CertInfo } from './cert-info.js';

export type AnchorSource = 'nss' | 'public' | 'extra';

export interface NssCert {
  nickname: string;
  /** The SSL trust field, e.g. 'C', 'CT', 'P', 'p', 'c', ''. */
  flags: string;
  cert: CertInfo;
}

export interface TrustInput {
  /** The NSS database directory Chromium reads (null when there is none under $HOME). */
  nssDir: string | null;
  nss: NssCert[];
  /** Why the NSS database could not be read, when it exists but could not be. */
  nssError?: string;
  /** PEM roots standing in for the Chrome Root Store (Node's tls.rootCertificates). */
  publicRootPems: readonly string[];
  /** --ca: extra trusted CAs. */
  extra: CertInfo[];
  /** The system CA bundle (/etc/ssl/certs): NOT Chromium's, only for explanations. */
  systemPems: readonly string[];
  /** tlsdock's own CA, when there is one, to name the right fix. */
  ourCa?: CertInfo;
}

export interface TrustOf {
  /** A trust anchor (NSS C, a public root, --ca). */
  anchor?: AnchorSource;
  /** Trusted as itself (NSS P). */
  leaf: boolean;
  /** Explicitly distrusted (NSS p). */
  distrusted: boolean;
  nickname?: string;
  flags?: string;
}

function flagsOf(flags: string): { anchor: boolean; leaf: boolean; distrusted: boolean } {
  const anchor = flags.includes('C');
  const leaf = flags.includes('P');
  return { anchor, leaf, distrusted: flags.includes('p') && !anchor && !leaf };
}

function indexBySubject(certs: Iterable<CertInfo>): Map<string, CertInfo[]> {
  const map = new Map<string, CertInfo[]>();
  for (const c of certs) {
    const list = map.get(c.subject);
    if (list) list.push(c);
    else map.set(c.subject, [c]);
  }
  return map;
}

function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----|\s+/g, '');
}

function parsePems(pems: readonly string[], origin: string): CertInfo[] {
  const out: CertInfo[] = [];
  for (const pem of pems) {
    try {
      out.push(new CertInfo(Buffer.from(pemBody(pem), 'base64'), origin));
    } catch {
      // a broken entry in a bundle is not the user's certificate's problem
    }
  }
  return out;
}

/** Answers "who may issue this, and is it trusted?" over every trust source, parsing big lists lazily. */
export class TrustAnchors {
  readonly nssDir: string | null;
  readonly nssError?: string;
  readonly ourCa?: CertInfo;
  private readonly input: TrustInput;
  private readonly nssByFp = new Map<string, NssCert>();
  private readonly extraFp = new Set<string>();
  private readonly local: Map<string, CertInfo[]>;
  private publicIndex?: Map<string, CertInfo[]>;
  private publicDer?: Set<string>;
  private systemIndex?: { bySubject: Map<string, CertInfo[]>; der: Set<string> };
  private systemParsed = false;

  constructor(input: TrustInput) {
    this.input = input;
    this.nssDir = input.nssDir;
    this.nssError = input.nssError;
    this.ourCa = input.ourCa;
    for (const n of input.nss) this.nssByFp.set(n.cert.fingerprint256, n);
    for (const c of input.extra) this.extraFp.add(c.fingerprint256);
    this.local = indexBySubject([...input.nss.map((n) => n.cert), ...input.extra]);
  }

  /** No trust at all: for tests and for "is it self-consistent" checks. */
  static empty(): TrustAnchors {
    return new TrustAnchors({ nssDir: null, nss: [], publicRootPems: [], extra: [], systemPems: [] });
  }

  /** Public roots by subject, parsed on first need (~150 certificates). */
  private publics(): Map<string, CertInfo[]> {
    this.publicIndex ??= indexBySubject(parsePems(this.input.publicRootPems, 'a public root CA'));
    return this.publicIndex;
  }

  /** Is this exact certificate a public root? Compared as base64 DER, so nothing is parsed. */
  private isPublicRoot(cert: CertInfo): boolean {
    this.publicDer ??= new Set(this.input.publicRootPems.map(pemBody));
    return this.publicDer.has(cert.base64);
  }

  /** Certificates from the trust sources whose subject is `subject` (NSS and --ca first; public roots only if none). */
  candidates(subject: string): CertInfo[] {
    const local = this.local.get(subject) ?? [];
    return local.length > 0 ? local : this.publics().get(subject) ?? [];
  }

  trustOf(cert: CertInfo): TrustOf {
    const nss = this.nssByFp.get(cert.fingerprint256);
    const f = nss ? flagsOf(nss.flags) : { anchor: false, leaf: false, distrusted: false };
    let anchor: AnchorSource | undefined = f.anchor ? 'nss' : undefined;
    if (!anchor && this.extraFp.has(cert.fingerprint256)) anchor = 'extra';
    if (!anchor && !f.distrusted && cert.selfIssued && this.isPublicRoot(cert)) anchor = 'public';
    return { anchor, leaf: f.leaf, distrusted: f.distrusted, nickname: nss?.nickname, flags: nss?.flags };
  }

  /** In the NSS database at all (any flags). */
  inNss(cert: CertInfo): NssCert | undefined {
    return this.nssByFp.get(cert.fingerprint256);
  }

  /** NSS entries with this subject (any flags). */
  nssNamed(subject: string): NssCert[] {
    return this.input.nss.filter((n) => n.cert.subject === subject);
  }

  /** Whether --ca files were given (for messages). */
  get hasExtra(): boolean {
    return this.input.extra.length > 0;
  }

  private system(): { bySubject: Map<string, CertInfo[]>; der: Set<string> } {
    this.systemIndex ??= { bySubject: new Map(), der: new Set(this.input.systemPems.map(pemBody)) };
    return this.systemIndex;
  }

  /** In the system CA bundle (what curl, Python and Node trust; not Chromium). */
  inSystemStore(cert: CertInfo): boolean {
    return this.system().der.has(cert.base64);
  }

  /**
   * The issuer of `cert` found where Chromium does not look: tlsdock's own CA (when it is not in
   * NSS) or the system store. Then the chain is not incomplete: its root is simply not trusted.
   */
  untrustedIssuerOf(cert: CertInfo): CertInfo | undefined {
    const sys = this.system();
    if (!this.systemParsed) {
      for (const [subject, list] of indexBySubject(parsePems(this.input.systemPems, 'the system store'))) sys.bySubject.set(subject, list);
      this.systemParsed = true;
    }
    const candidates = [...(this.ourCa ? [this.ourCa] : []), ...(sys.bySubject.get(cert.issuer) ?? [])];
    return candidates.find((c) => cert.signedBy(c));
  }

  isOurCa(cert: CertInfo): boolean {
    return !!this.ourCa && this.ourCa.fingerprint256 === cert.fingerprint256;
  }
}
