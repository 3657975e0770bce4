// The options `tlsdock ensure` and `tlsdock jupyter run` share, declared once so their help and
// parsing cannot drift apart. Light imports only: this module loads whenever either command is defined.
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { EnsureOptions } from '../index.js';
import { collect, positiveInt } from './parse.js';

/** `--name a,b --name c` and TLSDOCK_NAMES="a b,c" → [a, b, c]. */
export function splitNames(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
}

/** --name values plus TLSDOCK_NAMES (for entrypoints configured through the environment). */
export function namesFrom(flags: readonly string[]): string[] {
  return splitNames([...(process.env.TLSDOCK_NAMES ? [process.env.TLSDOCK_NAMES] : []), ...flags]);
}

// Two blocks rather than one because each command has its own options between them (ensure:
// --no-default-names; jupyter run: --cert and --key), and help lists options in the order they were added.
// Generic over the command so that extra-typings keeps every option's type in the caller's action.

export function addEnsureNameOption<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd.option('--name <host>', 'a name on top of localhost, 127.0.0.1, ::1, the host name and this machine\'s IPs; repeatable (also TLSDOCK_NAMES)', collect, [] as string[]);
}

/** Where the CA lives, how long a certificate lives and when it is renewed, who owns the pair. */
export function addEnsureRenewalOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--ca-dir <dir>', 'the CA folder (default $TLSDOCK_HOME); keep it on a volume so browsers keep trusting it')
    .option('--days <n>', 'validity of a new certificate in days', positiveInt, 30)
    .option('--renew-before <duration>', 'renew when it expires within this (10d, 12h, 30m)', '10d')
    .option('--owner <user>', 'give the pair to this user: NAME, UID, NAME:GROUP, UID:GID (needs root)');
}

/** The parsed values of both blocks (the action's `o` is checked against this where it is passed in). */
export interface EnsureOptionValues {
  name: string[];
  caDir?: string;
  days: number;
  renewBefore: string;
  owner?: string;
}

export function ensureOptionsFrom(o: EnsureOptionValues): Pick<EnsureOptions, 'names' | 'home' | 'days' | 'renewBefore' | 'owner'> {
  return { names: namesFrom(o.name), home: o.caDir, days: o.days, renewBefore: o.renewBefore, owner: o.owner };
}
