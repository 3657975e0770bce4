// In-process leaf certificates per second through the library API (ECDSA P-256 and RSA-2048).
import { createPrivateKey } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createRootCA } from '../src/pki/ca.js';
import { defaultConstraints } from '../src/pki/constraints.js';
import { issueLeaf } from '../src/pki/leaf.js';
import { parseNames } from '../src/pki/names.js';

const root = await createRootCA({ commonName: 'bench CA', constraints: defaultConstraints() });
const ca = { cert: root.cert, key: createPrivateKey(root.keyPem), chainPems: [], constraints: defaultConstraints() };
const names = parseNames(['localhost', '127.0.0.1', '::1']);

async function rate(keyType: 'ecdsa-p256' | 'rsa-2048', seconds: number): Promise<void> {
  for (let i = 0; i < 5; i++) await issueLeaf({ ca, names, keyType }); // warm-up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await issueLeaf({ ca, names, keyType });
    n++;
  }
  const ms = (performance.now() - start) / n;
  console.log(`in-process ${keyType} leaf (keygen + sign + PEM): ${(1000 / ms).toFixed(0)}/s (${ms.toFixed(2)} ms each, ${n} leaves)`);
}
await rate('ecdsa-p256', 3);
await rate('rsa-2048', 3);
