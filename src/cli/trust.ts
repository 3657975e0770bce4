import { Command, Option } from '@commander-js/extra-typings';
import type { FetchPreview, StoreReport, StoreSelection, TrustInstallOptions, TrustReport } from '../index.js';
import { ENV_SHELLS, type EnvShell } from '../trust/env-shells.js';
import { STORE_GROUPS } from '../trust/store-groups.js';

/** Loaded when a command runs, so that other commands do not pay for the trust code. */
const trustApi = () => import('../api/trust.js');
import { action, c, examples, line, printJson } from './output.js';
import { collect } from './parse.js';

const STORE_CHOICES = [...STORE_GROUPS, 'all'] as const;

function storeOption() {
  // Validated by the library (one sentence naming the groups), so no .choices() here.
  return new Option('--store <store>', `${STORE_CHOICES.join('|')}; repeatable (default: system, nss, java)`)
    .argParser((v: string, prev: string[] | undefined) => collect(v, prev ?? []));
}

const MARK: Record<StoreReport['outcome'], (s: string) => string> = {
  installed: (s) => c.green(`✓ ${s}`),
  'already-present': (s) => c.green(`✓ ${s}`),
  removed: (s) => c.green(`✓ ${s}`),
  present: (s) => c.green(`✓ ${s}`),
  'not-present': (s) => c.dim(`- ${s}`),
  'not-applicable': (s) => c.dim(`- ${s}`),
  'not-found': (s) => c.dim(`- ${s}`),
  'kept-foreign': (s) => c.yellow(`! ${s}`),
  'needs-root': (s) => c.yellow(`! ${s}`),
  missing: (s) => c.red(`✗ ${s}`),
  'missing-tool': (s) => c.red(`✗ ${s}`),
  failed: (s) => c.red(`✗ ${s}`),
};

const WORD: Record<StoreReport['outcome'], string> = {
  installed: 'installed', 'already-present': 'already there', removed: 'removed', present: 'trusted',
  'not-present': 'not there', 'not-applicable': 'not applicable', 'not-found': 'not found',
  'kept-foreign': 'kept (not ours)', 'needs-root': 'needs root', missing: 'missing', 'missing-tool': 'no tool', failed: 'failed',
};

function renderReport(r: TrustReport): void {
  const kind = r.anchor.kind === 'ca' ? 'CA' : 'server certificate (trusted as a peer)';
  line(`${c.bold(kind)} ${r.anchor.name}  ${c.dim(`SHA-256 ${r.anchor.fingerprintSha256}`)}`);
  line(c.dim(`  from ${r.anchor.source}`));
  const width = Math.max(...r.stores.map((s) => s.title.length), 10);
  for (const s of r.stores) {
    line(`  ${MARK[s.outcome](WORD[s.outcome].padEnd(16))} ${s.title.padEnd(width)}  ${c.dim(s.path)}`);
    if (s.message) line(`  ${' '.repeat(18)} ${c.dim(s.message)}`);
    if (s.entries.length > 0 && (s.outcome === 'present' || s.outcome === 'kept-foreign' || s.outcome === 'already-present') && !s.ours) {
      line(`  ${' '.repeat(18)} ${c.dim(`as ${s.entries.join(', ')}`)}`);
    }
  }
  if (r.fixes.length > 0) {
    line();
    line(r.ok ? 'Also:' : c.yellow('To finish:'));
    for (const f of r.fixes) line(`  ${c.cyan(f)}`);
  }
  if (r.action !== 'status' && r.stores.some((s) => s.group === 'nss' && (s.outcome === 'installed' || s.outcome === 'removed'))) {
    line(c.dim('\nBrowsers read trust at start-up: restart them.'));
  }
}

function report(r: TrustReport, json: boolean | undefined): void {
  if (json) printJson(r);
  else renderReport(r);
  if (!r.ok) process.exitCode = 1;
}

function renderPreview(p: FetchPreview): void {
  line(`${c.bold(p.url)} presents:`);
  p.certificates.forEach((cert, i) => {
    line(`  ${i === 0 ? 'certificate' : `chain[${i}]`}  ${c.bold(cert.subject)}${cert.selfSigned ? c.dim(' (self-signed)') : ''}${cert.ca ? c.dim(' (CA)') : ''}`);
    line(`    names    ${cert.sans.length ? cert.sans.join(', ') : c.yellow('none (no subjectAltName)')}`);
    line(`    issuer   ${cert.issuer}`);
    line(`    valid    ${cert.notBefore.slice(0, 10)} → ${cert.notAfter.slice(0, 10)}`);
    line(`    sha256   ${cert.fingerprintSha256}`);
  });
  if (p.anchor) line(`Would trust ${c.bold(p.anchor.subject)} ${p.anchor.kind === 'peer' ? '(as this one server)' : '(as a CA)'}: ${p.reason}`);
}

const CA_HELP = 'trust this certificate (PEM or DER) instead of tlsdock\'s CA, e.g. a container\'s cert copied out with docker cp';
const MACHINE_HELP = 'macOS: the System keychain; Windows: LocalMachine (default: the user\'s)';

function stores(values: string[] | undefined): StoreSelection[] | undefined {
  return values as StoreSelection[] | undefined;
}

export function trustCommand() {
  const trust = new Command('trust')
    .description('make browsers and tools trust tlsdock\'s CA (or any CA): system store, NSS (Chromium, Firefox), Java, macOS, Windows');

  // install, uninstall and status take the same options and print the same per-store report.
  const storeCommands = [
    {
      name: 'install', run: async (o: TrustInstallOptions) => (await trustApi()).trustInstall(o),
      description: 'add the CA to every trust store you can change; say which ones need root and the command to run',
      examples: [
        'tlsdock trust install',
        'tlsdock trust install --store nss',
        'sudo tlsdock trust install --store system --ca ~/.local/share/tlsdock/ca.pem',
        'docker cp jupyter:/etc/jupyter/jupyter.crt . && tlsdock trust install --ca jupyter.crt',
      ],
    },
    {
      name: 'uninstall', run: async (o: TrustInstallOptions) => (await trustApi()).trustUninstall(o),
      description: 'remove what tlsdock added (entries others added for the same certificate stay)',
      examples: ['tlsdock trust uninstall', 'tlsdock trust uninstall --store nss --ca jupyter.crt'],
    },
    {
      name: 'status', run: async (o: TrustInstallOptions) => (await trustApi()).trustStatus(o),
      description: 'each trust store on this machine: found or not, whether the CA is in it, its path (exit 1 when one that should have it lacks it)',
      examples: ['tlsdock trust status', 'tlsdock trust status --store nss --json'],
    },
  ] as const;
  for (const cmd of storeCommands) {
    trust.command(cmd.name)
      .description(cmd.description)
      .option('--ca <file>', CA_HELP)
      .addOption(storeOption())
      .option('--machine', MACHINE_HELP)
      .option('--json', 'machine-readable output')
      .addHelpText('after', examples(...cmd.examples))
      .action(action(async (o) => report(await cmd.run({ caFile: o.ca, stores: stores(o.store), machine: o.machine }), o.json)));
  }

  trust.command('env')
    .description('write a CA bundle into $TLSDOCK_HOME and print the variables that make Node, Python, pip, curl and git trust it')
    .option('--ca <file>', CA_HELP)
    .addOption(new Option('--shell <shell>', 'syntax of the output').choices(ENV_SHELLS))
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('eval "$(tlsdock trust env)"', 'tlsdock trust env --shell fish | source', 'tlsdock trust env --shell powershell | Invoke-Expression'))
    .action(action(async (o) => {
      const { trustEnv } = await import('../api/trust-env.js');
      const r = await trustEnv({ caFile: o.ca, shell: o.shell as EnvShell | undefined });
      if (o.json) return printJson(r);
      process.stdout.write(r.script);
    }));

  trust.command('fetch')
    .description('trust on first use: show what a running server presents, ask, then trust its root (or its self-signed certificate)')
    .argument('<url>', 'https://host:port of a server with a self-signed or private-CA certificate')
    .option('--yes', 'trust without asking')
    .option('--fingerprint <sha256>', 'trust only if the server\'s certificate (or the root it sent) has this SHA-256 fingerprint')
    .option('--connect-to <addr>', 'dial this address instead of resolving the URL\'s host')
    .addOption(storeOption())
    .option('--machine', MACHINE_HELP)
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(
      'tlsdock trust fetch https://127.0.0.1:8888',
      'tlsdock trust fetch https://jupyter.internal:8888 --fingerprint AB:CD:…',
      'tlsdock trust fetch https://localhost:8443 --yes --store nss',
    ))
    .action(action(async (url, o) => {
      const interactive = !o.yes && o.fingerprint === undefined && Boolean(process.stdin.isTTY);
      const { trustFetch } = await import('../api/trust-fetch.js');
      const r = await trustFetch({
        url,
        yes: o.yes,
        fingerprint: o.fingerprint,
        connectTo: o.connectTo,
        stores: stores(o.store),
        machine: o.machine,
        onPreview: o.json ? undefined : renderPreview,
        confirm: interactive ? async () => (await import('./ask.js')).askYesNo('Trust it? [y/N] ') : undefined,
      });
      if (o.json) {
        printJson(r);
      } else if (r.declined) {
        line('Nothing was installed.');
      } else {
        if (r.install) renderReport(r.install);
        line();
        line(r.browsers.accepted ? c.green(r.browsers.message) : c.yellow(r.browsers.message));
        if (r.browsers.fix) line(`  ${c.cyan(r.browsers.fix)}`);
        if (r.savedTo) line(c.dim(`Kept a copy in ${r.savedTo}; to undo: tlsdock trust uninstall --ca ${r.savedTo}`));
      }
      if (!r.ok || !r.browsers.accepted) process.exitCode = 1;
    }));

  return trust;
}
