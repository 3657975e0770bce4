/**
 * A stand-in for the machine in trust-store tests: records every command a store runs and answers
 * from a script, so stores that cannot run here (RHEL, Arch, openSUSE, Alpine, macOS, Windows, WSL)
 * are tested on exactly which programs they would run with which arguments.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRunner, RunOptions, RunResult } from '../../src/trust/runner.js';
import { trustContext, type TrustContext } from '../../src/trust/store.js';

export interface RecordedCall {
  cmd: string;
  args: string[];
  input?: string;
}

export type Responder = (call: RecordedCall) => Partial<RunResult> | undefined | void;

export interface RecordingRunner extends CommandRunner {
  calls: RecordedCall[];
  /** The calls as "cmd arg arg" strings (stdin not shown), for exact assertions. */
  lines(): string[];
}

/** `programs`: what `which` finds (as /fake/bin/NAME). `respond`: the result of each call (default: exit 0, no output). */
export function recordingRunner(opts: { programs?: readonly string[]; respond?: Responder } = {}): RecordingRunner {
  const calls: RecordedCall[] = [];
  return {
    calls,
    lines: () => calls.map((c) => [c.cmd, ...c.args].join(' ')),
    which: (cmd) => (opts.programs ?? []).includes(cmd) ? `/fake/bin/${cmd}` : undefined,
    async run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
      const call: RecordedCall = { cmd, args: [...args], ...(o.input !== undefined ? { input: o.input } : {}) };
      calls.push(call);
      return { code: 0, stdout: '', stderr: '', ...(opts.respond?.(call) ?? {}) };
    },
  };
}

/** A context on a fake machine: the given runner, env and platform; privileged unless said otherwise. */
export function fakeContext(runner: CommandRunner, o: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; privileged?: boolean; canWrite?: (p: string) => boolean } = {}): TrustContext {
  const privileged = o.privileged ?? true;
  return trustContext({
    runner,
    env: o.env ?? { HOME: '/nonexistent-home', PATH: '' },
    platform: o.platform ?? 'linux',
    isPrivileged: () => privileged,
    canWrite: o.canWrite ?? (() => privileged),
  });
}

/**
 * A responder that does what a distribution's rebuild program does, for stores that cannot run here:
 * concatenate `systemPem` and every file in `anchorsDir` into `bundle`.
 */
export function rebuildsBundle(anchorsDir: string, bundle: string, systemPem = ''): () => undefined {
  return () => {
    const files = readdirSync(anchorsDir).sort().map((n) => readFileSync(join(anchorsDir, n), 'utf8'));
    writeFileSync(bundle, [systemPem, ...files].join(''));
    return undefined;
  };
}
