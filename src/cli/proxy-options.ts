// The options `tlsdock proxy` and `tlsdock up` share, declared once so their help and parsing cannot
// drift apart. Light imports only: this module loads whenever either command is defined.
import { type Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import type { ProxyOptions } from '../index.js';
import { TlsdockError } from '../errors.js';
import { parseDuration } from '../integrations/duration.js';
import { KEY_TYPES, parseKeyType } from '../pki/keys.js';
import { MAX_LOCAL_LEAF_DAYS } from '../pki/limits.js';
import { ProxyLog } from '../proxy/access-log.js';
import { collect } from './parse.js';

function workerCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 256) throw new InvalidArgumentError('expected a whole number of processes from 0 to 256.');
  return n;
}

function makeLog(format: string | undefined, json: boolean, accessLog: boolean): ProxyLog {
  const f = format ?? (json ? 'json' : 'human');
  if (f !== 'human' && f !== 'json') throw new TlsdockError('usage', `--log-format must be human or json (got ${format}).`);
  return new ProxyLog({ format: f, access: accessLog ? process.stdout : null });
}

/** `--cert-lifetime 7d`: how long each local-CA certificate lives (renewed after two thirds of it). */
function certLifetime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text, '--cert-lifetime');
  if (ms < 1000) throw new TlsdockError('usage', '--cert-lifetime must be at least 1s.');
  if (ms > MAX_LOCAL_LEAF_DAYS * 86400_000) throw new TlsdockError('usage', `--cert-lifetime is over ${MAX_LOCAL_LEAF_DAYS} days, more than browsers accept; the point of the proxy's certificates is to be short-lived (default 7d).`);
  return ms;
}

// Two blocks rather than one because each command has its own options between them (proxy: --cert
// and --key; up: --store and --no-trust), and help lists options in the order they were added.
// Generic over the command so that extra-typings keeps every option's type in the caller's action.

/** Where the proxy listens and which names and routes it serves. */
export function addProxyAddressOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--listen <[host:]port>', 'where to accept HTTPS; repeatable (default 8443 on every address, IPv6 and IPv4)', collect, [] as string[])
    .option('--route <host=url>', 'send requests for HOST to URL (own certificate per host, by SNI); repeatable', collect, [] as string[])
    .option('--name <host>', 'also put this name in the certificate (local CA mode); repeatable', collect, [] as string[])
    .option('--no-local-names', 'leave out this machine\'s host name and LAN IPs');
}

/** Local-CA certificates, serving processes, logging and --json. */
export function addProxyServingOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .addOption(new Option('--key-type <type>', `key of the local-CA certificates: one of ${KEY_TYPES.join(', ')}`))
    .option('--cert-lifetime <duration>', 'life of each local-CA certificate, renewed after two thirds of it (default 7d)')
    .option('--redirect-http <[host:]port>', 'also listen for plain HTTP here and redirect it to HTTPS')
    .option('--hsts', 'send Strict-Transport-Security (browsers then insist on HTTPS for these names for a year)')
    .option('--workers <n>', 'serving processes (node:cluster; default 1, next to the one that keeps the certificates; 0 serves in that one)', workerCount, 1)
    .addOption(new Option('--log-format <format>', 'access and event log format').choices(['human', 'json']))
    .option('--no-access-log', 'do not log each request')
    .option('--json', 'print the start-up facts as one JSON line (and log as JSON unless --log-format says otherwise)');
}

/** The parsed values of both blocks (the action's `o` is checked against this where it is passed in). */
export interface ProxyOptionValues {
  listen: string[];
  route: string[];
  name: string[];
  localNames: boolean;
  keyType?: string;
  certLifetime?: string;
  redirectHttp?: string;
  hsts?: true;
  workers: number;
  logFormat?: 'human' | 'json';
  accessLog: boolean;
  json?: true;
}

/** Throws a usage error for a bad --key-type or --cert-lifetime: call it before loading the proxy code. */
export function proxyOptionsFrom(o: ProxyOptionValues): Pick<ProxyOptions, 'listen' | 'routes' | 'names' | 'noLocalNames' | 'keyType' | 'certLifetimeMs' | 'redirectHttp' | 'hsts' | 'workers' | 'log'> {
  return {
    log: makeLog(o.logFormat, Boolean(o.json), o.accessLog),
    listen: o.listen, routes: o.route, names: o.name, noLocalNames: !o.localNames,
    keyType: o.keyType ? parseKeyType(o.keyType) : undefined, certLifetimeMs: certLifetime(o.certLifetime),
    redirectHttp: o.redirectHttp, hsts: o.hsts, workers: o.workers,
  };
}
