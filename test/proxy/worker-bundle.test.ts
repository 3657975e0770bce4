/**
 * The lean worker (src/proxy/worker-main.ts → dist/proxy-worker.cjs) must not pull in the
 * certificate-making code: loading @peculiar/x509 (its asn1-x509 schemas) into a serving process made
 * V8 mark-compact every ~100 ms during large transfers here. Bundle the entry in memory and check.
 *
 *   cd /work/main && node --import tsx --test test/proxy/worker-bundle.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';

test('the lean worker entry imports no @peculiar/* module and none of the signing code', async () => {
  // pki/keys.ts (node:crypto only) is shared on purpose: one keysMatch/describeKey for the whole program.
  // As scripts/build.mjs bundles it: PKCS#12 support (pkijs, asn1js, node-forge) stays external; it is only
  // ever loaded if a .p12 arrives, which a worker never parses (the primary sends PEM).
  const r = await build({ entryPoints: ['src/proxy/worker-main.ts'], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent', external: ['pkijs', 'node-forge', 'asn1js'] });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((i) => i.endsWith('src/proxy/server.ts')), 'the bundle holds the proxy');
  const heavy = inputs.filter((i) => /@peculiar|reflect-metadata|tsyringe|src\/pki\/(x509lib|leaf|ca|cert-sign|parsed-certificate|dn|name-constraints-ext)\.ts$/.test(i));
  assert.deepEqual(heavy, []);
});
