/**
 * The library's published types (package.json exports.types → dist/types, written by `npm run build`):
 * a TypeScript project outside the repo that depends on tlsdock type-checks against them, and a wrong
 * option is caught (so the types are real, not `any`).
 *
 *   cd /work/main && npm run build && node --import tsx --test test/api/types.test.ts
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TSC = createRequire(import.meta.url).resolve('typescript/package.json').replace(/package\.json$/, 'bin/tsc');

after(() => cleanupTmpDirs());

/** A consumer project whose node_modules/tlsdock is this repository; returns tsc's exit code and output. */
function typecheck(source: string): { status: number | null; output: string } {
  const dir = makeTmpDir('tlsdock-types-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'tlsdock'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], skipLibCheck: false },
    files: ['consumer.ts'],
  }));
  writeFileSync(join(dir, 'consumer.ts'), source);
  const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('published types', () => {
  test('dist/types/index.d.ts is built and package.json points at it', () => {
    assert.ok(existsSync(join(ROOT, 'dist/types/index.d.ts')), 'run npm run build first');
    const pkg = createRequire(import.meta.url)(join(ROOT, 'package.json')) as { exports: { '.': { types: string } } };
    assert.equal(pkg.exports['.'].types, './dist/types/index.d.ts');
  });

  test('a consumer using the proxy, issuing and the doctor type-checks', () => {
    const r = typecheck(`
import { startProxy, issue, check, ProxyLog, isTlsdockError, type ProxyOptions, type DoctorReport } from 'tlsdock';
const opts: ProxyOptions = { to: 'http://127.0.0.1:8888', listen: ['127.0.0.1:8443'], log: new ProxyLog({ format: 'json' }) };
export async function main(): Promise<void> {
  const proxy = await startProxy(opts);
  const urls: string[] = proxy.info.urls;
  await proxy.close();
  const leaf = await issue({ names: ['localhost'] });
  const report: DoctorReport = await check({ url: 'https://localhost:8443/' });
  console.log(urls, leaf, report);
}
export function explain(e: unknown): string { return isTlsdockError(e) ? e.message : String(e); }
`);
    assert.equal(r.status, 0, r.output);
  });

  test('a wrong option type is an error (the types are not any)', () => {
    const r = typecheck(`
import { startProxy } from 'tlsdock';
export const p = startProxy({ to: 8888 });
`);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /consumer\.ts.*error TS2322/s);
  });
});
