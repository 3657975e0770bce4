import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints as AsnNameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import { x509 } from './x509lib.js';
import type { NameConstraints } from './constraints.js';

// @peculiar/x509 has no NameConstraints class, so the extension is encoded with @peculiar/asn1-x509.

/** The critical NameConstraints extension (RFC 5280 says it MUST be critical; Chromium enforces it on local roots). */
export function nameConstraintsExtension(nc: NameConstraints): x509.Extension {
  const subtrees = [
    ...nc.dns.map((d) => new GeneralSubtree({ base: new GeneralName({ dNSName: d }) })),
    ...nc.ip.map((c) => new GeneralSubtree({ base: new GeneralName({ iPAddress: c }) })),
    ...nc.email.map((e) => new GeneralSubtree({ base: new GeneralName({ rfc822Name: e }) })),
  ];
  const value = new AsnNameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) });
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(value));
}

/** Read the permitted subtrees of a certificate's NameConstraints, or undefined when it has none. */
export function readNameConstraints(cert: x509.X509Certificate): (NameConstraints & { excluded: number }) | undefined {
  const ext = cert.getExtension(id_ce_nameConstraints);
  if (!ext) return undefined;
  const parsed = AsnConvert.parse(ext.value, AsnNameConstraints);
  const out: NameConstraints & { excluded: number } = { dns: [], ip: [], email: [], excluded: parsed.excludedSubtrees?.length ?? 0 };
  for (const st of parsed.permittedSubtrees ?? []) {
    if (st.base.dNSName !== undefined) out.dns.push(st.base.dNSName);
    else if (st.base.iPAddress !== undefined) out.ip.push(st.base.iPAddress);
    else if (st.base.rfc822Name !== undefined) out.email.push(st.base.rfc822Name);
  }
  return out;
}
