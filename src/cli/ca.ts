import { Command, Option } from '@commander-js/extra-typings';
import type { CASummary } from '../index.js';
import { TlsdockError } from '../errors.js';
import { KEY_TYPES, parseKeyType } from '../pki/keys.js';
import { tlsdockHome } from '../store/home.js';

/** The CA operations, loaded when a command runs (a command loads only its own code: bench/issue.sh). */
const caApi = () => import('../api/ca.js');
import { writeFileAtomic } from '../store/atomic.js';
import { action, c, examples, line, printJson } from './output.js';
import { readPassword } from './password.js';
import { collect, positiveInt } from './parse.js';

function renderCA(ca: CASummary, heading: string): void {
  line(c.bold(heading));
  line(`  subject      ${ca.subject}`);
  line(`  sha256       ${ca.fingerprintSha256}`);
  line(`  key          ${ca.key}`);
  line(`  valid        ${ca.notBefore.slice(0, 10)} → ${ca.notAfter.slice(0, 10)}`);
  if (ca.constraints) {
    line(`  permits      ${[...ca.constraints.dns, ...ca.constraints.email].join(', ')}`);
    line(`               ${ca.constraints.ip.join(', ')}`);
  } else {
    line(`  permits      ${c.yellow('any name (no name constraints: whoever holds the key can impersonate any site to this machine)')}`);
  }
  if (ca.chainLength) line(`  chain        ${ca.chainLength} certificate(s) above it`);
  line(`  certificate  ${ca.paths.cert}`);
  line(`  key file     ${ca.paths.key}`);
}

export function caCommand() {
  const ca = new Command('ca').description('create, show, export and import the local certificate authority');

  ca.command('init')
    .description('create the local CA (ECDSA P-256, name-constrained to local names and private IPs)')
    .option('--name <text>', 'the CA\'s name as browsers show it')
    .addOption(new Option('--key-type <type>', `one of ${KEY_TYPES.join(', ')}`).default('ecdsa-p256'))
    .option('--days <n>', 'validity in days', positiveInt, 3650)
    .option('--permit <name|cidr>', 'also permit this DNS name (and subdomains) or IP range; repeatable', collect, [] as string[])
    .option('--no-constraints', 'no name constraints: the CA may sign for any name (not recommended)')
    .option('--force', 'replace an existing CA')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(
      'tlsdock ca init',
      'tlsdock ca init --name "AI lab team CA" --permit ai-lab.example.com --permit 10.20.0.0/16',
      'tlsdock ca init --key-type rsa-3072 --force',
    ))
    .action(action(async (o) => {
      const summary = await (await caApi()).initCA({ name: o.name, keyType: parseKeyType(o.keyType), days: o.days, permit: o.permit, noConstraints: !o.constraints, force: o.force });
      if (o.json) return printJson({ ok: true, created: true, ca: summary });
      renderCA(summary, `${c.green('✓')} Created a CA`);
      line(`\nNext: ${c.cyan('tlsdock trust install')} so browsers trust it, then ${c.cyan('tlsdock issue localhost 127.0.0.1 ::1')}`);
    }));

  ca.command('show')
    .description('show the CA: subject, SHA-256 fingerprint, validity, constraints and paths')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('tlsdock ca show', 'tlsdock ca show --json | jq -r .ca.fingerprintSha256'))
    .action(action(async (o) => {
      const summary = await (await caApi()).showCA();
      if (o.json) return printJson({ ok: true, ca: summary });
      renderCA(summary, `CA in ${tlsdockHome()}`);
    }));

  ca.command('export')
    .description('write the CA certificate (never the key), e.g. to copy into a container or another machine')
    .option('--out <file>', 'write here instead of standard output')
    .addOption(new Option('--format <format>', 'pem or der').choices(['pem', 'der'] as const).default('pem' as const))
    .option('--force', 'overwrite --out')
    .option('--json', 'machine-readable output (needs --out)')
    .addHelpText('after', examples('tlsdock ca export > tlsdock-ca.pem', 'tlsdock ca export --format der --out tlsdock-ca.cer'))
    .action(action(async (o) => {
      const data = await (await caApi()).exportCA(undefined, o.format);
      if (o.out) {
        writeFileAtomic(o.out, data, 0o644, { force: o.force });
        if (o.json) return printJson({ ok: true, path: o.out, format: o.format });
        return line(`${c.green('✓')} Wrote the CA certificate to ${o.out}`);
      }
      if (o.format === 'der' && process.stdout.isTTY) throw new TlsdockError('usage', 'DER is binary; give --out FILE or redirect standard output.');
      process.stdout.write(data);
    }));

  ca.command('import')
    .description('take over an existing CA: a team CA (--cert/--key) or mkcert\'s (--from-mkcert)')
    .option('--cert <file>', 'the CA certificate (PEM or DER; may be followed by its chain)')
    .option('--key <file>', 'the CA private key')
    .option('--from-mkcert [dir]', 'import mkcert\'s CAROOT (default: $CAROOT or mkcert\'s default folder), keeping the trust mkcert installed')
    .option('--password-file <file>', 'password of an encrypted CA key')
    .option('--force', 'replace an existing CA')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('tlsdock ca import --from-mkcert', 'tlsdock ca import --cert /mnt/team-ca/ca.pem --key /mnt/team-ca/ca-key.pem'))
    .action(action(async (o) => {
      let summary: CASummary;
      if (o.fromMkcert !== undefined) {
        summary = await (await caApi()).importMkcert({ dir: typeof o.fromMkcert === 'string' ? o.fromMkcert : undefined, force: o.force });
      } else {
        if (!o.cert || !o.key) throw new TlsdockError('usage', 'Give --cert and --key, or --from-mkcert.');
        const password = o.passwordFile ? await readPassword({ file: o.passwordFile, envVar: 'TLSDOCK_KEY_PASSWORD', prompt: '' }) : process.env.TLSDOCK_KEY_PASSWORD;
        summary = await (await caApi()).importCA({ certFile: o.cert, keyFile: o.key, password, force: o.force });
      }
      if (o.json) return printJson({ ok: true, imported: true, ca: summary });
      renderCA(summary, `${c.green('✓')} Imported the CA`);
    }));
  return ca;
}
