// Bundles the CLI into one CommonJS file (loaded with a V8 code cache by bin/tlsdock.cjs) and the
// library into one ES module. Start-up is most of the cost of a one-shot command: see bench/issue.sh.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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
// The signing code (src/pki) needs a third of @peculiar/asn1-x509; its index loads all ~60 schema
// modules (decorators run at load), ~3 ms of a one-shot `tlsdock issue`. Inside the CLI bundle, src/pki
// imports only the parts below; they are the same files the index loads, so @peculiar/x509 (doctor)
// shares the one set of schema classes. checkAsn1Lite() fails the build if src/pki uses a name not here.
const ASN1_X509_PARTS = ['algorithm_identifier', 'certificate', 'extension', 'general_name', 'name', 'subject_public_key_info', 'tbs_certificate', 'types', 'validity',
  ...['authority_key_identifier', 'basic_constraints', 'extended_key_usage', 'key_usage', 'name_constraints', 'subject_alternative_name', 'subject_key_identifier'].map((e) => `extensions/${e}`)];
const asn1Lite = {
  name: 'asn1-x509-lite',
  setup(b) {
    b.onResolve({ filter: /^@peculiar\/asn1-x509$/ }, (args) => (/[\\/]src[\\/]pki[\\/]/.test(args.importer) ? { path: 'asn1-x509-lite', namespace: 'lite' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lite' }, () => ({ contents: `module.exports = Object.assign({}, ${ASN1_X509_PARTS.map((p) => `require('@peculiar/asn1-x509/build/cjs/${p}.js')`).join(', ')});`, loader: 'js', resolveDir: process.cwd() }));
  },
};
// commander requires child_process at load (~2 ms) for executable subcommands, which tlsdock has none
// of; inside commander, `childProcess.spawn` (all it uses) loads it on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (/[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({ contents: "Object.defineProperty(exports, 'spawn', { enumerable: true, get: () => require('node:child_process').spawn });", loader: 'js' }));
  },
};
function checkAsn1Lite() {
  const require = createRequire(import.meta.url);
  const lite = Object.assign({}, ...ASN1_X509_PARTS.map((p) => require(`@peculiar/asn1-x509/build/cjs/${p}.js`)));
  for (const f of readdirSync('src/pki').filter((n) => n.endsWith('.ts'))) {
    for (const m of readFileSync(join('src/pki', f), 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*'@peculiar\/asn1-x509'/g)) {
      for (const spec of m[1].split(',').map((x) => x.trim()).filter((x) => x && !x.startsWith('type '))) {
        const name = spec.split(/\s+as\s+/)[0];
        if (!(name in lite)) throw new Error(`scripts/build.mjs: src/pki/${f} imports ${name} from @peculiar/asn1-x509; add its module to ASN1_X509_PARTS`);
      }
    }
  }
}
checkAsn1Lite();
await build({ ...cjs, entryPoints: ['src/cli/entry.ts'], outfile: 'dist/tlsdock.cjs', plugins: [pkcs12Apart, asn1Lite, lazyChildProcess] });
await build({ ...cjs, entryPoints: ['src/pki/pkcs12.ts'], outfile: 'dist/pkcs12.cjs' });
// bin/tlsdock.cjs runs the bundle as a vm.Script, which has no dynamic-import hook: an import() left in
// the bundle (of a Node built-in or an external package) would fail only when that code path runs.
const leftover = readFileSync('dist/tlsdock.cjs', 'utf8').match(/\bimport\((["'`])[^"'`]*\1\)/g);
if (leftover) throw new Error(`scripts/build.mjs: dist/tlsdock.cjs keeps ${leftover.join(', ')}; import it statically (the bundle cannot load modules dynamically)`);
// The proxy's serving processes run the data path alone: loading the certificate code (@peculiar/x509)
// into them made V8 collect garbage every ~100 ms during large transfers (docs/proxy.md, Processes).
await build({ ...cjs, entryPoints: ['src/proxy/worker-main.ts'], outfile: 'dist/proxy-worker.cjs', external: ['pkijs', 'node-forge', 'asn1js'] });
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.mjs', packages: 'external' });
// Declarations for library users (package.json exports.types), from src/index.ts and what it imports:
// the CLI is left out (its commander types take tsc minutes to serialise, and it is not library API).
rmSync('dist/types', { recursive: true, force: true });
execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/package.json').replace(/package\.json$/, 'bin/tsc'), '-p', 'tsconfig.types.json'], { stdio: 'inherit' });

// Warm the code cache along the hottest path (issue), so the first real run is already fast.
const home = mkdtempSync(join(tmpdir(), 'tlsdock-build-'));
try {
  execFileSync(process.execPath, ['bin/tlsdock.cjs', 'issue', 'localhost', '127.0.0.1', '--out', home, '--json'], { env: { ...process.env, TLSDOCK_HOME: home }, stdio: 'ignore' });
} finally {
  rmSync(home, { recursive: true, force: true });
}
