import { createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRootCA, type CreateCAOptions } from '../../src/pki/ca.js';
import { defaultConstraints } from '../../src/pki/constraints.js';
import type { SigningCA } from '../../src/pki/leaf.js';
import { readNameConstraints } from '../../src/pki/name-constraints-ext.js';

export interface TestCA extends SigningCA {
  certPem: string;
  keyPem: string;
  /** Path of the CA certificate written into `dir`. */
  certFile: string;
}

/** A CA made by our own code, written to `dir/ca.pem`, for tests that verify what we issue with real programs. */
export async function makeTestCA(dir: string, opts: Partial<CreateCAOptions> = {}): Promise<TestCA> {
  const ca = await createRootCA({ commonName: 'tlsdock test CA', constraints: defaultConstraints(['tlsdock-test-host']), ...opts });
  const certFile = join(dir, 'ca.pem');
  writeFileSync(certFile, ca.certPem);
  return { cert: ca.cert, key: createPrivateKey(ca.keyPem), chainPems: [], constraints: readNameConstraints(ca.cert.rawData), certPem: ca.certPem, keyPem: ca.keyPem, certFile };
}
