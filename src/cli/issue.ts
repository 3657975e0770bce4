import { Command, Option } from '@commander-js/extra-typings';
import type { IssueResult } from '../index.js';
import { KEY_TYPES, parseKeyType } from '../pki/keys.js';
import { action, c, examples, line, printJson } from './output.js';
import { readPassword } from './password.js';
import { positiveInt } from './parse.js';

function render(r: IssueResult): void {
  if (r.ca.created) line(`${c.green('✓')} Created a local CA (${r.ca.subject}); run ${c.cyan('tlsdock trust install')} so browsers trust it`);
  line(`${c.green('✓')} Certificate for ${r.names.map((n) => c.bold(n.value)).join(', ')}`);
  line(`  valid until ${r.notAfter.slice(0, 10)}   sha256 ${c.dim(r.fingerprintSha256)}`);
  line(`  certificate ${r.files.cert}`);
  if (r.files.fullchain) line(`  full chain  ${r.files.fullchain}`);
  if (r.files.key) line(`  key         ${r.files.key}  ${c.dim('(mode 0600)')}`);
  if (r.files.p12) line(`  PKCS#12     ${r.files.p12}`);
  for (const w of r.warnings) line(`${c.yellow('warning:')} ${w}`);
  if (r.files.key) line(`\nJupyter: ${c.cyan(`jupyter server --certfile=${r.files.fullchain ?? r.files.cert} --keyfile=${r.files.key}`)}`);
}

export function issueCommand() {
  return new Command('issue')
    .description('issue a certificate from the local CA for DNS names, wildcards, IPs or emails (creates the CA if there is none)')
    .argument('[names...]', 'localhost, 127.0.0.1, ::1, *.ai-lab.local, bücher.test, me@example.test')
    .option('--out <dir>', 'folder for NAME.pem, NAME-fullchain.pem and NAME-key.pem (default: current folder)')
    .option('--cert-file <file>', 'exact path of the certificate (written with its chain)')
    .option('--key-file <file>', 'exact path of the key')
    .option('--days <n>', 'validity in days (above 825 only with --force)', positiveInt, 397)
    .addOption(new Option('--key-type <type>', `one of ${KEY_TYPES.join(', ')}`))
    .option('--client', 'also valid for TLS client authentication (mTLS)')
    .option('--p12', 'also write a PKCS#12 (.p12) file for Windows, macOS, Java and browsers')
    .option('--password-file <file>', 'the .p12 password (else TLSDOCK_P12_PASSWORD, else a prompt)')
    .option('--csr <file>', 'sign this certificate request instead of making a key')
    .option('--force', 'overwrite existing files; allow more than 825 days')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(
      'tlsdock issue localhost 127.0.0.1 ::1',
      'tlsdock issue "*.ai-lab.local" ai-lab.local --out certs/',
      'tlsdock issue jupyter.internal 10.0.0.5 --cert-file /etc/jupyter/tls.crt --key-file /etc/jupyter/tls.key',
      'tlsdock issue me@ai-lab.test --client --p12 --password-file pw.txt',
      'tlsdock issue --csr server.csr --out certs/',
    ))
    .action(action(async (names, o) => {
      const p12Password = o.p12 ? await readPassword({ file: o.passwordFile, envVar: 'TLSDOCK_P12_PASSWORD', prompt: 'Password for the .p12 file: ', confirm: true }) : undefined;
      const { issue } = await import('../api/issue.js');
      const r = await issue({
        names, outDir: o.out, certFile: o.certFile, keyFile: o.keyFile, days: o.days,
        keyType: o.keyType ? parseKeyType(o.keyType) : undefined, client: o.client, p12Password, csrFile: o.csr, force: o.force,
      });
      if (o.json) return printJson({ ok: true, ...r });
      render(r);
    }));
}
