import { Command, CommanderError } from '@commander-js/extra-typings';
import { caCommand } from './ca.js';
import { convertCommand } from './convert.js';
import { issueCommand } from './issue.js';
import { trustCommand } from './trust.js';
import { inspectCommand } from './inspect.js';
import { checkCommand } from './check.js';
import { ensureCommand } from './ensure.js';
import { jupyterCommand } from './jupyter.js';
import { proxyCommand } from './proxy.js';
import { upCommand } from './up.js';
import { examples, printJsonError } from './output.js';

export const VERSION = '0.1.0';

const COMMANDS = {
  ca: caCommand, issue: issueCommand, convert: convertCommand, trust: trustCommand, inspect: inspectCommand,
  check: checkCommand, ensure: ensureCommand, jupyter: jupyterCommand, proxy: proxyCommand, up: upCommand,
} as const;

/**
 * The program, with every command, or only `only` when the command line names one: defining all
 * ten commands' options costs a few milliseconds that a one-shot `tlsdock issue` need not pay.
 */
export function buildProgram(only?: string): Command {
  const program = new Command('tlsdock')
    .description('Trusted, correct, automatic HTTPS for dev servers and Jupyter: a local CA, trust stores, a doctor, a proxy.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', examples('tlsdock issue localhost 127.0.0.1 ::1', 'tlsdock ca show'));
  const names = only && Object.hasOwn(COMMANDS, only) ? [only as keyof typeof COMMANDS] : (Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]);
  for (const name of names) program.addCommand(COMMANDS[name]());
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

/** --json among the options (before a `--` that ends them), wherever commander stopped reading. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram(argv[2]).parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version are not failures; every usage error exits 2 (DESIGN.md). Commander has
      // already printed its message on stderr; under --json the caller also gets it as data.
      if (e.exitCode !== 0 && wantsJson(argv)) printJsonError('usage', e.message.replace(/^error: /, ''), 'run with --help for usage');
      process.exit(e.exitCode === 0 ? 0 : 2);
    }
    throw e;
  }
}
