import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints as AsnNameConstraints, id_ce_nameConstraints, type Extension } from '@peculiar/asn1-x509';
import { extension } from './cert-sign.js';
import type { NameConstraints } from './constraints.js';

function permitted(nc: NameConstraints): AsnNameConstraints {
  const subtrees = [
    ...nc.dns.map((d) => new GeneralSubtree({ base: new GeneralName({ dNSName: d }) })),
    ...nc.ip.map((c) => new GeneralSubtree({ base: new GeneralName({ iPAddress: c }) })),
    ...nc.email.map((e) => new GeneralSubtree({ base: new GeneralName({ rfc822Name: e }) })),
  ];
  return new AsnNameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) });
}

/** The DER value of the NameConstraints extension for these permitted names. */
export function nameConstraintsValue(nc: NameConstraints): ArrayBuffer {
  return AsnConvert.serialize(permitted(nc));
}

/** The critical NameConstraints extension (RFC 5280 says it MUST be critical; Chromium enforces it on local roots). */
export function nameConstraintsExtension(nc: NameConstraints): Extension {
  return extension(id_ce_nameConstraints, true, permitted(nc));
}

/** Read the permitted subtrees of a certificate's NameConstraints, or undefined when it has none. */
export function readNameConstraints(certificate: Uint8Array | Certificate): (NameConstraints & { excluded: number }) | undefined {
  const cert = certificate instanceof Certificate ? certificate : AsnConvert.parse(certificate, Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_nameConstraints);
  if (!ext) return undefined;
  const parsed = AsnConvert.parse(ext.extnValue.buffer, AsnNameConstraints);
  const out: NameConstraints & { excluded: number } = { dns: [], ip: [], email: [], excluded: parsed.excludedSubtrees?.length ?? 0 };
  for (const st of parsed.permittedSubtrees ?? []) {
    if (st.base.dNSName !== undefined) out.dns.push(st.base.dNSName);
    else if (st.base.iPAddress !== undefined) out.ip.push(st.base.iPAddress);
    else if (st.base.rfc822Name !== undefined) out.email.push(st.base.rfc822Name);
  }
  return out;
}
