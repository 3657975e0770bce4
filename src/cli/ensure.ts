import { Command } from '@commander-js/extra-typings';
import type { EnsureResult } from '../index.js';
import { formatDuration } from '../integrations/duration.js';
import { addEnsureNameOption, addEnsureRenewalOptions, ensureOptionsFrom } from './ensure-options.js';
import { action, c, examples, printJson } from './output.js';

/** The one line that says what ensure did, plus a note when something else needs the user's attention. */
export function ensureLines(r: EnsureResult): string[] {
  const label = r.action === 'kept' ? c.green('kept') : r.action === 'renewed' ? c.yellow('renewed') : c.green('created');
  let main = `${label}: expires in ${formatDuration(r.expiresInMs)} — ${r.files.cert}`;
  if (r.action === 'renewed' && r.reason) main += ` (${r.reason.message})`;
  if (r.fixed.length) main += `; fixed ${r.fixed.join(', ')}`;
  const out = [main];
  if (r.ca.created) out.push(`${c.cyan('created a CA')} ${r.ca.path} (sha256 ${r.ca.fingerprintSha256.slice(0, 23)}…): trust it where you browse: tlsdock trust install --ca ${r.ca.path}`);
  if (r.skippedNames.length) out.push(c.dim(`not in the certificate (the CA may not sign for them): ${r.skippedNames.join(', ')}`));
  return out;
}

export function ensureCommand() {
  const base = new Command('ensure')
    .description('make sure a valid certificate/key pair exists (created or renewed only when needed), fix owner and modes, then run CMD as the main process')
    .argument('[cmd...]', 'the command to run afterwards (put it after --); without it, ensure and exit')
    .requiredOption('--cert <file>', 'the certificate (PEM, with its chain)')
    .requiredOption('--key <file>', 'the private key (PEM, mode 0600)');
  const withDefaults = addEnsureNameOption(base)
    .option('--no-default-names', 'only the --name names');
  return addEnsureRenewalOptions(withDefaults)
    .option('--json', 'machine-readable output (on stdout, before CMD starts)')
    .addHelpText('after', examples(
      'tlsdock ensure --cert /certs/jupyter.pem --key /certs/jupyter-key.pem -- jupyter lab --ip=0.0.0.0',
      'tlsdock ensure --cert c.pem --key k.pem --name gpu-box.local --ca-dir /var/lib/tlsdock --owner jovyan -- start-notebook.sh',
      'tlsdock ensure --cert c.pem --key k.pem --days 7 --renew-before 2d     # just ensure, then exit',
    ) + `
What it checks: the pair exists, is readable PEM, the key matches, it comes from the current CA,
it is valid for longer than --renew-before, and its SAN names every wanted name. Anything else:
a new pair from the CA (a CA is created only if there is none). Then CMD runs with signals
forwarded and its exit code passed back; as PID 1 without tini, use docker run --init.
`)
    .action(action(async (cmd, o) => {
      const shared = ensureOptionsFrom(o);
      const { ensureCert } = await import('../api/ensure.js');
      const r = await ensureCert({ certFile: o.cert, keyFile: o.key, defaultNames: o.defaultNames, ...shared });
      if (o.json) printJson({ ok: true, ...r });
      // With a CMD, stdout belongs to it: our status goes to stderr.
      else for (const l of ensureLines(r)) (cmd.length ? process.stderr : process.stdout).write(l + '\n');
      if (cmd.length === 0) return;
      const { runAsMainProcess } = await import('../integrations/exec.js');
      const done = await runAsMainProcess(cmd[0]!, cmd.slice(1));
      process.exit(done.code);
    }));
}
