import { Command } from '@commander-js/extra-typings';

import { renderDoctorReport } from './doctor-output.js';
import { action, examples, printJson } from './output.js';
import { collect } from './parse.js';
import { readPassword } from './password.js';

export function inspectCommand() {
  return new Command('inspect')
    .description('check certificate and key files: which error Chromium will show, why, and the command that fixes it')
    .argument('<files...>', 'PEM (any blocks, any order), DER, PKCS#12, PKCS#8/PKCS#1/SEC1 or encrypted keys; in the order the server reads them')
    .option('--host <name>', 'a host name or IP the browser will visit (repeatable)', collect, [] as string[])
    .option('--user <name>', 'the user (name or uid) the server runs as: can it read the files?')
    .option('--password-file <file>', 'password of encrypted keys or PKCS#12 files (else TLSDOCK_KEY_PASSWORD / TLSDOCK_P12_PASSWORD)')
    .option('--ca <file>', 'also trust this CA certificate (repeatable)', collect, [] as string[])
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(
      'tlsdock inspect certs/localhost+1-fullchain.pem certs/localhost+1-key.pem --host 127.0.0.1',
      'tlsdock inspect /etc/jupyter/tls.crt /etc/jupyter/tls.key --host jupyter.internal --user jovyan',
      'tlsdock inspect server.p12 --password-file pw.txt --host localhost',
      'tlsdock inspect ca-bundle.pem --json',
    ))
    .addHelpText('after', '\nExit status: 0 no problems, 1 problems found, 2 could not inspect.\n')
    .action(action(async (files, o) => {
      const password = o.passwordFile
        ? await readPassword({ file: o.passwordFile, envVar: 'TLSDOCK_KEY_PASSWORD', prompt: '' })
        : process.env.TLSDOCK_KEY_PASSWORD ?? process.env.TLSDOCK_P12_PASSWORD;
      const { inspect } = await import('../api/inspect.js');
      const r = await inspect({ files, hosts: o.host, user: o.user, password, caFiles: o.ca });
      if (o.json) printJson(r);
      else renderDoctorReport(r, r.certificates.length && r.browser.chromium !== null ? [`chain: ${r.certificates.map((x) => x.subject.replace(/^.*CN=/, '')).join(' → ')}`] : []);
      process.exitCode = r.ok ? 0 : 1;
    }));
}
