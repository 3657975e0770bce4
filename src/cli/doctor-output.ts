import type { DoctorReport, Finding } from '../index.js';
import { c, line } from './output.js';

const MARK: Record<Finding['severity'], string> = { error: c.red('✗ error  '), warning: c.yellow('! warning'), info: c.dim('· info   ') };

/** The verdict first, then the findings, then the fixes (once each, in order). */
export function renderDoctorReport(r: DoctorReport, facts: string[] = []): void {
  const verdict = r.browser.chromium;
  line(verdict === 'OK' ? c.green(r.summary) : verdict ? c.red(c.bold(r.summary)) : c.bold(r.summary));
  for (const f of facts) line(c.dim(`  ${f}`));
  if (r.findings.length > 0) {
    line();
    for (const f of r.findings) line(`  ${MARK[f.severity]} ${c.bold(f.id)}  ${f.message}${f.browserError ? c.dim(`  [${f.browserError}]`) : ''}`);
  }
  const fixes = [...new Set(r.findings.filter((f) => f.fix && f.severity !== 'info').map((f) => f.fix!))];
  if (fixes.length > 0) {
    line();
    line(c.bold('Fixes:'));
    fixes.forEach((fix, i) => line(`  ${i + 1}. ${c.cyan(fix)}`));
  }
}
