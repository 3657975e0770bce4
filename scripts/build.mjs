// Bundles the CLI into one CommonJS file (loaded with a V8 code cache by bin/tlsdock.cjs) and the
// library into one ES module. Start-up is most of the cost of a one-shot command: see bench/issue.sh.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const common = { bundle: true, platform: 'node', target: 'node20', minify: true, keepNames: true, sourcemap: 'linked', logLevel: 'warning', legalComments: 'none' };
// CommonJS bundles have no import.meta; the sources use import.meta.url only for createRequire.
const cjs = { ...common, format: 'cjs', define: { 'import.meta.url': '__tlsdock_import_meta_url' }, banner: { js: 'var __tlsdock_import_meta_url = require("url").pathToFileURL(__filename).href;' } };
// PKCS#12 support (pkijs + node-forge) is half the bundle and rarely used: it lives in its own file,
// required only when a .p12 shows up, so a plain `issue` neither reads nor compiles it.
const pkcs12Apart = {
  name: 'pkcs12-apart',
  setup(b) {
    // The vm.Script the bin runs has no dynamic-import hook, so `import()` becomes a plain require.
    b.onResolve({ filter: /\/pkcs12\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: 'pkcs12', namespace: 'apart' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'apart' }, () => ({ contents: 'module.exports = require("./pkcs12.cjs");', loader: 'js' }));
    b.onResolve({ filter: /^\.\/pkcs12\.cjs$/ }, () => ({ path: './pkcs12.cjs', external: true }));
  },
};
await build({ ...cjs, entryPoints: ['src/cli/entry.ts'], outfile: 'dist/tlsdock.cjs', plugins: [pkcs12Apart] });
await build({ ...cjs, entryPoints: ['src/pki/pkcs12.ts'], outfile: 'dist/pkcs12.cjs' });
// The proxy's serving processes run the data path alone: loading the certificate code (@peculiar/x509)
// into them made V8 collect garbage every ~100 ms during large transfers (docs/proxy.md, Processes).
await build({ ...cjs, entryPoints: ['src/proxy/worker-main.ts'], outfile: 'dist/proxy-worker.cjs', external: ['pkijs', 'node-forge', 'asn1js'] });
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.mjs', packages: 'external' });

// Warm the code cache along the hottest path (issue), so the first real run is already fast.
const home = mkdtempSync(join(tmpdir(), 'tlsdock-build-'));
try {
  execFileSync(process.execPath, ['bin/tlsdock.cjs', 'issue', 'localhost', '127.0.0.1', '--out', home, '--json'], { env: { ...process.env, TLSDOCK_HOME: home }, stdio: 'ignore' });
} finally {
  rmSync(home, { recursive: true, force: true });
}
