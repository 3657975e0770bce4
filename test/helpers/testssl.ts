/**
 * testssl.sh (Debian's `testssl`) against a server on loopback, judging the chain with our CA
 * (`--add-ca`), bounded in time; findings come back as data from its JSON file.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestsslFinding { id: string; severity: string; finding: string }
export interface TestsslResult { status: number; findings: TestsslFinding[]; out: string }

/** Protocols, ciphers, forward secrecy, server defaults (certificate), preferences, headers, vulnerabilities. */
export function runTestssl(opts: { url: string; caFile: string; dir: string; env: NodeJS.ProcessEnv; ip?: string; expiryWarnDays?: { medium: number; high: number } }): Promise<TestsslResult> {
  // testssl.sh rates a certificate with under 60 days left MEDIUM and under 30 HIGH (DAYS2WARN1/2),
  // thresholds made for year-long certificates; a short-lived one needs its own.
  const warn = opts.expiryWarnDays ? { DAYS2WARN1: String(opts.expiryWarnDays.medium), DAYS2WARN2: String(opts.expiryWarnDays.high) } : {};
  const json = join(opts.dir, `testssl-${Date.now()}.json`);
  return new Promise((resolve) => {
    const p = spawn('timeout', ['120', 'testssl', '--add-ca', opts.caFile, '--quiet', '--color', '0', '--warnings', 'off', '--jsonfile', json, '--ip', opts.ip ?? '127.0.0.1',
      '-p', '-s', '-f', '-P', '-S', '-h', '-U', opts.url], { env: { ...opts.env, ...warn }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('close', (status) => {
      let findings: TestsslFinding[] = [];
      try { findings = JSON.parse(readFileSync(json, 'utf8')) as TestsslFinding[]; } catch { /* reported by the caller's assertions */ }
      resolve({ status: status ?? -1, findings, out });
    });
  });
}

/** HIGH or CRITICAL findings other than the missing CRL/OCSP that every local CA has. */
export function seriousFindings(findings: readonly TestsslFinding[]): TestsslFinding[] {
  return findings.filter((f) => (f.severity === 'HIGH' || f.severity === 'CRITICAL') && !/crl|ocsp|revocation/i.test(`${f.id} ${f.finding}`));
}
