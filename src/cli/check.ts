import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import type { CheckResult } from '../index.js';
import { renderDoctorReport } from './doctor-output.js';
import { action, examples, printJson } from './output.js';
import { collect } from './parse.js';

function milliseconds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('expected a whole number of milliseconds above 0.');
  return Number(value);
}

function facts(r: CheckResult): string[] {
  if (!r.tls.protocol) return [];
  const chain = r.certificates.map((x) => x.subject.replace(/^.*CN=/, '')).join(' → ');
  return [`${r.tls.protocol}${r.tls.alpn ? ` · ALPN ${r.tls.alpn}` : ''} · ${r.tls.sent} certificate${r.tls.sent === 1 ? '' : 's'} sent · chain: ${chain}`];
}

export function checkCommand() {
  return new Command('check')
    .description('connect to a running HTTPS server: which error Chromium will show, why, and the command that fixes it')
    .argument('<url>', 'https://host:port/ or host:port')
    .option('--connect-to <address>', 'dial this address but judge the URL\'s host (like curl --connect-to)')
    .option('--ca <file>', 'also trust this CA certificate (repeatable)', collect, [] as string[])
    .option('--timeout <ms>', 'give up on a silent server after this many milliseconds', milliseconds, 10_000)
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(
      'tlsdock check https://127.0.0.1:8888',
      'tlsdock check jupyter.internal:443 --connect-to 10.0.0.5',
      'tlsdock check https://localhost:8443 --ca team-ca.pem --json',
    ))
    .addHelpText('after', '\nExit status: 0 no problems, 1 problems found, 2 could not connect.\n')
    .action(action(async (url, o) => {
      const { check } = await import('../api/check.js');
      const r = await check({ url, connectTo: o.connectTo, caFiles: o.ca, timeoutMs: o.timeout });
      if (o.json) printJson(r);
      else renderDoctorReport(r, facts(r));
      process.exitCode = r.ok ? 0 : 1;
    }));
}
