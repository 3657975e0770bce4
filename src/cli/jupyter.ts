import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { EnsureResult } from '../index.js';
import { ensureLines } from './ensure.js';
import { addEnsureNameOption, addEnsureRenewalOptions, ensureOptionsFrom } from './ensure-options.js';
import { action, c, examples, line, printJson } from './output.js';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a TCP port, 1-65535.');
  return n;
}

function configCommand() {
  return new Command('config')
    .description('write a Jupyter config that serves HTTPS from JUPYTER_CERTFILE/JUPYTER_KEYFILE when they are usable, else HTTP with a loud warning')
    .option('--out <file>', 'write it here (default: print it); e.g. ~/.jupyter/jupyter_server_config.py or /etc/jupyter/jupyter_server_config.py')
    .option('--classic', 'configure NotebookApp, for Notebook 6 and older (file name jupyter_notebook_config.py)')
    .option('--cert <file>', 'default certificate path baked in (default: $TLSDOCK_HOME/jupyter/cert.pem, found at start-up)')
    .option('--key <file>', 'default key path baked in (default: $TLSDOCK_HOME/jupyter/key.pem)')
    .option('--force', 'replace an existing file')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(
      'tlsdock jupyter config --out ~/.jupyter/jupyter_server_config.py',
      'tlsdock jupyter config --classic --out ~/.jupyter/jupyter_notebook_config.py',
      'tlsdock jupyter config --out /etc/jupyter/jupyter_server_config.py --cert /certs/jupyter.pem --key /certs/jupyter-key.pem',
    ) + `
At start-up the file reads JUPYTER_CERTFILE, JUPYTER_KEYFILE and JUPYTER_TLS (auto | require | off),
and loads the pair with Python's ssl module first: Jupyter itself would start with a DER, unreadable
or mismatched pair and then fail every connection.
`)
    .action(action(async (o) => {
      const { jupyterConfig } = await import('../api/jupyter.js');
      const r = jupyterConfig({ out: o.out, classic: o.classic, certFile: o.cert, keyFile: o.key, force: o.force });
      if (o.json) return printJson({ ok: true, path: r.path, app: r.app, ...(r.path ? {} : { text: r.text }) });
      if (!r.path) return void process.stdout.write(r.text);
      line(`${c.green('✓')} Wrote ${r.path} (${r.app})`);
      line(`  It serves HTTPS when JUPYTER_CERTFILE and JUPYTER_KEYFILE (or the defaults) hold a usable pair; make one with tlsdock ensure.`);
    }));
}

function runCommand() {
  const base = new Command('run')
    .description('ensure a certificate for Jupyter, start `jupyter server` with it, and print the https URL with its token')
    .argument('[args...]', 'more arguments for Jupyter (after --)')
    .option('--ip <address>', 'listen address (0.0.0.0 for the LAN or a container)', 'localhost')
    .option('--port <n>', 'listen port', port, 8888)
    .option('--token <token>', 'the login token (default: $JUPYTER_TOKEN, else random)')
    .addOption(new Option('--app <app>', 'which Jupyter to start').choices(['server', 'lab', 'notebook'] as const).default('server' as const));
  const withFiles = addEnsureNameOption(base)
    .option('--cert <file>', 'certificate path (default $TLSDOCK_HOME/jupyter/cert.pem)')
    .option('--key <file>', 'key path (default $TLSDOCK_HOME/jupyter/key.pem)');
  return addEnsureRenewalOptions(withFiles)
    .option('--json', 'print one JSON object when the server is ready')
    .addHelpText('after', examples(
      'tlsdock jupyter run',
      'tlsdock jupyter run --ip 0.0.0.0 --name gpu-box.local',
      'tlsdock jupyter run --app lab --port 9999 -- --ServerApp.root_dir=/work',
    ) + `
The token reaches Jupyter as JUPYTER_TOKEN (not on its command line, where ps shows it). The URLs
are printed once a TLS client that trusts only your tlsdock CA has connected: they open without a
warning in every browser that trusts that CA (tlsdock trust install).
`)
    .action(action(async (args, o) => {
      let ensured: EnsureResult | undefined;
      const { runJupyter } = await import('../api/jupyter.js');
      const r = await runJupyter({
        ip: o.ip, port: o.port, token: o.token, app: o.app, args,
        certFile: o.cert, keyFile: o.key, ...ensureOptionsFrom(o),
        onEnsured: (e) => { ensured = e; if (!o.json) for (const l of ensureLines(e)) line(l); },
        onReady: (urls) => {
          if (o.json) return printJson({ ok: true, urls, ensure: ensured ?? null });
          line(`${c.green('✓')} Jupyter is serving HTTPS with a certificate from your tlsdock CA; open:`);
          for (const u of urls) line(`    ${c.cyan(u)}`);
        },
      });
      process.exit(r.code);
    }));
}

export function jupyterCommand() {
  const cmd = new Command('jupyter')
    .description('HTTPS for Jupyter: a config file that picks up the certificate, or run it with one')
    .addHelpText('after', examples('tlsdock jupyter run', 'tlsdock jupyter config --out ~/.jupyter/jupyter_server_config.py'));
  cmd.addCommand(configCommand());
  cmd.addCommand(runCommand());
  return cmd;
}
