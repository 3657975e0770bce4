// proxy/up and ensure/jupyter run take their common options from one module each; these tests fail
// if either command declares its own copy again, or if a new option is added to both by hand.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command, type CommandUnknownOpts, type Option } from '@commander-js/extra-typings';
import { addEnsureNameOption, addEnsureRenewalOptions, ensureOptionsFrom } from '../../src/cli/ensure-options.js';
import { ensureCommand } from '../../src/cli/ensure.js';
import { jupyterCommand } from '../../src/cli/jupyter.js';
import { addProxyAddressOptions, addProxyServingOptions, proxyOptionsFrom } from '../../src/cli/proxy-options.js';
import { proxyCommand } from '../../src/cli/proxy.js';
import { upCommand } from '../../src/cli/up.js';

/** Everything about an option that shows in help or changes parsing. */
function shape(o: Option) {
  return {
    flags: o.flags, description: o.description, defaultValue: o.defaultValue, mandatory: o.mandatory,
    negate: o.negate, choices: o.argChoices,
    // .choices() makes a fresh parser per option; any other parser must be the very same function.
    parser: o.argChoices ? 'choices' : o.parseArg,
  };
}

function byLong(cmd: CommandUnknownOpts): Map<string, Option> {
  return new Map(cmd.options.map((o) => [o.long ?? o.flags, o]));
}

function jupyterRun(): CommandUnknownOpts {
  const run = jupyterCommand().commands.find((c) => c.name() === 'run');
  assert.ok(run);
  return run;
}

const pairs = [
  {
    label: 'proxy / up',
    module: 'proxy-options.ts',
    files: ['proxy.ts', 'up.ts'],
    commands: [proxyCommand(), upCommand()],
    shared: addProxyServingOptions(addProxyAddressOptions(new Command())).options,
    // Declared in both but on purpose not shared: up's --to has a default, proxy's has none.
    ownCopies: ['--to'],
  },
  {
    label: 'ensure / jupyter run',
    module: 'ensure-options.ts',
    files: ['ensure.ts', 'jupyter.ts'],
    commands: [ensureCommand(), jupyterRun()],
    shared: addEnsureRenewalOptions(addEnsureNameOption(new Command())).options,
    // ensure requires --cert/--key, jupyter run defaults them; --json prints different things.
    ownCopies: ['--cert', '--key', '--json'],
  },
] as const;

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli');

for (const { label, module, files, commands, shared, ownCopies } of pairs) {
  test(`${label}: both commands declare the shared options exactly as the shared module does`, () => {
    assert.ok(shared.length > 0);
    for (const cmd of commands) {
      const options = byLong(cmd);
      for (const o of shared) {
        const mine = options.get(o.long!);
        assert.ok(mine, `${cmd.name()} lacks ${o.long}`);
        assert.deepEqual(shape(mine), shape(o), `${cmd.name()} ${o.long}`);
      }
    }
  });

  // A hand-made copy with the same wording would pass the test above: look for it in the sources.
  test(`${label}: the shared options are declared in ${module}, not in ${files.join(' or ')}`, () => {
    const sources = [module, ...files].map((file) => ({ file, text: readFileSync(join(cliDir, file), 'utf8') }));
    for (const o of shared) {
      const declaredIn = sources.filter((s) => s.text.includes(`'${o.flags}'`)).map((s) => s.file);
      assert.deepEqual(declaredIn, [module], o.flags);
    }
  });

  test(`${label}: every other option the two have in common is a deliberate, differing copy`, () => {
    const [a, b] = commands.map(byLong) as [Map<string, Option>, Map<string, Option>];
    const sharedNames = new Set(shared.map((o) => o.long));
    const common = [...a.keys()].filter((name) => b.has(name) && !sharedNames.has(name));
    assert.deepEqual(common.sort(), [...ownCopies].sort(), 'an option both commands declare belongs in the shared module');
    for (const name of ownCopies) {
      assert.notDeepEqual(shape(a.get(name)!), shape(b.get(name)!), `${name} is the same in both: move it into the shared module`);
    }
  });
}

test('proxyOptionsFrom turns the parsed shared options into ProxyOptions', () => {
  const cmd = addProxyServingOptions(addProxyAddressOptions(new Command())).exitOverride();
  cmd.parse(['--listen', '443', '--listen', '127.0.0.1:8443', '--route', 'a.local=http://127.0.0.1:1', '--name', 'b.local',
    '--no-local-names', '--key-type', 'rsa-2048', '--cert-lifetime', '2d', '--redirect-http', '80', '--hsts', '--workers', '0'], { from: 'user' });
  const p = proxyOptionsFrom(cmd.opts());
  assert.deepEqual({ ...p, log: undefined }, {
    listen: ['443', '127.0.0.1:8443'], routes: ['a.local=http://127.0.0.1:1'], names: ['b.local'], noLocalNames: true,
    keyType: 'rsa-2048', certLifetimeMs: 2 * 86_400_000, redirectHttp: '80', hsts: true, workers: 0, log: undefined,
  });
  assert.ok(p.log);

  const defaults = proxyOptionsFrom(addProxyServingOptions(addProxyAddressOptions(new Command())).parse([], { from: 'user' }).opts());
  assert.deepEqual({ ...defaults, log: undefined }, {
    listen: [], routes: [], names: [], noLocalNames: false, keyType: undefined, certLifetimeMs: undefined,
    redirectHttp: undefined, hsts: undefined, workers: 1, log: undefined,
  });
});

test('ensureOptionsFrom adds TLSDOCK_NAMES to --name and keeps the defaults', (t) => {
  const saved = process.env.TLSDOCK_NAMES;
  t.after(() => { if (saved === undefined) delete process.env.TLSDOCK_NAMES; else process.env.TLSDOCK_NAMES = saved; });
  process.env.TLSDOCK_NAMES = 'env.local other.local';
  const cmd = addEnsureRenewalOptions(addEnsureNameOption(new Command())).parse(['--name', 'a.local,b.local', '--ca-dir', '/ca'], { from: 'user' });
  assert.deepEqual(ensureOptionsFrom(cmd.opts()), {
    names: ['env.local', 'other.local', 'a.local', 'b.local'], home: '/ca', days: 30, renewBefore: '10d', owner: undefined,
  });
});
